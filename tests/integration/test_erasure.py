"""Erasure (issue 19, ERA-01..03): ground, plan, DPO approval, execution by the worker and
proof, on SQLite and PostgreSQL.

The organisation's own data is the JTR-shaped fixture database (SQLite) of
``package_build_support`` with the erasure sources file of ``erasure_support``; dataward's
database is the test's backend. Bad paths: no ground, an approver who may not, a stale plan,
held data kept, a read-only connection, a source down, a killed run, two runs.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from erasure_support import erasure_request, make_user, stored_for_erasure
from package_build_support import CASE, EMAIL, ORG, PHONE, Operational, build_operational
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import sessionmaker

from dataward.audit.models import AuditEvent
from dataward.audit.service import verify
from dataward.clock import FixedClock
from dataward.crypto.keystore import Vault
from dataward.disclosures.models import RecipientNotice
from dataward.disclosures.service import NewDisclosure, record_disclosure
from dataward.erasure.errors import ErasureInvalid, ErasureRefused, NoGround
from dataward.erasure.evidence import (
    evidence_export,
    evidence_of,
    row_erased,
    step_digests,
    steps_of,
)
from dataward.erasure.executor import execute_plan
from dataward.erasure.jobs import ExecuteHandler
from dataward.erasure.models import (
    DONE,
    PLANNED,
    STALE,
    STEP_EXECUTING,
    SUPERSEDED,
    ErasurePlan,
)
from dataward.erasure.plan import plan_erasure, record_ground
from dataward.erasure.service import EXECUTE_JOB, approve_erasure, get_plan
from dataward.erasure.survey import key_digest
from dataward.holds.service import NewHold, place_hold
from dataward.jobs.models import Job
from dataward.jobs.worker import Worker
from dataward.requests.errors import ApprovalRequired
from dataward.requests.models import RightsRequest
from dataward.requests.tasks import tasks_of
from dataward.sources.connectors.base import ReadOnlyConnection, RowChange
from dataward.sources.connectors.sql import SqlConnector
from dataward.sources.connectors.sql_changes import apply_changes
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork

WORKER = "w-erase"


@pytest.fixture
def agency(tmp_path: Path) -> Operational:
    return build_operational(tmp_path / "agency")


def _rows(agency: Operational, query: str) -> list[tuple[Any, ...]]:
    engine = create_engine(agency.url)
    with engine.connect() as conn:
        found = [tuple(r) for r in conn.execute(text(query))]
    engine.dispose()
    return found


def _chain(uow: UnitOfWork, action: str) -> list[AuditEvent]:
    return list(
        uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def _planned(uow: UnitOfWork, agency: Operational, **options: object) -> RightsRequest:
    stored_for_erasure(uow, **options)
    row = erasure_request(uow)
    plan_erasure(uow, ORG, row.ref, actor=CASE, env=agency.env)
    uow.commit()
    return row


def _approved(uow: UnitOfWork, agency: Operational, **options: object) -> ErasurePlan:
    row = _planned(uow, agency, **options)
    dpo = make_user(uow, "dpo@jtr.example", "dpo")
    plan = approve_erasure(uow, ORG, row.ref, actor=dpo)
    uow.commit()
    return plan


def _run_all(uow: UnitOfWork, plan: ErasurePlan, agency: Operational) -> list[str]:
    """Every run the worker would make, each committed; what each did."""
    done = []
    for _ in range(10):
        step = execute_plan(uow, plan.id, worker=WORKER, env=agency.env)
        uow.commit()
        done.append(
            "marked" if step.marked else "erased" if step.state == "running" else step.state
        )
        if step.state != "running":
            return done
    raise AssertionError(f"the plan did not finish: {done}")


def test_the_plan_says_what_goes_and_what_stays_with_counts_and_digests_only(
    uow: UnitOfWork, agency: Operational
) -> None:
    row = _planned(uow, agency)
    plan = get_plan(uow, ORG, row.ref)

    assert (plan.state, plan.ground, plan.sources_version, plan.register_version) == (
        PLANNED,
        "no_longer_necessary",
        1,
        1,
    )
    steps = {s.dataset: s for s in steps_of(uow, plan)}
    # Children before parents: recordings, then visits and payments, cases, the customer.
    assert [s.dataset for s in steps_of(uow, plan)] == [
        "body_worn_video",
        "payments",
        "visits",
        "cases",
        "customers",
    ]
    assert {
        d: (s.action, s.rows, s.files, s.rows_kept, s.kept_reason) for d, s in steps.items()
    } == {
        "body_worn_video": ("erase", 3, 2, 0, None),
        "payments": ("keep", 0, 0, 1, "sources_keep"),
        "visits": ("erase", 2, 0, 0, None),
        "cases": ("erase", 1, 0, 0, None),
        "customers": ("erase", 1, 0, 0, None),
    }
    assert steps["customers"].how == {
        "customer_ref": "keep",
        "name": "anonymise:redact",
        "email": "set_null",
        "phone": "set_null",
    }
    assert step_digests(uow, steps["visits"]) == sorted(
        key_digest("agency", "visits", k) for k in (100, 101)
    )
    assert (plan.rows_erased, plan.rows_kept, plan.files_erased) == (7, 1, 2)
    assert plan.shred_when_done is False  # the payments stay
    # A dry run: nothing changed in the source.
    assert _rows(agency, "SELECT count(*) FROM visits") == [(3,)]
    (made,) = _chain(uow, "erasure.plan_made")
    assert (made.details["rows"], made.details["kept"]) == (7, 1)
    text_of_chain = repr([e.details for e in uow.session.scalars(select(AuditEvent))])
    assert EMAIL not in text_of_chain
    assert "Mary" not in text_of_chain


def test_the_worker_erases_an_approved_plan_and_leaves_evidence(
    uow: UnitOfWork,
    session_factory: sessionmaker[Any],
    clock: FixedClock,
    vault: Vault,
    agency: Operational,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in agency.env.items():
        monkeypatch.setenv(name, value)
    plan = _approved(uow, agency)
    # Her customer record went to the agency's clients (the disclosure log, NOT-01).
    subject = uow.session.get(Subject, plan.subject_id)
    assert subject is not None
    record_disclosure(
        uow,
        NewDisclosure(
            ORG, subject.ref, "clients", ("customers",), "customer_business_need", date(2026, 3, 2)
        ),
        actor=CASE,
    )
    uow.commit()
    worker = Worker(
        session_factory, clock, {EXECUTE_JOB: ExecuteHandler()}, vault=vault, worker_id=WORKER
    )

    stats = worker.run(once=True)

    # One run marks the source, one erases it, one finishes.
    assert stats.by_kind == {EXECUTE_JOB: 3}
    uow.session.expire_all()
    plan = uow.session.get(ErasurePlan, plan.id)
    assert plan is not None
    assert (plan.state, plan.rows_erased, plan.rows_kept, plan.shredded) == (DONE, 7, 1, False)
    assert _rows(agency, "SELECT id, customer_ref, name, email, phone FROM debtors") == [
        (1, "C-1", "[erased]", None, None),
        (2, "C-2", "Sam Stranger", "stranger@example.com", "07700900999"),
    ]
    assert _rows(agency, "SELECT id FROM cases") == [(20,)]
    assert _rows(agency, "SELECT id FROM visits") == [(200,)]
    assert _rows(agency, "SELECT id FROM recordings") == [(2000,)]
    assert _rows(agency, "SELECT case_id FROM payments ORDER BY id") == [(10,), (20,)]
    assert sorted(p.name for p in (agency.files / "bwv").iterdir()) == ["stranger.mp4"]

    evidence = {e.dataset: e for e in evidence_of(uow, plan)}
    assert {
        d: (e.action, e.rows, e.files, e.rows_kept, e.resumed) for d, e in evidence.items()
    } == {
        "body_worn_video": ("erase", 3, 2, 0, False),
        "payments": ("keep", 0, 0, 1, False),
        "visits": ("erase", 2, 0, 0, False),
        "cases": ("erase", 1, 0, 0, False),
        "customers": ("erase", 1, 0, 0, False),
    }
    assert evidence["payments"].kept_reason == "sources_keep"
    assert {e.worker for e in evidence.values()} == {WORKER}
    assert {(e.sources_version, e.register_version) for e in evidence.values()} == {(1, 1)}
    case_10 = key_digest("agency", "cases", 10)
    assert evidence["cases"].keys_digest == hashlib.sha256(f"{case_10}\n".encode()).hexdigest()
    assert row_erased(uow, plan, case_10)
    assert not row_erased(uow, plan, key_digest("agency", "cases", 20))
    exported = {e["dataset"]: e for e in evidence_export(uow, plan)}
    assert exported["visits"]["rows"] == 2
    assert exported["visits"]["plan"] == plan.id

    request = uow.session.get(RightsRequest, plan.request_id)
    assert request is not None
    # The clients are told of the erasure; the register gives them no address, so it is
    # recorded as impossible with that reason rather than silently skipped.
    told = uow.session.scalars(
        select(RecipientNotice).where(RecipientNotice.request_id == request.id)
    ).all()
    assert [(n.recipient, n.change, n.datasets, n.outcome) for n in told] == [
        ("clients", "erasure", ["customers"], "impossible")
    ]
    kinds = {t.kind: t.state for t in tasks_of(uow, request) if t.kind in ("plan", "execute")}
    assert kinds == {"plan": "done", "execute": "done"}
    assert len(_chain(uow, "erasure.source_erased")) == 1
    (finished,) = _chain(uow, "erasure.plan_done")
    assert (finished.details["rows"], finished.details["kept"]) == (7, 1)
    text_of_chain = repr(
        [(e.details, e.entity_id) for e in uow.session.scalars(select(AuditEvent))]
    )
    for value in (EMAIL, PHONE, "Mary", "visit-1.mp4"):
        assert value not in text_of_chain
    assert verify(uow.session).intact
    # The subject's record stays: something of her is kept (the payments).
    subject = uow.session.get(Subject, plan.subject_id)
    assert subject is not None
    assert subject.shredded_at is None


def test_with_nothing_kept_dataward_shreds_its_own_copies(
    uow: UnitOfWork, agency: Operational
) -> None:
    plan = _approved(uow, agency, keep_payments=False)
    assert plan.shred_when_done is True

    _run_all(uow, plan, agency)

    assert (plan.state, plan.rows_erased, plan.rows_kept, plan.shredded) == (DONE, 8, 0, True)
    assert _rows(agency, "SELECT case_id FROM payments") == [(20,)]
    uow.session.expire_all()
    subject = uow.session.get(Subject, plan.subject_id)
    assert subject is not None
    assert subject.shredded_at is not None
    assert subject.identities == []
    # The request and its evidence stay.
    assert len(evidence_of(uow, plan)) == 5
    assert len(_chain(uow, "subject.shredded")) == 1


def test_without_a_ground_no_plan_is_made(uow: UnitOfWork, agency: Operational) -> None:
    stored_for_erasure(uow)
    row = erasure_request(uow, ground=None)

    with pytest.raises(NoGround) as refused:
        plan_erasure(uow, ORG, row.ref, actor=CASE, env=agency.env)
    assert refused.value.code == "erasure_no_ground"
    uow.rollback()
    assert uow.session.scalars(select(ErasurePlan)).all() == []
    with pytest.raises(ErasureInvalid):
        record_ground(uow, ORG, row.ref, "because", actor=CASE)
    uow.rollback()
    assert _chain(uow, "erasure.ground_recorded") == []


def test_only_a_person_who_may_approve_approves(uow: UnitOfWork, agency: Operational) -> None:
    row = _planned(uow, agency)
    caseworker = make_user(uow, "case@jtr.example", "caseworker")

    for actor in (caseworker, "token:t_abc", "cli"):
        with pytest.raises(ApprovalRequired) as refused:
            approve_erasure(uow, ORG, row.ref, actor=actor)
        uow.rollback()
        # ERA-02: a token is told an erasure wants a person, with its own code.
        token = actor.startswith("token:")
        assert (refused.value.code == "erasure_approval_needs_person") is token
    assert get_plan(uow, ORG, row.ref).state == PLANNED
    assert uow.session.scalars(select(Job).where(Job.kind == EXECUTE_JOB)).all() == []


def test_a_stale_plan_is_refused_and_changes_nothing_then_a_new_plan_runs(
    uow: UnitOfWork, agency: Operational
) -> None:
    plan = _approved(uow, agency)
    # The source changes after approval: a new visit on her case.
    engine = create_engine(agency.url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO visits VALUES (102, 10, '2026-04-01', 'later')"))
    engine.dispose()

    assert _run_all(uow, plan, agency) == [STALE]

    assert plan.state == STALE
    assert _rows(agency, "SELECT count(*) FROM visits") == [(4,)]
    assert _rows(agency, "SELECT email FROM debtors WHERE id = 1") == [(EMAIL,)]
    assert evidence_of(uow, plan) == []
    (stale,) = _chain(uow, "erasure.plan_stale")
    # Recordings came first and still match; the visits do not.
    assert (stale.details["dataset"], stale.details["planned"], stale.details["found"]) == (
        "visits",
        2,
        3,
    )
    ref = plan_request_ref(uow, plan)
    dpo = make_user(uow, "dpo2@jtr.example", "dpo")
    with pytest.raises(ErasureRefused):
        approve_erasure(uow, ORG, ref, actor=dpo)
    uow.rollback()

    # Re-planned: the new plan counts the new visit and runs.
    fresh = plan_erasure(uow, ORG, ref, actor=CASE, env=agency.env)
    uow.commit()
    assert plan.state == SUPERSEDED
    assert {s.dataset: s.rows for s in steps_of(uow, fresh)}["visits"] == 3
    approve_erasure(uow, ORG, ref, actor=dpo)
    uow.commit()
    _run_all(uow, fresh, agency)
    assert fresh.state == DONE
    assert _rows(agency, "SELECT id FROM visits") == [(200,)]


def plan_request_ref(uow: UnitOfWork, plan: ErasurePlan) -> str:
    row = uow.session.get(RightsRequest, plan.request_id)
    assert row is not None
    return row.ref


def test_a_legal_hold_keeps_its_datasets_before_and_after_approval(
    uow: UnitOfWork, agency: Operational
) -> None:
    stored_for_erasure(uow)
    row = erasure_request(uow)
    subject = uow.session.get(Subject, row.subject_id)
    assert subject is not None

    def hold(datasets: tuple[str, ...]) -> str:
        placed = place_hold(
            uow,
            NewHold(
                organisation=ORG,
                scope="subject",
                owner="dpo@jtr.example",
                review_on=date(2027, 7, 1),
                reason="litigation",
                subject_ref=subject.ref,
                datasets=datasets,
            ),
            actor=CASE,
        )
        uow.commit()
        return placed.ref

    cases_hold = hold(("cases",))
    plan = plan_erasure(uow, ORG, row.ref, actor=CASE, env=agency.env)
    uow.commit()
    steps = {s.dataset: s for s in steps_of(uow, plan)}
    assert (steps["cases"].action, steps["cases"].rows_kept, steps["cases"].kept_reason) == (
        "keep",
        1,
        "legal_hold",
    )
    assert steps["cases"].kept_detail == cases_hold
    approve_erasure(uow, ORG, row.ref, actor=make_user(uow, "dpo@jtr.example", "dpo"))
    uow.commit()

    # A hold placed after approval: its data is skipped, and the evidence says so.
    hold(("visits",))
    _run_all(uow, plan, agency)

    assert plan.state == DONE
    assert _rows(agency, "SELECT id FROM cases ORDER BY id") == [(10,), (20,)]
    assert _rows(agency, "SELECT id FROM visits ORDER BY id") == [(100,), (101,), (200,)]
    assert _rows(agency, "SELECT id FROM recordings") == [(2000,)]
    evidence = {e.dataset: e for e in evidence_of(uow, plan)}
    assert (evidence["visits"].rows, evidence["visits"].rows_kept) == (0, 2)
    assert evidence["visits"].kept_reason == "legal_hold"
    assert "held since approval" in (evidence["visits"].kept_detail or "")
    assert (evidence["cases"].rows_kept, evidence["cases"].kept_reason) == (1, "legal_hold")
    assert plan.shredded is False


def test_a_hold_predicate_of_the_sources_file_keeps_the_row_it_is_open_on(
    uow: UnitOfWork, agency: Operational
) -> None:
    plan = _approved(uow, agency, hold_visit=101)
    visits = next(s for s in steps_of(uow, plan) if s.dataset == "visits")
    assert (visits.rows, visits.rows_kept, visits.kept_reason, visits.kept_detail) == (
        1,
        1,
        "hold_predicate",
        "complaint_on_case",
    )

    _run_all(uow, plan, agency)

    assert _rows(agency, "SELECT id FROM visits ORDER BY id") == [(101,), (200,)]
    (evidence,) = [e for e in evidence_of(uow, plan) if e.dataset == "visits"]
    assert (evidence.rows, evidence.rows_kept) == (1, 1)
    visits = next(s for s in steps_of(uow, plan) if s.dataset == "visits")
    assert step_digests(uow, visits) == [key_digest("agency", "visits", 100)]
    assert row_erased(uow, plan, key_digest("agency", "visits", 100))
    assert not row_erased(uow, plan, key_digest("agency", "visits", 101))


def test_a_hold_predicate_on_a_column_other_than_the_key_keeps_its_rows(
    uow: UnitOfWork, agency: Operational
) -> None:
    """RULES: ERA-02. The surveys read only the columns they look at (the key, and those a
    hold, an entity, an event or a file names): the hold's column is one of them."""
    plan = _approved(uow, agency, hold_visit=10, hold_column="case_id")
    visits = next(s for s in steps_of(uow, plan) if s.dataset == "visits")
    assert (visits.action, visits.rows, visits.rows_kept, visits.kept_reason) == (
        "keep",
        0,
        2,
        "hold_predicate",
    )

    _run_all(uow, plan, agency)

    assert _rows(agency, "SELECT id FROM visits ORDER BY id") == [(100,), (101,), (200,)]


