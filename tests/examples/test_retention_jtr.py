"""JTR Collections' retention rules on the demo agency's own tables (issue 20), one test per
rule: JTR's own register and the demo's sources file, a few rows with explicit dates, the
clock moved across each due date and across each hold's closing, and exactly the rows that
go checked on each day (RULES: RET-01, RET-02; facts ``retention.t2``..``t10``).

``Sweep.day`` (retention_support) says which rows go on a day: the plan's rows to act on
until the run lands, then the run's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from jtr_agency import FILE, agency, cases, debtors, with_files
from retention_support import Sweep, run_sql
from runs_support import runs
from sqlalchemy import create_engine, text

from dataward.uow import UnitOfWork


# RULES: RET-01 (6 years after the end of the year of the last case returned), RET-02 (a
# live case keeps everything; a new return restarts the clock). Facts retention.t2, t3.
@runs("retention.t3")
def test_it_deletes_a_customers_data_six_years_after_the_year_of_their_last_returned_case(
    uow: UnitOfWork, source_url: str
) -> None:
    sweep = agency(
        uow,
        source_url,
        {
            "debtors": debtors(1, 2, 3),
            "cases": cases(
                (1, 1, date(2019, 11, 30)),  # customer 1: their case back in 2019
                (3, 2, date(2018, 5, 1)),  # customer 2: a case still live
                (4, 2, None),
                (5, 3, date(2019, 6, 1)),  # customer 3: last case back in 2020
                (6, 3, date(2020, 1, 15)),
            ),
            "payments": [
                {"id": i, "case_id": c, "paid_on": date(2017, 1, 1), "amount_pence": 500}
                | {"method": "card"}
                for i, c in ((1, 1), (2, 1), (3, 3), (4, 6))
            ],
            "agent_visits": [
                {"id": 1, "case_id": 1, "visited_at": datetime(2018, 2, 1, 10)}
                | {"agent": "EA1", "outcome": "no answer"},
            ],
            "notes": [
                {"id": 1, "case_id": 3, "written_at": datetime(2018, 2, 1, 10)}
                | {"author": "EA1", "body": "Called."},
            ],
            "complaints": [
                {"id": 1, "case_id": 1, "opened_on": date(2019, 5, 1)}
                | {"closed_on": date(2019, 6, 1), "category": "conduct"},
            ],
        },
    )
    rule = "customer_data"

    day = sweep.day(date(2025, 12, 30))
    assert day.rule(rule).cutoff == date(2018, 12, 31)
    assert day.anonymised(rule, "debtors") == []
    assert day.gone(rule, "cases") == []

    # Customer 1's last case came back in 2019: on 31 Dec 2025 their data goes as the demo's
    # sources file says at the end of the period: payments and complaints deleted, the case
    # and the visit losing their customer, the customer's row anonymised. The children go
    # first (a payment's due date is read through its case), the debtor before its cases
    # (its own due date is read on them).
    day = sweep.day(date(2025, 12, 31))
    assert day.anonymised(rule, "debtors") == [1]
    assert day.gone(rule, "debtors") == []
    assert day.gone(rule, "payments") == [1, 2]
    assert day.anonymised(rule, "cases") == [1]
    assert day.anonymised(rule, "agent_visits") == [1]
    assert day.gone(rule, "complaints") == [1]
    order = [r.table for r in day.records_of(rule) if r.rows]
    assert order == ["payments", "agent_visits", "complaints", "debtors", "cases"]
    # Customer 2's 2018 return is past the threshold, but their live case keeps it all.
    assert day.record(rule, "debtors").held == {"live_case": 1, "event_pending": 1}
    assert day.record(rule, "notes").due == 0

    # The live case comes back in March 2026: the clock restarts from that year.
    run_sql(source_url, "UPDATE cases SET returned_on = :day WHERE id = 4", day=date(2026, 3, 1))
    assert sweep.day(date(2026, 3, 2)).anonymised(rule, "debtors") == []

    assert sweep.day(date(2026, 12, 30)).anonymised(rule, "debtors") == []
    day = sweep.day(date(2026, 12, 31))
    assert day.anonymised(rule, "debtors") == [3]
    # Customer 1's row, anonymised a year ago, is not acted on again: the evidence counts
    # only customer 3's.
    assert day.record(rule, "debtors").rows == 1

    assert sweep.day(date(2032, 12, 30)).anonymised(rule, "debtors") == []
    day = sweep.day(date(2032, 12, 31))
    assert day.anonymised(rule, "debtors") == [2]
    assert day.deleted["debtors"] == day.deleted["cases"] == []


def _recorded(uow: UnitOfWork, url: str, table: str, recordings: list[dict[str, Any]]) -> Sweep:
    """Cases 1 (nothing open), 2 (a complaint open) and 3 (an investigation open)."""
    return agency(
        uow,
        url,
        {
            "debtors": debtors(1),
            "cases": cases((1, 1, None), (2, 1, None), (3, 1, None)),
            table: recordings,
            "complaints": [
                {"id": 1, "case_id": 2, "opened_on": date(2026, 4, 1)}
                | {"closed_on": None, "category": "conduct"},
            ],
            "investigations": [
                {"id": 1, "case_id": 3, "opened_on": date(2026, 4, 1)}
                | {"closed_on": None, "reason": "conduct"},
            ],
        },
    )


# RULES: RET-01 (90 days after the recording), RET-02 (a complaint or investigation on the
# case keeps it; it goes 90 days after the closure). Facts retention.t4, t5, t6.
@runs("retention.t4")
def test_it_deletes_body_worn_video_90_days_after_recording_or_90_days_after_its_hold_closes(
    uow: UnitOfWork, source_url: str
) -> None:
    sweep = _recorded(
        uow,
        source_url,
        "body_worn_video",
        [
            {"id": 1, "case_id": 1, "recorded_at": datetime(2026, 5, 1, 10), **FILE},
            {"id": 2, "case_id": 1, "recorded_at": datetime(2026, 5, 2, 23, 30), **FILE},
            {"id": 3, "case_id": 2, "recorded_at": datetime(2026, 5, 1, 10), **FILE},
            {"id": 4, "case_id": 3, "recorded_at": datetime(2026, 5, 1, 10), **FILE},
        ],
    )
    rule, table = "body_worn_video", "body_worn_video"

    assert sweep.day(date(2026, 7, 29)).gone(rule, table) == []
    day = sweep.day(date(2026, 7, 30))
    assert day.gone(rule, table) == [1]
    assert day.record(rule, table).held == {"complaint_on_case": 1, "investigation_on_case": 1}
    assert sweep.day(date(2026, 7, 31)).gone(rule, table) == [2]

    # The complaint closes on 10 August: its footage goes 90 days later, on 8 November.
    run_sql(source_url, "UPDATE complaints SET closed_on = :day", day=date(2026, 8, 10))
    assert sweep.day(date(2026, 11, 7)).gone(rule, table) == []
    assert sweep.day(date(2026, 11, 8)).gone(rule, table) == [3]

    # The investigation closes on 10 November: its footage goes on 8 February.
    run_sql(source_url, "UPDATE investigations SET closed_on = :day", day=date(2026, 11, 10))
    assert sweep.day(date(2027, 2, 7)).gone(rule, table) == []
    assert sweep.day(date(2027, 2, 8)).gone(rule, table) == [4]


# RULES: RET-01 (30 days after the call), RET-02 (a complaint or investigation keeps it; it
# goes 90 days after the closure). Facts retention.t7, t8.
@runs("retention.t7")
def test_it_deletes_call_recordings_30_days_after_the_call_or_90_days_after_its_hold_closes(
    uow: UnitOfWork, source_url: str
) -> None:
    call = {"caller_number": "07700900123", "direction": "in", "duration_seconds": 60, **FILE}
    sweep = _recorded(
        uow,
        source_url,
        "call_recordings",
        [
            {"id": 1, "case_id": 1, "recorded_at": datetime(2026, 10, 1, 9), **call},
            {"id": 2, "case_id": 2, "recorded_at": datetime(2026, 10, 1, 9), **call},
            {"id": 3, "case_id": 3, "recorded_at": datetime(2026, 10, 1, 9), **call},
        ],
    )
    rule, table = "call_recordings", "call_recordings"

    assert sweep.day(date(2026, 10, 30)).gone(rule, table) == []
    assert sweep.day(date(2026, 10, 31)).gone(rule, table) == [1]

    run_sql(source_url, "UPDATE complaints SET closed_on = :day", day=date(2026, 11, 15))
    run_sql(source_url, "UPDATE investigations SET closed_on = :day", day=date(2026, 11, 16))
    assert sweep.day(date(2027, 2, 12)).gone(rule, table) == []
    assert sweep.day(date(2027, 2, 13)).gone(rule, table) == [2]
    assert sweep.day(date(2027, 2, 14)).gone(rule, table) == [3]


# RULES: RET-01 (2 working days after the assessment, in England: Christmas and the Boxing
# Day substitute are not working days). Fact retention.t10.
@runs("retention.t10")
def test_it_deletes_new_occupier_evidence_files_two_english_working_days_after_its_assessment(
    uow: UnitOfWork, source_url: str, tmp_path: Path
) -> None:
    """ "All photos or scanned documents will be deleted 2 working days after completion of
    the assessment": the files go, the record that the evidence came and was assessed stays
    (its path emptied, the assessment still pointing at it)."""
    files = tmp_path / "files"
    sweep = _new_occupiers(uow, source_url, files=files)
    rule, table = "new_occupier_evidence", "new_occupier_evidence"
    on_disk = {i: files / f"{table}/{i}.pdf" for i in (1, 2, 3)}

    # Thursday 24 December: Friday is Christmas Day, Monday 28th the Boxing Day holiday.
    day = sweep.day(date(2026, 12, 29))
    assert day.anonymised(rule, table) == []
    assert all(path.exists() for path in on_disk.values())

    day = sweep.day(date(2026, 12, 30))
    assert day.anonymised(rule, table) == [1]
    assert day.deleted[table] == day.deleted["assessments"] == []
    assert day.record(rule, table).files == 1
    assert [i for i, path in on_disk.items() if path.exists()] == [2, 3]
    assert _evidence_files(source_url) == {1: (None, None), 2: (f"{table}/2.pdf", 4)} | {
        3: (f"{table}/3.pdf", 4)
    }

    day = sweep.day(date(2026, 12, 31))
    assert day.anonymised(rule, table) == [3]
    assert day.record(rule, table).files == 1
    assert [i for i, path in on_disk.items() if path.exists()] == [2]

    # Evidence 2 was never assessed: its scan stays; evidence 1 and 3, emptied already, are
    # done, not due again.
    day = sweep.day(date(2027, 6, 1))
    assert day.anonymised(rule, table) == []
    assert day.record(rule, table).due == 0
    assert on_disk[2].exists()
    assert _evidence_files(source_url) == {
        1: (None, None),
        2: (f"{table}/2.pdf", 4),
        3: (None, None),
    }
    assert day.deleted[table] == day.deleted["assessments"] == []


def _evidence_files(url: str) -> dict[int, tuple[str | None, int | None]]:
    """Each evidence row's path and size (the row itself is never deleted here)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT id, file_path, size_bytes FROM new_occupier_evidence ORDER BY id")
            )
            return {int(i): (path, size) for i, path, size in rows}
    finally:
        engine.dispose()


