"""The cutoff day each offset kind makes due (RULES: RET-01): "trigger + offset <= today"
turned into "trigger <= cutoff", with explicit dates."""

from __future__ import annotations

from datetime import date

import pytest

from dataward.calendar.working_days import Nation
from dataward.register.models.retention import Offset
from dataward.retention.cutoff import cutoff, due_on


# RULES: RET-01 (days)
def test_it_cuts_off_ninety_days_before_today() -> None:
    assert cutoff(Offset(days=90), date(2026, 11, 25), Nation.ENG) == date(2026, 8, 27)
    assert due_on(Offset(days=90), date(2026, 8, 27), Nation.ENG) == date(2026, 11, 25)


def test_it_makes_a_zero_offset_due_the_same_day() -> None:
    assert cutoff(Offset(days=0), date(2026, 11, 25), Nation.ENG) == date(2026, 11, 25)


# RULES: RET-01 (working days in the controller's nation)
def test_it_counts_working_days_in_england_past_new_year() -> None:
    # 1 January 2026 (Thursday) is a bank holiday; 2 January is a working day in England:
    # an event on 1 January is due two working days later on Monday 5 January.
    assert cutoff(Offset(working_days=2), date(2026, 1, 5), Nation.ENG) == date(2026, 1, 1)


def test_it_counts_working_days_in_scotland_with_the_second_of_january() -> None:
    # 2 January is a bank holiday in Scotland: only an event on 30 December is due by 5 January.
    assert cutoff(Offset(working_days=2), date(2026, 1, 5), Nation.SCT) == date(2025, 12, 30)


def test_it_cuts_off_two_working_days_back_over_a_weekend() -> None:
    # Monday 23 November 2026 plus two working days is Wednesday 25 November.
    assert cutoff(Offset(working_days=2), date(2026, 11, 25), Nation.ENG) == date(2026, 11, 23)
    # On a Monday, Thursday's event is due (Fri, Mon); Friday's is not.
    assert cutoff(Offset(working_days=2), date(2026, 11, 30), Nation.ENG) == date(2026, 11, 26)


# RULES: RET-01 (months, leap years)
def test_it_takes_the_month_end_days_that_fall_on_a_leap_day() -> None:
    # 29, 30 and 31 January 2024 plus one month are all 29 February 2024.
    assert cutoff(Offset(months=1), date(2024, 2, 29), Nation.ENG) == date(2024, 1, 31)
    assert cutoff(Offset(months=1), date(2024, 2, 28), Nation.ENG) == date(2024, 1, 28)


def test_it_counts_six_months_to_the_day() -> None:
    assert cutoff(Offset(months=6), date(2026, 11, 25), Nation.ENG) == date(2026, 5, 25)


# RULES: RET-01 (years, leap years)
def test_it_makes_a_leap_day_due_on_the_twenty_eighth_of_february() -> None:
    assert due_on(Offset(years=1), date(2024, 2, 29), Nation.ENG) == date(2025, 2, 28)
    assert cutoff(Offset(years=1), date(2025, 2, 28), Nation.ENG) == date(2024, 2, 29)
    assert cutoff(Offset(years=1), date(2025, 2, 27), Nation.ENG) == date(2024, 2, 27)


# RULES: RET-01 ("the end of the year in which", plus N years)
@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2026, 11, 25), date(2019, 12, 31)),
        (date(2026, 12, 30), date(2019, 12, 31)),
        (date(2026, 12, 31), date(2020, 12, 31)),
        (date(2027, 1, 1), date(2020, 12, 31)),
    ],
)
def test_it_cuts_off_at_the_end_of_a_year_six_years_back(today: date, expected: date) -> None:
    assert cutoff(Offset(end_of_year_plus_years=6), today, Nation.ENG) == expected


def test_it_gives_no_cutoff_for_as_soon_as_reasonably_necessary() -> None:
    offset = Offset(as_soon_as_reasonably_necessary=True)
    assert cutoff(offset, date(2026, 11, 25), Nation.ENG) is None
