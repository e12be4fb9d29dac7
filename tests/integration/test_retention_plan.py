"""The retention plan (RULES: RET-01, RET-02, RES-01, ERA-02) on the demo agency's schema, with
JTR Collections' own register and rules, and rows with explicit dates. Today is 25 November
2026 (the ``clock`` fixture).

JTR's rules and their cutoffs today: BWV 90 days (recorded on or before 27 August 2026), call
recordings 30 days (26 October 2026), customer data 6 years after the end of the year of the
last returned case (returned in 2019 or before), new occupiers' evidence 2 working days after
the assessment (23 November 2026), vulnerability evidence "as soon as reasonably necessary"
(needs a decision).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import create_engine, text

from dataward.clock import FixedClock
from dataward.consent.objections import lift_restriction, restrict, tell_before_lifting
from dataward.demo import schema
from dataward.demo.sources import OPERATIONAL_URL_FROM, sources_document
from dataward.holds.service import NewHold, close_hold, place_hold
from dataward.publication.registers import store_register
from dataward.publication.sources import store_sources
from dataward.register.loader import load_register
from dataward.retention import sql as retention_sql
from dataward.retention import sql_queries
from dataward.retention.errors import RetentionInvalid
from dataward.retention.plan import (
    EVENT_PENDING,
    RESTRICTION,
    BindingPlan,
    RetentionPlan,
    organisation_of,
    plan_retention,
)
from dataward.sources.connectors.sql import SqlConnector
from dataward.sources.loader import parse_sources
from dataward.subjects.models import Subject
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork

JTR = Path(__file__).parents[2] / "examples" / "jtr-collections.yaml"
ORG = "jtr_collections"


@dataclass
class Agency:
    url: str
    env: dict[str, str]


def _people(conn: Any) -> None:
    conn.execute(schema.clients.insert(), [{"id": 1, "name": "Council", "kind": "council"}])
    debtor = {
        "title": "Mx",
        "first_name": "A",
        "last_name": "B",
        "date_of_birth": date(1980, 1, 1),
        "address_line1": "1 Street",
        "town": "Town",
        "postcode": "AB1 2CD",
        "vulnerable": False,
        "created_on": date(2015, 1, 1),
    }
    conn.execute(
        schema.debtors.insert(),
        [{"id": i, "customer_ref": f"C{i}", **debtor} for i in range(1, 5)],
    )
    case = {"client_id": 1, "debt_type": "council tax", "amount_pence": 100, "status": "x"}
    returned = {
        1: (1, date(2018, 5, 1)),  # debtor 1: only case returned in 2018: due
        2: (2, date(2019, 3, 1)),  # debtor 2: a later case returned in 2022: not due
        3: (2, date(2022, 1, 1)),
        4: (3, date(2017, 1, 1)),  # debtor 3: a live case (5): held
        5: (3, None),
        6: (4, date(2026, 10, 1)),  # debtor 4: returned this year
    }
    conn.execute(
        schema.cases.insert(),
        [
            {
                "id": i,
                "case_ref": f"CASE{i}",
                "debtor_id": debtor_id,
                "opened_on": date(2015, 1, 1),
                "returned_on": day,
                **case,
            }
            for i, (debtor_id, day) in returned.items()
        ],
    )


def _recordings(conn: Any) -> None:
    files = {"file_path": "x", "size_bytes": 1}
    bwv = [
        (1, 1, datetime(2026, 8, 1, 10)),  # due; a legal hold on CASE1 where a test places one
        (2, 6, datetime(2026, 8, 27, 18)),  # due on the cutoff day; complaint open on case 6
        (3, 6, datetime(2026, 8, 28, 0)),  # due tomorrow
        (4, 2, datetime(2026, 6, 1, 9)),  # due; investigation closed 1 Oct (< 90 days ago)
        (5, 3, datetime(2026, 5, 1, 9)),  # due; complaint closed 1 July (> 90 days ago)
    ]
    conn.execute(
        schema.body_worn_video.insert(),
        [{"id": i, "case_id": c, "recorded_at": at, **files} for i, c, at in bwv],
    )
    calls = [
        (1, 4, datetime(2026, 10, 26, 10)),  # due on the cutoff day
        (2, 4, datetime(2026, 10, 27, 10)),  # due tomorrow
        (3, 6, datetime(2026, 9, 1, 10)),  # due; complaint open on case 6
    ]
    conn.execute(
        schema.call_recordings.insert(),
        [
            {
                "id": i,
                "case_id": c,
                "recorded_at": at,
                "caller_number": "07700900000",
                "direction": "in",
                "duration_seconds": 60,
                **files,
            }
            for i, c, at in calls
        ],
    )
    complaints = [
        (1, 6, date(2026, 9, 1), None),
        (2, 3, date(2026, 6, 1), date(2026, 7, 1)),
    ]
    conn.execute(
        schema.complaints.insert(),
        [
            {"id": i, "case_id": c, "opened_on": o, "closed_on": x, "category": "conduct"}
            for i, c, o, x in complaints
        ],
    )
    conn.execute(
        schema.investigations.insert(),
        [
            {
                "id": 1,
                "case_id": 2,
                "opened_on": date(2026, 5, 1),
                "closed_on": date(2026, 10, 1),
                "reason": "conduct",
            },
        ],
    )


def _occupiers(conn: Any) -> None:
    conn.execute(
        schema.new_occupiers.insert(),
        [
            {
                "id": 1,
                "occupier_ref": "N1",
                "case_id": 6,
                "title": "Mx",
                "first_name": "N",
                "last_name": "O",
                "address_line1": "1 Street",
                "town": "Town",
                "postcode": "AB1 2CD",
                "reported_on": date(2026, 11, 1),
            }
        ],
    )
    evidence = {"new_occupier_id": 1, "received_on": date(2026, 11, 2), "kind": "lease"}
    conn.execute(
        schema.new_occupier_evidence.insert(),
        [{"id": i, "channel": "post", "file_path": "x", **evidence} for i in (1, 2)],
    )
    conn.execute(
        schema.assessments.insert(),
        [
            # Monday 23 November + 2 working days = today: due. Tuesday 24th: not yet.
            {
                "id": 1,
                "evidence_id": 1,
                "assessed_at": datetime(2026, 11, 23, 15),
                "assessor": "x",
                "outcome": "ok",
            },
            {
                "id": 2,
                "evidence_id": 2,
                "assessed_at": datetime(2026, 11, 24, 9),
                "assessor": "x",
                "outcome": "ok",
            },
        ],
    )


def _agency(folder: Path) -> Agency:
    url = f"sqlite:///{folder / 'agency.db'}"
    engine = create_engine(url)
    try:
        schema.metadata.create_all(engine)
        with engine.begin() as conn:
            _people(conn)
            _recordings(conn)
            _occupiers(conn)
    finally:
        engine.dispose()
    return Agency(url, {OPERATIONAL_URL_FROM: url})


def _store(uow: UnitOfWork, *, customers_events: bool = True, register: Path = JTR) -> None:
    loaded = load_register(register)
    store_register(uow, loaded, actor="test")
    document = sources_document(
        organisation=ORG,
        files_dir=None,
        register_datasets={d.id for d in loaded.register.datasets},
    )
    if not customers_events:
        # The demo binds JTR's case return and live case on the debtor's row (read on the
        # debtor's cases); without them the customer rule cannot be planned on debtors.
        debtors = document["datasets"]["customers"][0]
        del debtors["events"], debtors["holds"]
    text_ = yaml.safe_dump(document, sort_keys=False)
    store_sources(uow, parse_sources(text_, "jtr-sources.yaml"), organisation=ORG, actor="dpo")


def _binding(plan: RetentionPlan, rule: str, dataset: str, table: str | None = None) -> BindingPlan:
    found = next(r for r in plan.rules if r.rule == rule)
    data = next(d for d in found.datasets if d.dataset == dataset)
    return next(b for b in data.bindings if table is None or b.table == table)


@pytest.fixture
def agency(tmp_path: Path) -> Agency:
    return _agency(tmp_path)


# RULES: RET-01, RET-02
def test_it_plans_body_worn_video_ninety_days_with_complaint_and_investigation_holds(
    uow: UnitOfWork, agency: Agency
) -> None:
    _store(uow)
    plan = plan_retention(uow, ORG, env=agency.env)
    rule = next(r for r in plan.rules if r.rule == "body_worn_video")
    assert rule.cutoff == date(2026, 8, 27)
    bwv = _binding(plan, "body_worn_video", "body_worn_video")
    assert bwv.status == "planned"
    assert bwv.due == 4
    assert bwv.held == {"complaint_on_case": 1, "investigation_on_case": 1}
    assert bwv.held_any == 2
    assert bwv.to_act_on == 2
    assert bwv.next_due == [(date(2026, 11, 26), 1)]
    assert len(bwv.sample) == 2
    assert all(len(digest) == 32 for digest in bwv.sample)
    assert "recorded_at <" in bwv.due_sql


# RULES: RET-01, RET-02
def test_it_plans_call_recordings_thirty_days(uow: UnitOfWork, agency: Agency) -> None:
    _store(uow)
    plan = plan_retention(uow, ORG, env=agency.env)
    calls = _binding(plan, "call_recordings", "call_recordings")
    assert (calls.due, calls.held_any, calls.to_act_on) == (2, 1, 1)
    assert calls.held["complaint_on_case"] == 1
    assert calls.next_due == [(date(2026, 11, 26), 1)]


# RULES: RET-01 (the latest such event of the entity), RET-02 (a live case)
def test_it_plans_customers_six_years_after_the_year_of_the_last_returned_case(
    uow: UnitOfWork, agency: Agency
) -> None:
    _store(uow)
    plan = plan_retention(uow, ORG, env=agency.env)
    rule = next(r for r in plan.rules if r.rule == "customer_data")
    assert rule.cutoff == date(2019, 12, 31)
    debtors = _binding(plan, "customer_data", "customers")
    # Debtors 1 and 3: every returned case in 2019 or before; debtor 3 has a live case.
    assert (debtors.due, debtors.held_any, debtors.to_act_on) == (2, 1, 1)
    assert debtors.held == {"live_case": 1, EVENT_PENDING: 1}
    cases = _binding(plan, "customer_data", "cases")
    # Cases 1 and 4 (case 2's customer had a case returned in 2022); case 4's customer has
    # a case still to return.
    assert (cases.due, cases.held_any, cases.to_act_on) == (2, 1, 1)
    assert cases.held[EVENT_PENDING] == 1
    assert cases.held["live_case"] == 0


# RULES: RET-01 (the latest returned case, read through the payment's case), RET-02
def test_it_plans_payments_through_their_case(uow: UnitOfWork, agency: Agency) -> None:
    engine = create_engine(agency.url)
    with engine.begin() as conn:
        conn.execute(
            schema.payments.insert(),
            [
                {"id": i, "case_id": c, "paid_on": date(2016, 6, 1), "amount_pence": 100}
                | {"method": "card"}
                for i, c in ((1, 1), (2, 2), (3, 4), (4, 5), (5, 1))
            ],
        )
    engine.dispose()
    _store(uow)
    plan = plan_retention(uow, ORG, env=agency.env)
    payments = _binding(plan, "customer_data", "payments")
    # Case 1's two payments are due; case 4's is due but its debtor has a live case (5);
    # case 2's debtor had a case returned in 2022, and case 5 is live.
    assert (payments.status, payments.due, payments.held_any, payments.to_act_on) == (
        "planned",
        3,
        1,
        2,
    )
    assert payments.held == {"live_case": 0, EVENT_PENDING: 1}
    assert "trigger read on the case (cases)" in payments.notes
    assert "case_ref" in payments.due_sql


# RULES: RET-01 (working days in the controller's nation)
def test_it_plans_new_occupier_evidence_two_working_days_after_assessment(
    uow: UnitOfWork, agency: Agency
) -> None:
    _store(uow)
    plan = plan_retention(uow, ORG, env=agency.env)
    rule = next(r for r in plan.rules if r.rule == "new_occupier_evidence")
    assert rule.cutoff == date(2026, 11, 23)
    evidence = _binding(
        plan, "new_occupier_evidence", "new_occupier_evidence", "new_occupier_evidence"
    )
    assert (evidence.due, evidence.to_act_on) == (1, 1)
    occupiers = _binding(plan, "new_occupier_evidence", "new_occupier_evidence", "new_occupiers")
    assert (occupiers.status, occupiers.reason) == ("skipped", "trigger not bound")


# Reported, never guessed
def test_it_lists_a_vague_period_as_needing_a_decision(uow: UnitOfWork, agency: Agency) -> None:
    _store(uow)
    plan = plan_retention(uow, ORG, env=agency.env)
    rule = next(r for r in plan.rules if r.rule == "vulnerability_evidence")
    assert rule.status == "needs_decision"
    assert "as soon as reasonably necessary" in rule.reason
    assert rule.datasets == []


def test_it_reports_data_not_bound_and_triggers_not_bound(uow: UnitOfWork, agency: Agency) -> None:
    _store(uow, customers_events=False)
    plan = plan_retention(uow, ORG, env=agency.env)
    rule = next(r for r in plan.rules if r.rule == "customer_data")
    status = {d.dataset: d.status for d in rule.datasets}
    assert status["customers"] == "trigger_not_bound"
    # A payment names its case, whose own binding binds the return: read there.
    assert status["payments"] == "bound"
    assert status["portal_accounts"] == "searched_by_hand"
    assert status["cases"] == "bound"


def test_it_makes_a_rule_wait_when_its_source_is_down(uow: UnitOfWork, agency: Agency) -> None:
    _store(uow)
    plan = plan_retention(uow, ORG, env={})  # the connection's URL is not set
    bwv = _binding(plan, "body_worn_video", "body_worn_video")
    assert bwv.status == "waits"
    assert "cannot be reached" in bwv.reason
    assert next(r for r in plan.rules if r.rule == "vulnerability_evidence").status == (
        "needs_decision"
    )


def test_it_skips_a_binding_whose_trigger_holds_non_dates(uow: UnitOfWork, agency: Agency) -> None:
    engine = create_engine(agency.url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE body_worn_video SET recorded_at = 'not a date' WHERE id = 1"))
    engine.dispose()
    _store(uow)
    plan = plan_retention(uow, ORG, env=agency.env)
    bwv = _binding(plan, "body_worn_video", "body_worn_video")
    assert bwv.status == "skipped"
    assert bwv.unreadable == {"recording_made": 1}
    assert bwv.due == 0
    calls = _binding(plan, "call_recordings", "call_recordings")
    assert calls.status == "planned"


def test_it_skips_a_binding_whose_trigger_column_is_missing(
    uow: UnitOfWork, agency: Agency
) -> None:
    engine = create_engine(agency.url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE call_recordings RENAME COLUMN recorded_at TO made_at"))
    engine.dispose()
    _store(uow)
    plan = plan_retention(uow, ORG, env=agency.env)
    calls = _binding(plan, "call_recordings", "call_recordings")
    assert calls.status == "skipped"
    assert "no column recorded_at" in calls.reason


# RULES: RET-02, ERA-02 (legal holds of dataward's own)
def test_it_holds_due_rows_of_a_case_under_a_legal_hold(uow: UnitOfWork, agency: Agency) -> None:
    _store(uow)
    hold = place_hold(
        uow,
        NewHold(
            ORG,
            "case",
            "DPO",
            date(2027, 1, 1),
            hold_id="complaint_on_case",
            case_ref="CASE1",
            datasets=("body_worn_video",),
        ),
        actor="dpo",
    )
    plan = plan_retention(uow, ORG, env=agency.env)
    bwv = _binding(plan, "body_worn_video", "body_worn_video")
    assert bwv.held[f"legal_hold:{hold.ref}"] == 1
    assert (bwv.due, bwv.held_any, bwv.to_act_on) == (4, 3, 1)


def test_it_holds_a_record_under_a_record_hold(uow: UnitOfWork, agency: Agency) -> None:
    _store(uow)
    hold = place_hold(
        uow,
        NewHold(
            ORG,
            "record",
            "DPO",
            date(2027, 1, 1),
            reason="litigation",
            record_ref="5",
            datasets=("body_worn_video",),
        ),
        actor="dpo",
    )
    plan = plan_retention(uow, ORG, env=agency.env)
    bwv = _binding(plan, "body_worn_video", "body_worn_video")
    assert bwv.held[f"legal_hold:{hold.ref}"] == 1
    assert bwv.to_act_on == 1


def test_it_lets_go_once_a_closed_hold_releases(
    uow: UnitOfWork, agency: Agency, clock: FixedClock
) -> None:
    _store(uow)
    clock.set(datetime(2026, 6, 1, 9, tzinfo=clock.now().tzinfo))
    hold = place_hold(
        uow,
        NewHold(
            ORG,
            "record",
            "DPO",
            date(2026, 12, 1),
            reason="litigation",
            record_ref="5",
            datasets=("body_worn_video",),
        ),
        actor="dpo",
    )
    clock.set(datetime(2026, 7, 1, 9, tzinfo=clock.now().tzinfo))
    close_hold(uow, ORG, hold.ref, actor="dpo")
    clock.set(datetime(2026, 11, 25, 9, 30, tzinfo=clock.now().tzinfo))
    plan = plan_retention(uow, ORG, env=agency.env)
    bwv = _binding(plan, "body_worn_video", "body_worn_video")
    assert f"legal_hold:{hold.ref}" not in bwv.held
    assert bwv.to_act_on == 2


def _customer(uow: UnitOfWork, ref: str) -> Subject:
    return add_subject(uow, ORG, ["customers"], [("customer_ref", ref)], actor="test")


def _subject_hold(uow: UnitOfWork, subject: Subject, *datasets: str) -> str:
    hold = place_hold(
        uow,
        NewHold(
            ORG,
            "subject",
            "DPO",
            date(2027, 1, 1),
            reason="litigation",
            subject_ref=subject.ref,
            datasets=datasets,
        ),
        actor="dpo",
    )
    return f"legal_hold:{hold.ref}"


def _restricting_register(folder: Path) -> Path:
    """JTR's register with ``restriction_is_hold: true`` on the BWV rule (RES-01)."""
    source = JTR.read_text(encoding="utf-8")
    anchor = "    holds: [complaint_on_case, investigation_on_case]\n"
    at = source.index("  - id: body_worn_video\n", source.index("\nretention_rules:"))
    end = source.index(anchor, at) + len(anchor)
    path = folder / "jtr-restricting.yaml"
    path.write_text(
        source[:end] + "    restriction_is_hold: true\n" + source[end:], encoding="utf-8"
    )
    return path


