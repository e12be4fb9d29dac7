"""Which reminder a request has earned on a day, and the setting that says when (issue 16).

Calendar days, as documented in docs/requests.md; dates are explicit.
"""

from __future__ import annotations

from datetime import date

import pytest

from dataward.requests.errors import RemindersInvalid
from dataward.requests.reminders import kind_for, reminder_days, reminder_due, when_words

DUE = date(2026, 7, 1)


@pytest.mark.parametrize(
    ("today", "kind"),
    [
        (date(2026, 6, 1), None),
        (date(2026, 6, 23), None),  # 8 days left
        (date(2026, 6, 24), "due_in_7_days"),
        (date(2026, 6, 29), "due_in_7_days"),  # 2 days left
        (date(2026, 6, 30), "due_tomorrow"),
        (date(2026, 7, 1), "due_tomorrow"),  # due today: still the 1-day window
        (date(2026, 7, 2), "overdue"),
        (date(2027, 1, 1), "overdue"),
    ],
)
def test_it_picks_the_smallest_window_reached(today: date, kind: str | None) -> None:
    assert reminder_due(DUE, today, (1, 7)) == kind


def test_other_windows_name_their_days() -> None:
    assert reminder_due(DUE, date(2026, 6, 20), (3, 14)) == "due_in_14_days"
    assert reminder_due(DUE, date(2026, 6, 28), (3, 14)) == "due_in_3_days"
    assert kind_for(1) == "due_tomorrow"
    assert reminder_due(DUE, date(2026, 6, 30), ()) is None


def test_the_message_says_how_near_in_words() -> None:
    assert when_words(DUE, date(2026, 6, 24)) == "is due in 7 days"
    assert when_words(DUE, date(2026, 6, 30)) == "is due tomorrow"
    assert when_words(DUE, DUE) == "is due today"
    assert when_words(DUE, date(2026, 7, 2)) == "is overdue by 1 day"
    assert when_words(DUE, date(2026, 7, 4)) == "is overdue by 3 days"


def test_the_setting_reads_as_days_smallest_first() -> None:
    assert reminder_days("7,1") == (1, 7)
    assert reminder_days(" 14 , 3,3, ") == (3, 14)
    assert reminder_days("") == ()


@pytest.mark.parametrize(
    ("value", "words"),
    [("7,soon", "whole numbers"), ("0", "between 1 and 60"), ("61", "between 1 and 60")],
)
def test_a_bad_setting_is_refused_with_a_code(value: str, words: str) -> None:
    with pytest.raises(RemindersInvalid, match=words) as refused:
        reminder_days(value)
    assert refused.value.code == "request_reminders_invalid"