def _evidence_deleted_whole(document: dict[str, Any]) -> None:
    """A sources file that deletes the evidence row whole at the end of its period."""
    for binding in document["datasets"]["new_occupier_evidence"]:
        if binding["table"] == "new_occupier_evidence":
            binding["columns"] = {"file_path": {"erasure": "delete_row"}}


# RULES: RET-01, RET-03 (the run says what it did not do). Issue 20: rows other rows point at.
def test_a_delete_refused_because_other_rows_point_at_the_rows_is_skipped_in_plain_words(
    uow: UnitOfWork, source_url: str
) -> None:
    """A sources file that deletes the evidence row whole: an assessment points at the
    evidence it assessed (a foreign key) and no rule deletes it first, so the source refuses
    the evidence's delete, on SQLite as on PostgreSQL, and the run records the binding
    skipped, saying why; nothing of it changes."""
    sweep = _new_occupiers(uow, source_url, edit=_evidence_deleted_whole)
    day = sweep.day(date(2026, 12, 30))
    found = day.record("new_occupier_evidence", "new_occupier_evidence")
    assert (found.status, found.due, found.rows) == ("skipped", 1, 0)
    assert "rows other rows point at (foreign key)" in found.reason
    assert day.deleted["new_occupier_evidence"] == day.deleted["assessments"] == []
    assert day.changed["new_occupier_evidence"] == []