def _to_act_on_in_the_source(agency: Agency, table: str, binding: BindingPlan) -> int:
    held = " OR ".join(f"({sql})" for sql in binding.held_sql.values()) or "1 = 0"
    engine = create_engine(agency.url)
    with engine.connect() as conn:
        found = conn.execute(
            text(f"SELECT count(*) FROM {table} WHERE ({binding.due_sql}) AND NOT ({held})")
        ).scalar_one()
    engine.dispose()
    return int(found)


# RULES: RET-02, ERA-02 (a hold on a subject keeps every row of theirs)
def test_it_matches_a_subject_hold_to_the_subjects_rows_through_their_cases(
    uow: UnitOfWork, agency: Agency
) -> None:
    _store(uow)
    label = _subject_hold(uow, _customer(uow, "C2"), "body_worn_video")
    plan = plan_retention(uow, ORG, env=agency.env)
    assert next(r for r in plan.rules if r.rule == "body_worn_video").subject_holds == 1
    bwv = _binding(plan, "body_worn_video", "body_worn_video")
    # Customer C2 (debtor 2) has cases 2 and 3: recordings 4 and 5, both due. Recording 4 is
    # also held by the investigation; recording 2 by the complaint; recording 1 is left.
    assert bwv.held[label] == 2
    assert (bwv.due, bwv.held_any, bwv.to_act_on) == (4, 3, 1)
    # The SQL a runner gets holds the subject by the agency's own keys, never the identity.
    assert "C2" not in bwv.held_sql[label]
    assert _to_act_on_in_the_source(agency, "body_worn_video", bwv) == 1
    # Only the datasets the hold names: the call recordings are not held by it.
    calls = _binding(plan, "call_recordings", "call_recordings")
    assert label not in calls.held


