"""A table's last run in words, and whether rows still to act on are overdue (issue 20),
without a database. RULES: RET-03 (what each run did, evidenced), RET-01 (due rows go on
time), RET-02 (what a hold kept). Today is 25 November 2026."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from dataward.retention.evidence_views import (
    NOT_RUN_YET,
    LastRun,
    Standing,
    did_words,
    held_text,
    standing_of,
)

TODAY = date(2026, 11, 25)


def _last(day: date, status: str = "done", reason: str = "", rows: int = 2) -> LastRun:
    at = datetime(day.year, day.month, day.day, 2, 5, tzinfo=UTC)
    return LastRun("run-1", day, at, status, "delete", rows, 0, reason)


def _standing(
    last: LastRun | None,
    org_day: date | None = None,
    *,
    to_act_on: int = 3,
    as_of: date = TODAY,
) -> Standing:
    """Three rows to act on today; the organisation's latest run is the table's, unless said."""
    return standing_of(
        to_act_on,
        last,
        as_of=as_of,
        today=TODAY,
        org_day=org_day if org_day is not None else (last.day if last else None),
    )


# RULES: RET-03
@pytest.mark.parametrize(
    ("status", "action", "rows", "files", "reason", "words"),
    [
        ("done", "delete", 2, 2, "", "deleted 2 rows and 2 files"),
        ("done", "delete", 1, 0, "", "deleted 1 row"),
        ("done", "anonymise", 3, 0, "", "anonymised 3 rows"),
        ("flagged", "review", 4, 0, "", "flagged for review 4 rows"),
        ("done", "delete", 0, 0, "nothing to act on", "nothing to act on"),
        ("open", "delete", 5, 0, "", "running: 5 rows so far"),
        (
            "waits",
            "delete",
            0,
            0,
            "source ops cannot be reached",
            "waits: source ops cannot be reached",
        ),
        ("needs_decision", "delete", 0, 0, "", "needs decision"),
    ],
)
def test_ret03_a_record_says_what_it_did(
    status: str, action: str, rows: int, files: int, reason: str, words: str
) -> None:
    assert did_words(status, action, rows, files, reason) == words


# RULES: RET-03 (what acting did, not the rule's word: rows anonymised, their files deleted)
@pytest.mark.parametrize(
    ("done", "files", "words"),
    [
        ("anonymised", 2, "anonymised 2 rows; deleted 2 files"),
        ("anonymised", 0, "anonymised 2 rows"),
        ("deleted", 2, "deleted 2 rows and 2 files"),
        (None, 1, "deleted 2 rows and 1 file"),
    ],
)
def test_ret03_a_record_says_what_acting_did_to_its_rows(
    done: str | None, files: int, words: str
) -> None:
    assert did_words("done", "delete", 2, files, "", done) == words


# RULES: RET-02 (what each hold kept, as labels for the evidence and its CSV)
def test_ret02_held_labels_and_counts_in_a_stable_order() -> None:
    held = {"legal_hold:h_1": 1, "complaint_on_case": 2, "live_case": 0}
    assert held_text(held) == "complaint_on_case: 2; legal_hold:h_1: 1"
    assert held_text({}) == ""


# RULES: RET-01 (overdue, with why; never a guess)
def test_ret01_never_run_is_overdue_not_run_yet() -> None:
    assert _standing(None) == Standing(overdue=NOT_RUN_YET)


def test_ret01_nothing_to_act_on_is_neither_overdue_nor_noted() -> None:
    assert _standing(_last(date(2026, 11, 1)), to_act_on=0) == Standing()


def test_ret01_yesterdays_run_done_means_due_today_and_the_days_run_to_come() -> None:
    got = _standing(_last(date(2026, 11, 24)))
    assert got == Standing(note="due today: today's run has not happened yet")


def test_ret01_no_run_since_before_yesterday_is_overdue_with_the_day() -> None:
    got = _standing(_last(date(2026, 11, 20)))
    assert got.overdue == "not run since 20 November 2026"
    assert got.note == ""


def test_ret01_a_run_that_waited_is_overdue_with_its_reason() -> None:
    last = _last(TODAY, "waits", "source ops cannot be reached", rows=0)
    assert _standing(last).overdue == (
        "waits: source ops cannot be reached (the run of 25 November 2026)"
    )
    skipped = _last(date(2026, 11, 24), "skipped", "trigger column missing", rows=0)
    assert "skipped: trigger column missing" in _standing(skipped).overdue


def test_ret01_todays_run_under_way_or_done_is_not_overdue() -> None:
    assert _standing(_last(TODAY, "open")).note == (
        "the run of 25 November 2026 is acting on them now"
    )
    done = _standing(_last(TODAY))
    assert done.overdue == ""
    assert "next run takes them" in done.note


def test_ret01_flagged_for_review_is_not_overdue() -> None:
    got = _standing(_last(date(2026, 11, 1), "flagged"))
    assert got == Standing(note="flagged for review by the run of 1 November 2026")


def test_ret01_a_table_todays_run_left_out_is_overdue() -> None:
    got = _standing(_last(date(2026, 11, 24)), org_day=TODAY)
    assert got.overdue == "not in today's run: last run on 24 November 2026"
    assert _standing(None, org_day=TODAY).overdue.startswith("not in today's run")


def test_ret01_a_look_ahead_is_never_overdue_by_runs() -> None:
    got = _standing(None, as_of=date(2026, 12, 1))
    assert got == Standing(note="a look ahead: the daily runs until 1 December 2026 take them")
