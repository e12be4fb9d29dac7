"""Statutory response deadlines for rights requests (RULES: SAR-01..SAR-04)."""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta

from dataward.calendar.working_days import Nation, next_working_day
from dataward.errors import CalendarError


def statutory_deadline(received_on: date, nation: Nation, months: int = 1) -> date:
    """The day a response is due.

    SAR-01: the corresponding calendar date ``months`` later; the day of receipt counts as
    day one whether or not it is a working day. SAR-02: with no corresponding date, the last
    day of that month (``relativedelta`` clamps). SAR-03: a weekend or bank holiday of the
    controller's nation moves the deadline to the next working day. SAR-04: an extension is
    ``months=3``, computed the same way from the original start.
    """
    if months < 1:
        raise CalendarError("a statutory period is at least one month")
    return next_working_day(received_on + relativedelta(months=months), nation)