def _new_occupiers(
    uow: UnitOfWork,
    source_url: str,
    *,
    files: Path | None = None,
    edit: Callable[[dict[str, Any]], None] | None = None,
) -> Sweep:
    """New occupier 1's evidence 1, 2 and 3; 1 assessed on Thursday 24 December 2026, 3 on
    Tuesday 29 December, 2 not yet. With ``files``, each evidence's scan is in it."""
    occupier = {
        "case_id": 1,
        "title": "Mx",
        "first_name": "N",
        "last_name": "O",
        "address_line1": "1 High Street",
        "town": "Leeds",
        "postcode": "LS1 1AA",
        "reported_on": date(2026, 12, 1),
    }
    evidence = {"new_occupier_id": 1, "received_on": date(2026, 12, 2), "kind": "lease"}
    assessed = {"assessor": "back office", "outcome": "accepted"}
    evidence_rows = [{"id": i, "channel": "post", **evidence, **FILE} for i in (1, 2, 3)]
    if files is not None:
        evidence_rows = with_files(files, evidence_rows, "new_occupier_evidence")
    return agency(
        uow,
        source_url,
        {
            "debtors": debtors(1),
            "cases": cases((1, 1, None)),
            "new_occupiers": [{"id": 1, "occupier_ref": "N1", **occupier}],
            "new_occupier_evidence": evidence_rows,
            # Evidence 2 is not assessed yet: it never falls due by date.
            "assessments": [
                {"id": 1, "evidence_id": 1, "assessed_at": datetime(2026, 12, 24, 15), **assessed},
                {"id": 2, "evidence_id": 3, "assessed_at": datetime(2026, 12, 29, 9), **assessed},
            ],
        },
        files=files,
        edit=edit,
    )


# RULES: RET-01; reported, never guessed. Fact retention.t9.
@runs("retention.t9")
def test_it_lists_vulnerability_evidence_as_needing_a_decision_and_deletes_none(
    uow: UnitOfWork, source_url: str
) -> None:
    """The notice says "as soon as reasonably necessary": no period to count, so the plan
    asks for a decision and nothing goes, however long ago the assessment was."""
    sweep = agency(
        uow,
        source_url,
        {
            "debtors": debtors(1),
            "cases": cases((1, 1, None)),
            "vulnerability_evidence": [
                {"id": 1, "debtor_id": 1, "case_id": 1, "received_on": date(2020, 1, 1)}
                | {"kind": "medical letter", "assessed_at": datetime(2020, 1, 2, 9), **FILE},
            ],
        },
    )
    day = sweep.day(date(2026, 11, 25))
    rule = day.rule("vulnerability_evidence")
    assert rule.status == "needs_decision"
    assert "as soon as reasonably necessary" in rule.reason
    assert rule.datasets == []
    assert [(r.dataset, r.status, r.rows) for r in day.records_of("vulnerability_evidence")] == [
        ("", "needs_decision", 0)
    ]
    assert day.deleted["vulnerability_evidence"] == []
