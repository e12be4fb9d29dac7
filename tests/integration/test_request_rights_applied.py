"""Restriction (RES-01) and objection (OBJ-01) asked for in a request, applied through the
consent services from the request's "make the change" task (issue 19); a restriction is
lifted only after a message to the requester is queued (Art 18(3)).

The shop's register: ``sales`` rests on contract, ``fraud_checks`` and ``surveys`` on
legitimate interests. SQLite and PostgreSQL; the clock is the test's (1 June 2026).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from consent_support import SHOP, customer, load_shop
from sqlalchemy import select

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.consent.decisions import decide
from dataward.consent.errors import ObjectionInvalid, RestrictionInvalid
from dataward.consent.models import Objection, Restriction
from dataward.consent.objections import lift_restriction, restrict
from dataward.outbox.models import OutboxMessage
from dataward.requests.errors import TransitionRefused
from dataward.requests.models import RightsRequest
from dataward.requests.rights_applied import apply_right, warn_before_lifting
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.source_search import IdentityNotProven, NoSubjectLinked
from dataward.requests.task_models import RequestTask
from dataward.requests.tasks import refuse_response_while_tasks_open, result_of, tasks_of
from dataward.requests.transitions import Step, link_subject, verify_identity
from dataward.uow import UnitOfWork

CASE = "user:u_case"
ANN = Requester(name="Ann Example", email="ann@example.com", words="Stop using my data.")


@pytest.fixture
def shop(uow: UnitOfWork, clock: FixedClock) -> UnitOfWork:
    load_shop(uow)
    uow.commit()
    clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    return uow


def _request(
    uow: UnitOfWork,
    right: str,
    *,
    linked: bool = True,
    verified: bool = True,
    email: str = "ann@example.com",
) -> RightsRequest:
    row = open_request(uow, NewRequest(SHOP, (right,), "email", date(2026, 5, 30), ANN), actor=CASE)
    if linked:
        link_subject(uow, SHOP, row.ref, customer(uow, email), Step(CASE, date(2026, 5, 30)))
    if verified:
        verify_identity(uow, SHOP, row.ref, "document", Step(CASE, date(2026, 5, 31)))
    uow.commit()
    return row


def _task(uow: UnitOfWork, row: RightsRequest, kind: str = "execute") -> RequestTask:
    return next(t for t in tasks_of(uow, row) if t.kind == kind)


def _subject_ref(uow: UnitOfWork, row: RightsRequest) -> str:
    from dataward.subjects.models import Subject

    subject = uow.session.get(Subject, row.subject_id)
    assert subject is not None
    return subject.ref


def test_a_restriction_request_restricts_the_subject_and_finishes_its_task(
    shop: UnitOfWork,
) -> None:
    row = _request(shop, "restriction")
    with pytest.raises(TransitionRefused, match="task"):
        refuse_response_while_tasks_open(shop, row)
    task = apply_right(
        shop, SHOP, row.ref, _task(shop, row).id, ground="accuracy_contested", actor=CASE
    )
    shop.commit()

    restriction = shop.session.scalars(select(Restriction)).one()
    assert restriction.ground == "accuracy_contested"
    assert restriction.subject_id == row.subject_id
    assert task.state == "done"
    assert (
        result_of(shop, row, task)
        == f"Restriction {restriction.ref} recorded (accuracy_contested); 0 recipient(s) told."
    )
    decision = decide(shop, SHOP, _subject_ref(shop, row), "sales")
    assert not decision.allow
    assert decision.rules == ["RES-01"]
    actions = shop.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)).all()
    assert actions[-2:] == ["restriction.started", "request.task_done"]


def test_an_objection_request_records_a_pending_objection_that_stops_processing(
    shop: UnitOfWork,
) -> None:
    row = _request(shop, "objection")
    assert [t.kind for t in tasks_of(shop, row)] == ["execute", "notify"]
    apply_right(shop, SHOP, row.ref, _task(shop, row).id, purposes=["fraud_checks"], actor=CASE)
    shop.commit()

    objection = shop.session.scalars(select(Objection)).one()
    assert (objection.kind, objection.purposes, objection.outcome, objection.method) == (
        "legitimate_interests",
        ["fraud_checks"],
        "pending",
        "request",
    )
    ref = _subject_ref(shop, row)
    assert not decide(shop, SHOP, ref, "fraud_checks").allow
    assert decide(shop, SHOP, ref, "sales").allow  # contract: not objected to
    refuse_response_while_tasks_open(shop, row)  # only telling the requester is left


def test_bad_applications_are_refused_and_change_nothing(shop: UnitOfWork) -> None:
    restriction = _request(shop, "restriction")
    task = _task(shop, restriction)
    with pytest.raises(RestrictionInvalid, match="ground"):
        apply_right(shop, SHOP, restriction.ref, task.id, actor=CASE)
    with pytest.raises(RestrictionInvalid, match="ground must be"):
        apply_right(shop, SHOP, restriction.ref, task.id, ground="because", actor=CASE)
    with pytest.raises(TransitionRefused, match="only the 'make the change' task"):
        apply_right(shop, SHOP, restriction.ref, _task(shop, restriction, "notify").id, actor=CASE)
    objection = _request(shop, "objection", email="ann2@example.com")
    with pytest.raises(ObjectionInvalid, match="does not rest on legitimate interests"):
        apply_right(
            shop, SHOP, objection.ref, _task(shop, objection).id, purposes=["sales"], actor=CASE
        )
    unlinked = _request(shop, "restriction", linked=False, verified=False)
    with pytest.raises(NoSubjectLinked):
        apply_right(
            shop, SHOP, unlinked.ref, _task(shop, unlinked).id, ground="unlawful", actor=CASE
        )
    unproven = _request(shop, "objection", verified=False, email="ann3@example.com")
    with pytest.raises(IdentityNotProven):
        apply_right(shop, SHOP, unproven.ref, _task(shop, unproven).id, actor=CASE)
    shop.rollback()
    assert shop.session.scalars(select(Restriction)).all() == []
    assert shop.session.scalars(select(Objection)).all() == []
    assert {t.state for t in tasks_of(shop, restriction)} == {"open"}
    apply_right(shop, SHOP, restriction.ref, task.id, ground="unlawful", actor=CASE)
    with pytest.raises(TransitionRefused, match="applied already"):
        apply_right(shop, SHOP, restriction.ref, task.id, ground="unlawful", actor=CASE)


def test_a_restriction_is_lifted_only_after_the_requester_is_messaged(shop: UnitOfWork) -> None:
    row = _request(shop, "restriction")
    apply_right(shop, SHOP, row.ref, _task(shop, row).id, ground="legal_claims", actor=CASE)
    shop.commit()
    restriction = shop.session.scalars(select(Restriction)).one()
    with pytest.raises(RestrictionInvalid, match="tell the subject"):
        lift_restriction(shop, SHOP, restriction.ref, actor=CASE)
    shop.rollback()

    warn_before_lifting(shop, SHOP, row.ref, restriction.ref, actor=CASE)
    message = shop.session.scalars(select(OutboxMessage)).one()
    assert (message.kind, message.request_id) == ("restriction_lifting", row.id)
    lift_restriction(shop, SHOP, restriction.ref, actor=CASE)
    shop.commit()
    assert decide(shop, SHOP, _subject_ref(shop, row), "sales").allow


def test_only_a_restriction_on_the_requests_subject_is_warned_about(shop: UnitOfWork) -> None:
    row = _request(shop, "restriction")
    other = restrict(shop, SHOP, customer(shop, "bob@example.com"), [], "unlawful")
    with pytest.raises(RestrictionInvalid, match="not on this request's subject"):
        warn_before_lifting(shop, SHOP, row.ref, other.ref, actor=CASE)
    with pytest.raises(RestrictionInvalid, match="no restriction in force"):
        warn_before_lifting(shop, SHOP, row.ref, "r_missing", actor=CASE)
    assert shop.session.scalars(select(OutboxMessage)).all() == []
    assert other.subject_told_at is None
