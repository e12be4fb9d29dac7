"""Statutory response deadlines for rights requests (RULES: SAR-01..SAR-04)."""

from __future__ import annotations

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from dataward.calendar.working_days import Nation, next_working_day
from dataward.errors import CalendarError


def statutory_deadline(
    received_on: date, nation: Nation, months: int = 1, paused_days: int = 0
) -> date:
    """The day a response is due.

    SAR-01: the corresponding calendar date ``months`` later; the day of receipt counts as
    day one whether or not it is a working day. SAR-02: with no corresponding date, the last
    day of that month (``relativedelta`` clamps). SAR-03: a weekend or bank holiday of the
    controller's nation moves the deadline to the next working day. SAR-04: an extension is
    ``months=3``, computed the same way from the original start. SAR-06: days the clock stood
    still for clarification are added before the date is moved off a non-working day.
    """
    if months < 1:
        raise CalendarError("a statutory period is at least one month")
    if paused_days < 0:
        raise CalendarError("a pause cannot be negative")
    end = received_on + relativedelta(months=months) + timedelta(days=paused_days)
    return next_working_day(end, nation)