# RULES: RET-01, RET-02 (a subject hold on the latest-of-entity rule, root and related rows)
def test_it_holds_a_held_customers_own_row_and_cases(uow: UnitOfWork, agency: Agency) -> None:
    _store(uow)
    label = _subject_hold(uow, _customer(uow, "C1"), "customers", "cases")
    plan = plan_retention(uow, ORG, env=agency.env)
    debtors = _binding(plan, "customer_data", "customers")
    # Debtors 1 and 3 are due; debtor 1 is the held customer, debtor 3 has a live case.
    assert debtors.held[label] == 1
    assert (debtors.due, debtors.held_any, debtors.to_act_on) == (2, 2, 0)
    cases = _binding(plan, "customer_data", "cases")
    assert cases.held[label] == 1
    assert (cases.due, cases.held_any, cases.to_act_on) == (2, 2, 0)
    assert _to_act_on_in_the_source(agency, "debtors", debtors) == 0
    assert _to_act_on_in_the_source(agency, "cases", cases) == 0


def test_it_holds_nothing_for_a_held_subject_no_row_belongs_to(
    uow: UnitOfWork, agency: Agency
) -> None:
    _store(uow)
    label = _subject_hold(uow, _customer(uow, "C999"), "body_worn_video")
    plan = plan_retention(uow, ORG, env=agency.env)
    bwv = _binding(plan, "body_worn_video", "body_worn_video")
    assert bwv.held[label] == 0
    assert bwv.to_act_on == 2
    assert _to_act_on_in_the_source(agency, "body_worn_video", bwv) == 2


