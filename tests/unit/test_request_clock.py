"""The request clock against every RULES vector (SAR-01..04, SAR-06), in all four nations."""

from __future__ import annotations

from datetime import date

import pytest

from dataward.calendar import Nation
from dataward.calendar.deadlines import statutory_deadline
from dataward.errors import CalendarError
from dataward.requests.clock import due_dates

# RULES "Test vectors (received -> due)", row by row.
VECTORS = [
    (date(2026, 1, 30), Nation.ENG, False, date(2026, 3, 2)),  # SAR-03: 28 Feb a Saturday
    (date(2026, 3, 31), Nation.ENG, False, date(2026, 4, 30)),  # SAR-02
    (date(2026, 4, 3), Nation.ENG, False, date(2026, 5, 5)),  # SAR-03: Sunday, bank holiday
    (date(2026, 11, 25), Nation.ENG, False, date(2026, 12, 29)),  # SAR-03: substitute day
    (date(2026, 12, 1), Nation.ENG, False, date(2027, 1, 4)),
    (date(2026, 12, 1), Nation.SCT, False, date(2027, 1, 5)),  # Scotland's 2 January
    (date(2026, 2, 17), Nation.NIR, False, date(2026, 3, 18)),  # St Patrick's Day
    (date(2025, 11, 30), Nation.ENG, True, date(2026, 3, 2)),  # SAR-04: three months
    (date(2028, 1, 31), Nation.ENG, False, date(2028, 2, 29)),  # SAR-02, a leap year
]


@pytest.mark.parametrize(("received", "nation", "extended", "due"), VECTORS)
def test_rules_vectors(received: date, nation: Nation, extended: bool, due: date) -> None:
    """SAR-01..04: every vector of RULES.md."""
    assert due_dates(received, 0, extended, nation).due_on == due


@pytest.mark.parametrize("nation", list(Nation))
def test_wales_and_england_share_days_but_each_nation_is_asked(nation: Nation) -> None:
    """SAR-03: 12 July 2027 is a Monday bank holiday in Northern Ireland only."""
    due = due_dates(date(2027, 6, 12), 0, False, nation).due_on
    assert due == (date(2027, 7, 13) if nation is Nation.NIR else date(2027, 7, 12))


def test_the_clarification_pause_moves_the_due_date() -> None:
    """SAR-06 vector: ENG, received 2026-03-02, asked 03-10, answered 03-19 -> 2026-04-13."""
    paused = (date(2026, 3, 19) - date(2026, 3, 10)).days
    due = due_dates(date(2026, 3, 2), paused, False, Nation.ENG)
    assert due.due_on == date(2026, 4, 13)
    # The pause also moves the day by which an extension must be announced.
    assert due.extension_notice_by == date(2026, 4, 13)


def test_an_extension_is_announced_within_the_first_month() -> None:
    """SAR-04: the notice is due by the first month's date, the response three months on."""
    due = due_dates(date(2026, 1, 30), 0, True, Nation.ENG)
    assert due.extension_notice_by == date(2026, 3, 2)
    assert due.due_on == date(2026, 4, 30)


def test_no_clock_before_it_starts() -> None:
    """SAR-05: while identity or a fee is awaited there is no due date."""
    due = due_dates(None, 0, False, Nation.ENG)
    assert (due.due_on, due.extension_notice_by) == (None, None)


def test_a_negative_pause_is_refused() -> None:
    with pytest.raises(CalendarError):
        statutory_deadline(date(2026, 3, 2), Nation.ENG, 1, -1)
