"""Johnnie Johnson Housing's retention rules on its own housing database (issue 20), one test
per rule: JJH's own register and the sources file `dataward examples data --org jjh` writes,
a few rows with explicit dates, the clock moved across each due date and each hold's
closing, and exactly the rows that go checked on each day (RULES: RET-01, RET-02; facts
``retention.r1``..``r10``).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from retention_support import (
    Sweep,
    fill,
    run_sql,
    store_sources_document,
)
from runs_support import EXAMPLES, JJH, runs, store_example

from dataward.demo import housing
from dataward.demo.example_data import shape_of, sources_document
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.uow import UnitOfWork

ORG = "johnnie_johnson_housing"
_TENANT = {"full_name": "T", "phone": "07700900001", "date_of_birth": date(1970, 1, 1)}


def _housing(
    uow: UnitOfWork,
    url: str,
    folder: Path,
    rows: dict[str, list[dict[str, Any]]],
    *,
    register: Path | None = None,
) -> Sweep:
    """JJH's housing database holding ``rows``; its register (or a copy of it) and the
    sources file `dataward examples data` writes, stored."""
    fill(url, housing.metadata, rows)
    if register is None:
        store_example(uow, JJH)
    else:
        store_register(uow, load_register(register), actor="test")
    document = sources_document(shape_of("jjh"), EXAMPLES)
    store_sources_document(uow, ORG, document)
    return Sweep(uow, ORG, {"JJH_HOUSING_DB_URL": url, "JJH_FILES_DIR": str(folder)})


def _calls() -> dict[str, list[dict[str, Any]]]:
    called = [datetime(2026, 1, 15, 10), datetime(2026, 1, 31, 16), datetime(2025, 8, 31, 9)]
    return {
        "calls": [
            {"id": i, "caller_number": "07700900001", "called_at": at, "recording_path": "x"}
            for i, at in enumerate(called, start=1)
        ]
    }


# RULES: RET-01; reported, never guessed. Fact retention.r1.
@runs("retention.r1")
def test_it_asks_when_the_six_months_of_a_call_recording_start(
    uow: UnitOfWork, source_url: str, tmp_path: Path
) -> None:
    """The notice says "we keep call recordings for 6 months" and never from when; the
    register leaves the start to the DPO, so the plan asks and nothing goes."""
    sweep = _housing(uow, source_url, tmp_path, _calls())
    day = sweep.day(date(2027, 6, 1))
    rule = day.rule("call_recordings")
    assert rule.status == "needs_decision"
    assert rule.reason == "the notice gives no event that starts the period"
    assert [(r.status, r.rows) for r in day.records_of("call_recordings")] == [
        ("needs_decision", 0)
    ]
    assert day.deleted["calls"] == []


# RULES: RET-01 (6 calendar months, a month's end kept). Fact retention.r1, once the DPO
# confirms the call as the start: a copy of the register saying so.
def test_it_deletes_call_recordings_six_months_after_the_call_once_the_start_is_decided(
    uow: UnitOfWork, source_url: str, tmp_path: Path
) -> None:
    text = (EXAMPLES / JJH.register_file).read_text(encoding="utf-8")
    unstated = 'trigger: {unspecified: "the call, implied; not stated"}'
    assert text.count(unstated) == 1
    decided = tmp_path / "jjh-decided.yaml"
    decided.write_text(text.replace(unstated, "trigger: {any_of: [call_recorded]}"), "utf-8")
    sweep = _housing(uow, source_url, tmp_path, _calls(), register=decided)
    rule, table = "call_recordings", "calls"

    assert sweep.day(date(2026, 2, 27)).gone(rule, table) == []
    assert sweep.day(date(2026, 2, 28)).gone(rule, table) == [3]  # 31 August + 6 months
    assert sweep.day(date(2026, 7, 14)).gone(rule, table) == []
    assert sweep.day(date(2026, 7, 15)).gone(rule, table) == [1]
    assert sweep.day(date(2026, 7, 30)).gone(rule, table) == []
    assert sweep.day(date(2026, 7, 31)).gone(rule, table) == [2]


# RULES: RET-01 (30 days after recording), RET-02 (kept while needed as evidence; the notice
# gives no end, so once released the rule resumes). Facts retention.r4, r5.
@runs("retention.r4", "retention.r5")
def test_it_deletes_cctv_footage_after_30_days_unless_kept_as_evidence(
    uow: UnitOfWork, source_url: str, tmp_path: Path
) -> None:
    recorded = [datetime(2026, 5, 1, 8), datetime(2026, 5, 1, 8), datetime(2026, 5, 2, 22)]
    sweep = _housing(
        uow,
        source_url,
        tmp_path,
        {
            "cctv_clips": [
                {"id": i, "site": "Elm Court", "camera": "CAM-1", "recorded_at": at}
                | {"file_path": "x"}
                for i, at in enumerate(recorded, start=1)
            ],
            "cctv_evidence": [
                {"id": 1, "clip_id": 2, "kept_on": date(2026, 5, 10), "released_on": None}
                | {"reason": "police request"},
            ],
        },
    )
    rule, table = "cctv_footage", "cctv_clips"

    assert sweep.day(date(2026, 5, 30)).gone(rule, table) == []
    day = sweep.day(date(2026, 5, 31))
    assert day.gone(rule, table) == [1]
    assert day.record(rule, table).held == {"cctv_evidence": 1}
    assert sweep.day(date(2026, 6, 1)).gone(rule, table) == [3]
    assert sweep.day(date(2026, 6, 30)).gone(rule, table) == []

    run_sql(source_url, "UPDATE cctv_evidence SET released_on = :day", day=date(2026, 7, 1))
    day = sweep.day(date(2026, 7, 1))
    assert day.gone(rule, table) == [2]
    # Its evidence record goes with it, first: it points at the clip (a foreign key).
    assert day.gone(rule, "cctv_evidence") == [1]
    assert [r.table for r in day.records_of(rule) if r.rows] == ["cctv_evidence", table]


# RULES: RET-01 (up to three years from the day the image is taken). Facts retention.r2 (and
# r3, a notice fact: a publication's copies circulate longer, JJH's own does not).
@runs("retention.r2")
def test_it_deletes_photographs_three_years_after_they_are_taken_published_or_not(
    uow: UnitOfWork, source_url: str, tmp_path: Path
) -> None:
    taken = [
        (date(2023, 6, 1), None),
        (date(2023, 6, 1), "Annual report"),
        (date(2024, 2, 29), None),
    ]
    sweep = _housing(
        uow,
        source_url,
        tmp_path,
        {
            "photos": [
                {"id": i, "subject_name": "P", "taken_on": on, "published_in": used}
                | {"file_path": "x"}
                for i, (on, used) in enumerate(taken, start=1)
            ]
        },
    )
    rule, table = "publication_images", "photos"

    assert sweep.day(date(2026, 5, 31)).gone(rule, table) == []
    day = sweep.day(date(2026, 6, 1))
    assert day.gone(rule, table) == [1, 2]
    assert day.record(rule, table).held == {}
    assert sweep.day(date(2027, 2, 27)).gone(rule, table) == []
    assert sweep.day(date(2027, 2, 28)).gone(rule, table) == [3]  # a leap day + 3 years


# RULES: RET-01 (six years after the tenancy ends), RET-02 (an outstanding debt or another
# legal matter keeps it; the notice gives no end, so once closed the rule resumes).
# Facts retention.r6, r7, r9.
@runs("retention.r6", "retention.r7", "retention.r9")
def test_it_deletes_tenancy_records_six_years_after_the_tenancy_ends_unless_debt_is_outstanding(
    uow: UnitOfWork, source_url: str, tmp_path: Path
) -> None:
    ended = date(2020, 3, 31)
    sweep = _housing(
        uow,
        source_url,
        tmp_path,
        {
            "tenants": [{"id": i, "tenant_ref": f"JJH-T-{i}", **_TENANT} for i in (1, 2, 3)],
            "tenancies": [
                {"id": i, "tenant_id": t, "address": "1 Elm Court", "started_on": date(2015, 1, 1)}
                | {"ended_on": end}
                for i, t, end in ((1, 1, ended), (2, 2, ended), (3, 3, ended), (4, 1, None))
            ],
            "rent_transactions": [
                {"id": i, "tenancy_id": t, "posted_on": date(2019, 1, 1), "amount_pence": 40_000}
                for i, t in ((1, 1), (2, 2), (3, 4))
            ],
            "repairs": [
                {"id": 1, "tenancy_id": 3, "reported_on": date(2019, 1, 1)}
                | {"description": "Boiler not heating water."},
            ],
            "debts": [
                {"id": 1, "tenancy_id": 2, "raised_on": ended, "cleared_on": None}
                | {"amount_pence": 90_000},
            ],
            "legal_matters": [
                {"id": 1, "tenancy_id": 3, "opened_on": ended, "closed_on": None}
                | {"matter": "disrepair claim"},
            ],
        },
    )
    rule = "tenancy_records"

    day = sweep.day(date(2026, 3, 30))
    assert (day.gone(rule, "tenancies"), day.gone(rule, "rent_transactions")) == ([], [])
    day = sweep.day(date(2026, 3, 31))
    assert day.gone(rule, "tenancies") == [1]
    assert day.gone(rule, "rent_transactions") == [1]
    assert day.gone(rule, "repairs") == []
    assert day.record(rule, "tenancies").held == {"tenancy_debt": 1, "tenancy_legal_matter": 1}
    # The tenant's own row names no tenancy: the plan says so rather than guess (a tenant
    # may have a tenancy still running, tenancy 4 here).
    assert day.record(rule, "tenants").status == "skipped"
    # Paper tenancy files are destroyed by hand: the plan lists them, never guesses.
    files = day.rule("tenancy_files")
    assert [(d.dataset, d.status) for d in files.datasets] == [
        ("tenancy_files", "searched_by_hand")
    ]

    run_sql(source_url, "UPDATE debts SET cleared_on = :day", day=date(2026, 5, 1))
    day = sweep.day(date(2026, 5, 1))
    assert day.gone(rule, "tenancies") == [2]
    assert day.gone(rule, "rent_transactions") == [2]
    assert day.gone(rule, "debts") == [1]  # the cleared debt goes with its tenancy

    run_sql(source_url, "UPDATE legal_matters SET closed_on = :day", day=date(2026, 6, 1))
    day = sweep.day(date(2026, 6, 1))
    assert day.gone(rule, "tenancies") == [3]
    assert day.gone(rule, "repairs") == [1]
    assert day.gone(rule, "legal_matters") == [1]
    # Every row pointing at the tenancy went before it (a foreign key refuses otherwise).
    went = [r.table for r in day.records_of(rule) if r.rows]
    assert went == ["repairs", "legal_matters", "tenancies"]
    assert day.gone(rule, "rent_transactions") == []


# RULES: RET-01. Fact retention.r10.
@runs("retention.r10")
def test_it_plans_nothing_for_card_details_which_are_never_stored(
    uow: UnitOfWork, source_url: str, tmp_path: Path
) -> None:
    sweep = _housing(uow, source_url, tmp_path, {})
    day = sweep.day(date(2026, 6, 1))
    rule = day.rule("card_details")
    assert (rule.status, rule.datasets) == ("never_stored", [])
    document = sources_document(shape_of("jjh"), EXAMPLES)
    categories = {
        column.get("category")
        for bindings in document["datasets"].values()
        for binding in bindings
        for column in binding.get("columns", {}).values()
    }
    assert "card_details" not in categories