def test_a_read_only_connection_is_never_written(uow: UnitOfWork, agency: Operational) -> None:
    row = _planned(uow, agency, mode="read_only")
    plan = get_plan(uow, ORG, row.ref)
    assert {s.kept_reason for s in steps_of(uow, plan)} == {"read_only", "sources_keep"}
    assert {s.action for s in steps_of(uow, plan)} == {"keep"}
    assert plan.rows_erased == 0

    connector = SqlConnector("agency", agency.url, read_only=True)
    try:
        with pytest.raises(ReadOnlyConnection) as refused:
            apply_changes(connector, [RowChange("visits", "id", [100], delete=True)])
    finally:
        connector.close()
    assert refused.value.code == "source_read_only"
    assert _rows(agency, "SELECT count(*) FROM visits") == [(3,)]


def test_a_source_down_rolls_back_and_is_retried(uow: UnitOfWork, agency: Operational) -> None:
    plan = _approved(uow, agency)
    assert execute_plan(uow, plan.id, worker=WORKER, env=agency.env).marked
    uow.commit()
    down = {**agency.env, "AGENCY_DB_URL": f"sqlite:///{agency.files}/missing/none.db"}

    step = execute_plan(uow, plan.id, worker=WORKER, env=down)
    uow.commit()

    assert step.failed
    assert (plan.failed_source, plan.last_error) == ("agency", "source_unavailable")
    retries = uow.session.scalars(
        select(Job).where(Job.kind == EXECUTE_JOB, Job.state == "due")
    ).all()
    assert [j.payload.get("attempt") for j in retries if j.payload.get("attempt")] == [1]
    (retry,) = [j for j in retries if j.payload.get("attempt") == 1]
    assert retry.due_at > uow.clock.now()
    assert evidence_of(uow, plan) == []
    assert len(_chain(uow, "erasure.source_failed")) == 1

    assert _run_all(uow, plan, agency) == ["erased", DONE]
    assert plan.failed_source is None
    assert len(evidence_of(uow, plan)) == 5


