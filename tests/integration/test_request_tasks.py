"""A request's tasks: the search record (SAR-07), human review (ADM-01) and splitting a
request that asks for several rights (issue 16).

The shop's register declares three datasets and says portability does not apply. Dates
are explicit; the clock is the test's (1 June 2026).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from consent_support import SHOP, SHOP_FILE, load_shop
from sqlalchemy import select, text

from dataward.accounts.passwords import Passwords
from dataward.accounts.service import create_user, user_actor
from dataward.audit.models import AuditEvent
from dataward.audit.service import verify
from dataward.clock import FixedClock
from dataward.config import Settings
from dataward.requests.errors import (
    ApprovalRequired,
    RequestInvalid,
    TaskNotFound,
    TransitionRefused,
)
from dataward.requests.messages import request_messages
from dataward.requests.models import RequestEvent, RightsRequest
from dataward.requests.queue import history
from dataward.requests.service import NewRequest, Requester, open_request, requester_of
from dataward.requests.split import parent_of, split_into, split_request
from dataward.requests.task_models import RequestTask
from dataward.requests.tasks import (
    finish_task,
    not_needed,
    not_reasonable,
    record_review,
    record_search,
    result_of,
    review_of,
    start_task,
    tasks_of,
)
from dataward.requests.transitions import Step, respond, verify_identity, withdraw
from dataward.uow import UnitOfWork

JANE = Requester(name="Jane Doe", email="jane@example.com", words="Everything, then delete it.")
CASE = "user:u_case"
DATASETS = """datasets:
  - {id: crm, name: Customer records, store: database_table, entity: customer}
  - {id: orders, name: Order history, store: database_table, entity: customer}
  - {id: paper_files, name: Paper files, store: paper, entity: customer}
