"""UK statutory deadlines and working days (RULES: SAR-01..SAR-04)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from dateutil.relativedelta import relativedelta
from hypothesis import given
from hypothesis import strategies as st

from dataward.calendar import (
    Nation,
    add_working_days,
    is_working_day,
    parse_nation,
    statutory_deadline,
)
from dataward.errors import CalendarError

# RULES.md test vectors: received, nation, extended, due.
VECTORS = [
    (date(2026, 1, 30), "ENG", False, date(2026, 3, 2)),  # SAR-02 + SAR-03: 28 Feb is a Saturday
    (date(2026, 3, 31), "ENG", False, date(2026, 4, 30)),  # SAR-02
    (date(2026, 4, 3), "ENG", False, date(2026, 5, 5)),  # SAR-03: Sunday, then May bank holiday
    (date(2026, 11, 25), "ENG", False, date(2026, 12, 29)),  # SAR-03: substitute Boxing Day
    (date(2026, 12, 1), "ENG", False, date(2027, 1, 4)),
    (date(2026, 12, 1), "SCT", False, date(2027, 1, 5)),  # SAR-03: Scotland's substitute 2 Jan
    (date(2026, 2, 17), "NIR", False, date(2026, 3, 18)),  # SAR-03: St Patrick's Day
    (date(2025, 11, 30), "ENG", True, date(2026, 3, 2)),  # SAR-04
    (date(2028, 1, 31), "ENG", False, date(2028, 2, 29)),  # SAR-02 in a leap year
]


@pytest.mark.parametrize(("received", "nation", "extended", "due"), VECTORS)
def test_it_meets_every_rules_vector(
    received: date, nation: str, extended: bool, due: date
) -> None:
    months = 3 if extended else 1
    assert statutory_deadline(received, Nation(nation), months=months) == due


def test_it_treats_scotlands_second_of_january_as_a_holiday_only_in_scotland() -> None:
    # RULES: SAR-03 — without subdiv the nation's own days would be missing.
    assert not is_working_day(date(2026, 1, 2), Nation.SCT)
    assert is_working_day(date(2026, 1, 2), Nation.ENG)


def test_it_knows_the_twelfth_of_july_in_northern_ireland() -> None:
    assert not is_working_day(date(2027, 7, 12), Nation.NIR)
    assert is_working_day(date(2027, 7, 12), Nation.WLS)


def test_it_adds_working_days_over_a_weekend() -> None:
    # "2 working days after the assessment" on Friday 27 Nov 2026 is Tuesday 1 Dec.
    assert add_working_days(date(2026, 11, 27), 2, Nation.ENG) == date(2026, 12, 1)


def test_it_skips_st_andrews_day_in_scotland_only() -> None:
    assert add_working_days(date(2026, 11, 27), 1, Nation.SCT) == date(2026, 12, 1)
    assert add_working_days(date(2026, 11, 27), 1, Nation.ENG) == date(2026, 11, 30)


def test_it_walks_backwards_with_a_negative_count() -> None:
    assert add_working_days(date(2026, 12, 1), -2, Nation.ENG) == date(2026, 11, 27)


def test_it_rejects_an_unknown_nation() -> None:
    with pytest.raises(CalendarError, match="unknown nation"):
        parse_nation("UK")


def test_it_rejects_a_period_under_one_month() -> None:
    with pytest.raises(CalendarError):
        statutory_deadline(date(2026, 1, 1), Nation.ENG, months=0)


days = st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31))
nations = st.sampled_from(list(Nation))


@given(days, nations, st.sampled_from([1, 3]))
def test_property_the_deadline_is_a_working_day(
    received: date, nation: Nation, months: int
) -> None:
    assert is_working_day(statutory_deadline(received, nation, months), nation)


@given(days, nations, st.sampled_from([1, 3]))
def test_property_the_deadline_is_never_before_the_corresponding_date(
    received: date, nation: Nation, months: int
) -> None:
    due = statutory_deadline(received, nation, months)
    assert due >= received + relativedelta(months=months)
    # and never more than a long holiday run later
    assert due - (received + relativedelta(months=months)) <= timedelta(days=6)


@given(days, days, nations)
def test_property_the_deadline_never_decreases(a: date, b: date, nation: Nation) -> None:
    first, second = sorted((a, b))
    assert statutory_deadline(first, nation) <= statutory_deadline(second, nation)


@given(days, st.integers(min_value=0, max_value=40), nations)
def test_property_working_days_land_on_working_days(start: date, n: int, nation: Nation) -> None:
    end = add_working_days(start, n, nation)
    assert end >= start
    if n:
        assert is_working_day(end, nation)
