"""The request clock: when a response is due, and by when an extension must be announced.

Pure date arithmetic over the request's own fields (SAR-01..06), so a recompute after a
bank holiday change runs the same function over every open request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dataward.calendar import Nation
from dataward.calendar.deadlines import statutory_deadline


@dataclass(frozen=True)
class Due:
    due_on: date | None
    extension_notice_by: date | None


def due_dates(starts_on: date | None, paused_days: int, extended: bool, nation: Nation) -> Due:
    """SAR-05: no clock before it starts. SAR-01..03: one month, moved off non-working days;
    SAR-04: three months when extended, announced within the first month; SAR-06: both moved
    by the days paused for clarification."""
    if starts_on is None:
        return Due(None, None)
    first_month = statutory_deadline(starts_on, nation, 1, paused_days)
    due = statutory_deadline(starts_on, nation, 3, paused_days) if extended else first_month
    return Due(due, first_month)