"""
NOT_OFFERED = (
    "    - {right: portability, applies: not_applicable, description: Not offered here.}\n"
)


@pytest.fixture
def shop(uow: UnitOfWork, clock: FixedClock) -> UnitOfWork:
    source = SHOP_FILE.read_text(encoding="utf-8")
    source = source.replace(
        "    - {right: objection_direct_marketing,",
        NOT_OFFERED + "    - {right: objection_direct_marketing,",
    )
    load_shop(uow, source + DATASETS)
    uow.commit()
    clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    return uow


@pytest.fixture
def dpo(shop: UnitOfWork) -> str:
    settings = Settings(argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1)
    user, _ = create_user(shop, Passwords(settings), "dpo@shop.example", "dpo", actor="test")
    shop.commit()
    return user_actor(user)


def _open(uow: UnitOfWork, *rights: str, received: date = date(2026, 5, 1)) -> RightsRequest:
    row = open_request(uow, NewRequest(SHOP, rights, "post", received, JANE), actor=CASE)
    uow.commit()
    return row


def _kinds(uow: UnitOfWork, row: RightsRequest) -> list[tuple[str, str, str | None]]:
    return [(t.right, t.kind, t.dataset) for t in tasks_of(uow, row)]


def _of(uow: UnitOfWork, row: RightsRequest, kind: str) -> list[RequestTask]:
    return [t for t in tasks_of(uow, row) if t.kind == kind]


def test_it_plans_the_tasks_each_right_needs(shop: UnitOfWork) -> None:
    """SAR-07: until sources are bound, every dataset the register declares is searched by
    hand; marketing objections and consent withdrawals need no task."""
    access = _open(shop, "access")
    searches = [("access", "manual_search", d) for d in ("crm", "orders", "paper_files")]
    assert _kinds(shop, access) == [
        *searches,
        ("access", "package", None),
        ("access", "notify", None),
    ]
    assert {t.state for t in tasks_of(shop, access)} == {"open"}
    erasure = _open(shop, "erasure", "rectification", "automated_decisions")
    assert _kinds(shop, erasure) == [
        *[("erasure", "manual_search", d) for d in ("crm", "orders", "paper_files")],
        ("erasure", "plan", None),
        ("erasure", "execute", None),
        ("erasure", "notify", None),
        ("rectification", "execute", None),
        ("rectification", "notify", None),
        ("automated_decisions", "human_review", None),
    ]
    # Portability is not offered here: it is explained in the reply, and gets no task.
    none = _open(shop, "objection_direct_marketing", "withdraw_consent", "portability")
    assert none.not_offered == ["portability"]
    assert tasks_of(shop, none) == []
    received = shop.session.scalars(
        select(AuditEvent.details).where(AuditEvent.entity_id == access.ref)
    ).one()
    assert received["tasks"] == 5


def test_a_response_waits_for_every_search_or_the_dpos_reason(shop: UnitOfWork, dpo: str) -> None:
    """SAR-07: each dataset searched, or the DPO's reason recorded; a caseworker may not
    set a search aside."""
    row = _open(shop, "access")
    verify_identity(shop, SHOP, row.ref, "document", Step(CASE, date(2026, 5, 2)))
    shop.commit()
    crm, orders, paper = _of(shop, row, "manual_search")
    with pytest.raises(TransitionRefused, match="4 task\\(s\\) still open: Search Customer"):
        respond(shop, SHOP, row.ref, Step(CASE, date(2026, 5, 20)))
    shop.rollback()
    start_task(shop, SHOP, row.ref, crm.id, actor=CASE)
    record_search(shop, SHOP, row.ref, crm.id, True, "Account and 3 emails", actor=CASE)
    record_search(shop, SHOP, row.ref, orders.id, False, "", actor=CASE)
    finish_task(shop, SHOP, row.ref, _of(shop, row, "package")[0].id, "PDF, 4 pages", actor=CASE)
    shop.commit()
    with pytest.raises(TransitionRefused, match="1 task\\(s\\) still open: Search Paper files"):
        respond(shop, SHOP, row.ref, Step(CASE, date(2026, 5, 20)))
    shop.rollback()
    # A caseworker cannot decide a search is disproportionate; neither can a token.
    for actor in (CASE, "token:t_1", "user:u_nobody"):
        with pytest.raises(ApprovalRequired):
            not_reasonable(shop, SHOP, row.ref, paper.id, "Archived off-site", actor=actor)
        shop.rollback()
    with pytest.raises(TransitionRefused, match="only by the DPO"):
        not_needed(shop, SHOP, row.ref, paper.id, "Too hard", actor=CASE)
    shop.rollback()
    with pytest.raises(RequestInvalid, match="reason"):
        not_reasonable(shop, SHOP, row.ref, paper.id, "  ", actor=dpo)
    shop.rollback()
    not_reasonable(shop, SHOP, row.ref, paper.id, "Archived off-site in 2015; no index", actor=dpo)
    shop.commit()
    # Telling the requester comes with the response: it does not hold it up.
    assert respond(shop, SHOP, row.ref, Step(CASE, date(2026, 5, 20))).outcome == "responded"
    shop.commit()
    states = {t.dataset: (t.state, t.found, t.done_by) for t in _of(shop, row, "manual_search")}
    assert states == {
        "crm": ("done", True, CASE),
        "orders": ("done", False, CASE),
        "paper_files": ("not_needed", None, dpo),
    }
    assert result_of(shop, row, crm) == "Account and 3 emails"
    # The words are sealed: not in the table, not in the chain.
    raw = shop.session.execute(
        text("SELECT result_sealed, reason_sealed FROM request_tasks WHERE request_id = :r"),
        {"r": row.id},
    ).all()
    assert all(
        b"emails" not in bytes(r or b"") and b"off-site" not in bytes(s or b"") for r, s in raw
    )
    actions = shop.session.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_id == row.ref).order_by(AuditEvent.seq)
    ).all()
    assert actions == [
        "request.received",
        "request.identity_verified",
        "request.task_started",
        "request.task_searched",
        "request.task_searched",
        "request.task_done",
        "request.task_not_reasonable",
        "request.responded",
    ]
    details = shop.session.scalars(
        select(AuditEvent.details).where(AuditEvent.entity_id == row.ref)
    ).all()
    assert "emails" not in str(details)
    assert "off-site" not in str(details)
    assert [h.action for h in history(shop, row)][-2:] == [
        "request.task_not_reasonable",
        "request.responded",
    ]
    assert verify(shop.session).intact


def test_bad_task_steps_are_refused_and_change_nothing(shop: UnitOfWork, dpo: str) -> None:
    row = _open(shop, "access", "automated_decisions")
    other = _open(shop, "access")
    search = _of(shop, row, "manual_search")[0]
    review = _of(shop, row, "human_review")[0]
    with pytest.raises(TaskNotFound):
        record_search(shop, SHOP, row.ref, "t_nope", False, "", actor=CASE)
    with pytest.raises(TaskNotFound):  # a task of another request
        record_search(shop, SHOP, other.ref, search.id, False, "", actor=CASE)
    with pytest.raises(RequestInvalid, match="what was found"):
        record_search(shop, SHOP, row.ref, search.id, True, " ", actor=CASE)
    with pytest.raises(TransitionRefused, match="record a search on"):
        record_search(shop, SHOP, row.ref, review.id, False, "", actor=CASE)
    with pytest.raises(TransitionRefused):
        finish_task(shop, SHOP, row.ref, search.id, "", actor=CASE)
    with pytest.raises(RequestInvalid, match="too long"):
        record_search(shop, SHOP, row.ref, search.id, True, "x" * 4001, actor=CASE)
    shop.rollback()
    assert {t.state for t in tasks_of(shop, row)} == {"open"}
    record_search(shop, SHOP, row.ref, search.id, False, "", actor=CASE)
    shop.commit()
    with pytest.raises(TransitionRefused, match="that is done"):
        record_search(shop, SHOP, row.ref, search.id, True, "more", actor=CASE)
    with pytest.raises(TransitionRefused, match="that is done"):
        not_reasonable(shop, SHOP, row.ref, search.id, "late", actor=dpo)
    shop.rollback()
    events = shop.session.scalars(
        select(RequestEvent.action)
        .where(RequestEvent.request_id == row.id)
        .order_by(RequestEvent.seq)  # no ORDER BY: PostgreSQL may answer in any order
    ).all()
    assert events == ["request.received", "request.task_searched"]
    # A finished request's tasks are finished with it.
    withdraw(shop, SHOP, other.ref, Step(CASE, date(2026, 5, 3)))
    shop.commit()
    with pytest.raises(TransitionRefused, match="withdrawn"):
        record_search(
            shop, SHOP, other.ref, _of(shop, other, "manual_search")[0].id, False, "", actor=CASE
        )


def test_a_human_review_records_the_subjects_view_and_the_outcome_sealed(
    shop: UnitOfWork,
) -> None:
    """ADM-01: a person reviews the automated decision, having heard the subject."""
    row = _open(shop, "automated_decisions")
    (task,) = tasks_of(shop, row)
    with pytest.raises(RequestInvalid, match="subject's view"):
        record_review(shop, SHOP, row.ref, task.id, "", "Upheld", actor=CASE)
    with pytest.raises(RequestInvalid, match="outcome"):
        record_review(shop, SHOP, row.ref, task.id, "My income is stable", "", actor=CASE)
    shop.rollback()
    record_review(
        shop,
        SHOP,
        row.ref,
        task.id,
        "My income is stable since March",
        "Decision overturned: credit limit restored",
        actor=CASE,
    )
    shop.commit()
    shop.session.refresh(task)
    assert (task.state, task.done_by) == ("done", CASE)
    review = review_of(shop, row, task)
    assert review is not None
    assert review.subject_view == "My income is stable since March"
    assert review.outcome == "Decision overturned: credit limit restored"
    raw = shop.session.execute(
        text("SELECT result_sealed FROM request_tasks WHERE id = :t"), {"t": task.id}
    ).scalar_one()
    assert b"income" not in bytes(raw)
    assert b"overturned" not in bytes(raw)
    audit = shop.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "request.task_reviewed")
    ).one()
    assert audit.details["task"] == task.id
    assert audit.details["sent"] == "email"
    assert "income" not in str(audit.details)
    # The outcome is sent to the requester, sealed with the request like every message.
    (message,) = request_messages(shop, row)
    assert message.kind == "human_review_outcome"
    assert b"overturned" not in bytes(message.sealed)


def test_a_review_for_a_requester_without_email_is_answered_by_post(shop: UnitOfWork) -> None:
    new = NewRequest(SHOP, ("automated_decisions",), "post", date(2026, 5, 1), Requester("Al"))
    row = open_request(shop, new, actor=CASE)
    (task,) = tasks_of(shop, row)
    record_review(shop, SHOP, row.ref, task.id, "Wrong data", "Upheld", actor=CASE)
    shop.commit()
    assert request_messages(shop, row) == []
    audit = shop.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "request.task_reviewed")
    ).one()
    assert audit.details["sent"] == "post"


def test_splitting_moves_rights_and_their_tasks_to_a_request_of_its_own(
    shop: UnitOfWork, clock: FixedClock
) -> None:
    """The new request keeps the day it arrived, the clock and its pauses (SAR-01..06), and
    the requester, sealed again under a key of its own."""
    row = _open(shop, "access", "erasure", received=date(2026, 4, 30))
    verify_identity(shop, SHOP, row.ref, "document", Step(CASE, date(2026, 5, 2)))
    access_search = _of(shop, row, "manual_search")[0]
    record_search(shop, SHOP, row.ref, access_search.id, True, "Account", actor=CASE)
    erasure_search = next(t for t in _of(shop, row, "manual_search") if t.right == "erasure")
    record_search(shop, SHOP, row.ref, erasure_search.id, True, "Orders to delete", actor=CASE)
    shop.commit()
    new = split_request(shop, SHOP, row.ref, ["erasure"], Step(CASE, date(2026, 5, 10), "Apart"))
    shop.commit()
    shop.session.refresh(row)
    assert (row.rights, new.rights) == (["access"], ["erasure"])
    assert new.ref != row.ref
    assert new.parent_id == row.id
    for name in ("received_on", "clock_starts_on", "due_on", "state", "nation", "channel"):
        assert getattr(new, name) == getattr(row, name), name
    assert new.identity_verified_on == date(2026, 5, 2)
    assert new.key_id != row.key_id
    assert requester_of(shop, new) == JANE
    assert {t.right for t in tasks_of(shop, new)} == {"erasure"}
    assert {t.right for t in tasks_of(shop, row)} == {"access"}
    # The moved task's words open under the new key only.
    shop.session.refresh(erasure_search)
    assert result_of(shop, new, erasure_search) == "Orders to delete"
    assert (parent_of(shop, new), list(split_into(shop, row))) == (row, [new])
    assert [h.action for h in history(shop, row)][-1] == "request.split"
    assert [(h.action, h.note) for h in history(shop, new)] == [("request.split", "Apart")]
    split = shop.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "request.split").order_by(AuditEvent.seq)
    ).all()
    assert [
        (e.entity_id, e.details.get("split_into"), e.details.get("split_from")) for e in split
    ] == [
        (row.ref, new.ref, None),
        (new.ref, None, row.ref),
    ]
    assert verify(shop.session).intact


def test_a_split_that_would_empty_the_original_or_names_another_right_is_refused(
    shop: UnitOfWork,
) -> None:
    row = _open(shop, "access", "erasure")
    step = Step(CASE, date(2026, 5, 10))
    with pytest.raises(TransitionRefused, match="no right"):
        split_request(shop, SHOP, row.ref, ["access", "erasure"], step)
    with pytest.raises(RequestInvalid, match="does not ask for 'rectification'"):
        split_request(shop, SHOP, row.ref, ["rectification"], step)
    with pytest.raises(RequestInvalid, match="choose"):
        split_request(shop, SHOP, row.ref, [], step)
    with pytest.raises(RequestInvalid):
        split_request(shop, SHOP, row.ref, ["erasure"], Step(CASE, date(2026, 6, 2)))
    shop.rollback()
    assert shop.session.scalars(select(RightsRequest)).all() == [row]
    withdraw(shop, SHOP, row.ref, step)
    with pytest.raises(TransitionRefused, match="withdrawn"):
        split_request(shop, SHOP, row.ref, ["erasure"], step)
    shop.rollback()
    shop.session.refresh(row)
    assert row.rights == ["access", "erasure"]
    assert {t.request_id for t in tasks_of(shop, row)} == {row.id}