def test_a_run_killed_after_the_source_committed_finishes_the_plan_once(
    uow: UnitOfWork, agency: Operational
) -> None:
    plan = _approved(uow, agency)
    assert execute_plan(uow, plan.id, worker=WORKER, env=agency.env).marked
    uow.commit()
    # The source commits, then the worker dies before dataward's transaction commits.
    assert execute_plan(uow, plan.id, worker=WORKER, env=agency.env).erased > 0
    uow.rollback()
    assert {s.state for s in steps_of(uow, plan) if s.action == "erase"} == {STEP_EXECUTING}
    assert _rows(agency, "SELECT id FROM visits") == [(200,)]

    assert _run_all(uow, plan, agency) == ["erased", DONE]

    evidence = {e.dataset: e for e in evidence_of(uow, plan)}
    assert len(evidence) == 5
    assert (evidence["visits"].rows, evidence["visits"].resumed) == (2, True)
    assert plan.rows_erased == 7
    assert len(_chain(uow, "erasure.plan_done")) == 1


def test_two_runs_on_a_finished_plan_change_nothing(uow: UnitOfWork, agency: Operational) -> None:
    plan = _approved(uow, agency)
    # Two jobs for the same plan (a second worker, a duplicate): the second does nothing.
    _run_all(uow, plan, agency)
    before = [(e.id, e.rows) for e in evidence_of(uow, plan)]

    again = execute_plan(uow, plan.id, worker="w-other", env=agency.env)
    uow.commit()

    assert (again.state, again.source, again.erased) == (DONE, None, 0)
    assert [(e.id, e.rows) for e in evidence_of(uow, plan)] == before
    assert len(_chain(uow, "erasure.plan_done")) == 1
    with pytest.raises(ErasureRefused):
        plan_erasure(uow, ORG, plan_request_ref(uow, plan), actor=CASE, env=agency.env)
    uow.rollback()
    assert plan.state == DONE
