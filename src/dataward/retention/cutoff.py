"""The last trigger day a rule makes due by a day: "trigger + offset <= today" turned into
"trigger <= cutoff", so a source answers with one index-friendly comparison (RET-01).

``due_on`` is the day an offset runs out after an event (the holds service's ``after``, with
the nation handed in); ``cutoff`` is the latest event day whose ``due_on`` has come. Every
offset kind is monotone (a later event is never due earlier), so the cutoff is found by
searching days, never by a formula per kind that could disagree with ``due_on`` at a month's
end, a leap day or a bank holiday.
"""

from __future__ import annotations

from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from dataward.calendar import add_working_days
from dataward.calendar.working_days import Nation
from dataward.register.models.retention import Offset


def countable(offset: Offset) -> bool:
    """Whether the offset gives a period dataward can count (not "as soon as necessary")."""
    return not offset.as_soon_as_reasonably_necessary


def due_on(offset: Offset, day: date, nation: Nation) -> date | None:
    """The day ``offset`` after an event on ``day``; None when it gives no period."""
    if offset.days is not None:
        return day + timedelta(days=offset.days)
    if offset.working_days is not None:
        return add_working_days(day, offset.working_days, nation)
    if offset.months is not None:
        return day + relativedelta(months=offset.months)
    if offset.years is not None:
        return day + relativedelta(years=offset.years)
    if offset.end_of_year_plus_years is not None:
        return date(day.year + offset.end_of_year_plus_years, 12, 31)
    return None


def cutoff(offset: Offset, today: date, nation: Nation) -> date | None:
    """The latest event day that is due by ``today`` (events on or before it are due).

    None when the offset gives no period to count.
    """
    if due_on(offset, today, nation) is None:
        return None

    def is_due(day: date) -> bool:
        found = due_on(offset, day, nation)
        return found is not None and found <= today

    # Walk back, doubling, to a day that is due; then halve the gap to the last such day.
    step = 1
    low = today - timedelta(days=1)
    while not is_due(low):
        step *= 2
        low = today - timedelta(days=step)
    high = today  # offsets are >= 0: today itself is due only for a zero offset
    if is_due(high):
        return high
    # Invariant: low is due, high is not.
    while (high - low).days > 1:
        middle = low + timedelta(days=(high - low).days // 2)
        if is_due(middle):
            low = middle
        else:
            high = middle
    return low