def test_a_subject_hold_waits_for_the_source_that_finds_its_subject(
    uow: UnitOfWork, agency: Agency
) -> None:
    _store(uow)
    _subject_hold(uow, _customer(uow, "C2"), "body_worn_video")
    engine = create_engine(agency.url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE debtors RENAME COLUMN customer_ref TO reference"))
    engine.dispose()
    plan = plan_retention(uow, ORG, env=agency.env)
    bwv = _binding(plan, "body_worn_video", "body_worn_video")
    # The held subject cannot be looked up: the binding is not planned as free to delete.
    assert bwv.status != "planned"
    assert bwv.to_act_on == 0


# RULES: RES-01 (restriction_is_hold: a restriction in force holds the subject's rows)
def test_a_restriction_holds_the_subjects_rows_where_the_rule_says_so(
    uow: UnitOfWork, agency: Agency, tmp_path: Path
) -> None:
    _store(uow, register=_restricting_register(tmp_path))
    subject = _customer(uow, "C2")
    restriction = restrict(uow, ORG, subject.ref, [], "legal_claims", actor="dpo")
    plan = plan_retention(uow, ORG, env=agency.env)
    rule = next(r for r in plan.rules if r.rule == "body_worn_video")
    assert rule.restrictions == 1
    bwv = _binding(plan, "body_worn_video", "body_worn_video")
    assert bwv.held[RESTRICTION] == 2
    assert (bwv.due, bwv.held_any, bwv.to_act_on) == (4, 3, 1)
    assert _to_act_on_in_the_source(agency, "body_worn_video", bwv) == 1
    # The call recordings' rule does not say a restriction holds: it does not.
    calls = _binding(plan, "call_recordings", "call_recordings")
    assert RESTRICTION not in calls.held
    # Lifted (the subject told first): the rows are no longer held.
    tell_before_lifting(uow, ORG, restriction.ref, actor="dpo")
    lift_restriction(uow, ORG, restriction.ref, actor="dpo")
    after = _binding(plan_retention(uow, ORG, env=agency.env), "body_worn_video", "body_worn_video")
    assert RESTRICTION not in after.held
    assert after.to_act_on == 2


# RULES: RES-01 (silence: a register that does not say a restriction holds)
def test_a_restriction_does_not_hold_where_the_register_is_silent(
    uow: UnitOfWork, agency: Agency
) -> None:
    _store(uow)
    restrict(uow, ORG, _customer(uow, "C2").ref, [], "legal_claims", actor="dpo")
    plan = plan_retention(uow, ORG, env=agency.env)
    assert all(r.restrictions == 0 for r in plan.rules)
    bwv = _binding(plan, "body_worn_video", "body_worn_video")
    assert RESTRICTION not in bwv.held
    assert bwv.to_act_on == 2


def test_it_names_the_only_organisation_and_refuses_an_unknown_one(uow: UnitOfWork) -> None:
    _store(uow)
    assert organisation_of(uow, None) == ORG
    with pytest.raises(RetentionInvalid):
        organisation_of(uow, "nobody")


def test_it_writes_sql_a_runner_can_run(uow: UnitOfWork, agency: Agency) -> None:
    _store(uow)
    plan = plan_retention(uow, ORG, env=agency.env)
    bwv = _binding(plan, "body_worn_video", "body_worn_video")
    held = " OR ".join(f"({sql})" for sql in bwv.held_sql.values())
    engine = create_engine(agency.url)
    with engine.connect() as conn:
        found = conn.execute(
            text(f"SELECT count(*) FROM body_worn_video WHERE ({bwv.due_sql}) AND NOT ({held})")
        ).scalar_one()
    engine.dispose()
    assert found == bwv.to_act_on == 2
    assert json.dumps(bwv.held_sql)


# RULES: RET-01, RET-02 (the SQL text a runner or a reader takes selects the rows the plan
# counted, on every binding: a condition on a related table, a debtor's cases or an evidence's
# assessment, must look at the row in hand, not at every row of its table)
def test_every_bindings_sql_text_selects_what_the_plan_counted(
    uow: UnitOfWork, agency: Agency
) -> None:
    _store(uow)
    plan = plan_retention(uow, ORG, env=agency.env)
    engine = create_engine(agency.url)
    checked = 0
    with engine.connect() as conn:
        for rule in plan.rules:
            for dataset in rule.datasets:
                for binding in dataset.bindings:
                    if binding.status != "planned" or not binding.due_sql:
                        continue
                    table = binding.table
                    due = conn.execute(
                        text(f"SELECT count(*) FROM {table} WHERE {binding.due_sql}")
                    ).scalar_one()
                    assert due == binding.due, (rule.rule, table)
                    for label, held_sql in binding.held_sql.items():
                        held = conn.execute(
                            text(
                                f"SELECT count(*) FROM {table} "
                                f"WHERE ({binding.due_sql}) AND ({held_sql})"
                            )
                        ).scalar_one()
                        assert held == binding.held[label], (rule.rule, table, label)
                    assert _to_act_on_in_the_source(agency, table, binding) == binding.to_act_on
                    checked += 1
    engine.dispose()
    # customers (related cases, a live case), cases, payments through their case, BWV, calls,
    # new occupiers' evidence (its assessment): the related conditions are among them.
    assert checked >= 5


# RULES: RET-01 (next dates, the latest of the entity: a related table and the row's owner)
def test_it_gives_next_dates_for_the_latest_returned_case(
    uow: UnitOfWork, agency: Agency, clock: FixedClock
) -> None:
    engine = create_engine(agency.url)
    with engine.begin() as conn:
        # Debtor 2's last case now returned in 2020: due on 31 December 2026.
        conn.execute(text("UPDATE cases SET returned_on = '2020-06-01' WHERE id = 3"))
    engine.dispose()
    _store(uow)
    clock.set(datetime(2026, 12, 20, 9, tzinfo=clock.now().tzinfo))
    plan = plan_retention(uow, ORG, env=agency.env)
    debtors = _binding(plan, "customer_data", "customers")
    # Debtor 2 falls due; debtor 3 (a live case) never falls due by date; 1 is due already.
    assert debtors.next_due == [(date(2026, 12, 31), 1)]
    cases = _binding(plan, "customer_data", "cases")
    assert cases.next_due == [(date(2026, 12, 31), 2)]


# RULES: RET-01 (next dates through a related table's events, in working days)
def test_it_gives_next_dates_for_a_related_trigger(uow: UnitOfWork, agency: Agency) -> None:
    _store(uow)
    plan = plan_retention(uow, ORG, env=agency.env)
    evidence = _binding(
        plan, "new_occupier_evidence", "new_occupier_evidence", "new_occupier_evidence"
    )
    # Assessed Tuesday 24 November: 2 working days later is Thursday 26 November.
    assert evidence.next_due == [(date(2026, 11, 26), 1)]
    assert not any("next dates" in note for note in evidence.notes)


# RULES: RET-01 (several triggers: whichever comes first)
def test_next_trigger_days_take_the_first_of_several_triggers(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'two.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, a DATE, b TIMESTAMP)"))
        conn.execute(text("CREATE TABLE r (id INTEGER PRIMARY KEY, t_id INTEGER, c DATE)"))
        conn.execute(
            text(
                "INSERT INTO t VALUES (1, '2026-11-20', '2026-12-01 10:00:00'),"
                " (2, NULL, '2026-11-28 09:00:00'), (3, '2026-11-27', '2026-11-30 00:00:00'),"
                " (4, NULL, NULL), (5, '2026-12-30', NULL)"
            )
        )
        # Row 4 only through the related table; row 5's related event comes first.
        conn.execute(
            text("INSERT INTO r VALUES (1, 4, '2026-11-29'), (2, 5, '2026-11-28'), (3, 4, NULL)")
        )
    engine.dispose()
    connector = SqlConnector("two", url)
    try:
        target = connector.table("t")
        related = connector.table("r")
        triggers = [
            retention_sql.TriggerColumn("a", target, target.c.a, None),
            retention_sql.TriggerColumn("b", target, target.c.b, None),
            retention_sql.TriggerColumn("c", related, related.c.c, related.c.t_id),
        ]
        found = sql_queries.next_trigger_days(
            connector,
            target,
            target.c.id,
            triggers,
            date(2026, 11, 25),
            date(2026, 12, 9),
            latest=False,
            owner=None,
        )
    finally:
        connector.close()
    # Row 1 is due already (20 November); 2 on the 28th; 3 on the 27th; 4 on the 29th;
    # 5 on the 28th (its related event, before its own on 30 December).
    assert found == {date(2026, 11, 27): 1, date(2026, 11, 28): 2, date(2026, 11, 29): 1}


# RULES: RET-01, RET-02 (the run's plan: the same statuses and counts, nothing a reader reads)
def test_the_runs_plan_counts_what_the_readers_plan_counts_without_samples_or_dates(
    uow: UnitOfWork, agency: Agency
) -> None:
    _store(uow)
    # A legal hold on a case reaches the recordings through their case: a correlated EXISTS.
    place_hold(
        uow,
        NewHold(
            ORG,
            "case",
            "DPO",
            date(2027, 1, 1),
            hold_id="complaint_on_case",
            case_ref="CASE1",
            datasets=("body_worn_video",),
        ),
        actor="dpo",
    )
    full = plan_retention(uow, ORG, env=agency.env)
    light = plan_retention(uow, ORG, env=agency.env, for_reader=False)

    def counted(plan: RetentionPlan) -> list[tuple[Any, ...]]:
        return [
            (r.rule, d.dataset, b.table, b.status, b.reason, b.due, b.held, b.to_act_on)
            for r in plan.rules
            for d in r.datasets
            for b in d.bindings
        ]

    assert counted(light) == counted(full)
    bindings = [b for r in light.rules for d in r.datasets for b in d.bindings]
    assert any(b.to_act_on and any(b.held.values()) for b in bindings)  # counted, not zeros
    assert all(not b.sample and not b.next_due and not b.due_sql for b in bindings)
    assert any(b.sample and b.due_sql for r in full.rules for d in r.datasets for b in d.bindings)
