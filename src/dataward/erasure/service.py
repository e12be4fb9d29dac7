"""Erasure requests and their plans: find them, approve one, audit them. Never commits.

The ground and the plan are made in ``erasure.plan``, the plan executed by the worker in
``erasure.executor``, its proof read in ``erasure.evidence``. Every step is audited on the
request's own entry of the chain, with the plan id and counts only.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from dataward.audit.service import DetailValue
from dataward.erasure import audit_actions as actions
from dataward.erasure.errors import (
    ApprovalNeedsPerson,
    ErasureInvalid,
    ErasurePlanNotFound,
    ErasureRefused,
    NotAnErasureRequest,
)
from dataward.erasure.models import (
    APPROVED,
    PLANNED,
    REJECTED,
    SUPERSEDED,
    ErasureGround,
    ErasurePlan,
)
from dataward.jobs.service import enqueue
from dataward.requests.errors import TransitionRefused
from dataward.requests.models import RightsRequest
from dataward.requests.service import MAX_TEXT, add_event, audit_request, get_request
from dataward.requests.source_search import NoSubjectLinked, verified_subject
from dataward.requests.task_models import UNFINISHED, RequestTask
from dataward.requests.tasks import finish_task, require_approver, tasks_of
from dataward.subjects.models import Subject
from dataward.subjects.service import survivor
from dataward.uow import UnitOfWork

ERASURE = "erasure"
EXECUTE_JOB = "erasure.execute_plan"


def erasure_request(
    uow: UnitOfWork, organisation: str, ref: str, *, open_only: bool = True
) -> RightsRequest:
    """The request, refused unless it asks for erasure (and, with ``open_only``, is open,
    linked to a living subject whose identity is proven)."""
    row = get_request(uow, organisation, ref)
    if ERASURE not in row.rights:
        raise NotAnErasureRequest(f"request {row.ref} does not ask for erasure")
    if not open_only:
        return row
    if row.outcome is not None:
        raise TransitionRefused(f"the request is {row.state}: nothing more is erased for it")
    verified_subject(uow, row, "before planning an erasure")
    return row


def subject_of(uow: UnitOfWork, row: RightsRequest) -> Subject:
    """The request's subject, or the record it was merged into."""
    subject = uow.session.get(Subject, row.subject_id) if row.subject_id else None
    if subject is None:
        raise NoSubjectLinked(f"request {row.ref} has no subject linked: link one first")
    return survivor(uow, subject)


def ground_of(uow: UnitOfWork, row: RightsRequest) -> ErasureGround | None:
    return uow.session.scalars(
        select(ErasureGround).where(ErasureGround.request_id == row.id)
    ).first()


def plans_of(uow: UnitOfWork, row: RightsRequest) -> Sequence[ErasurePlan]:
    return uow.session.scalars(select(ErasurePlan).where(ErasurePlan.request_id == row.id)).all()


def get_plan(uow: UnitOfWork, organisation: str, ref: str) -> ErasurePlan:
    """The request's plan: the one not superseded by a newer plan."""
    row = erasure_request(uow, organisation, ref, open_only=False)
    for plan in plans_of(uow, row):
        if plan.state != SUPERSEDED:
            return plan
    raise ErasurePlanNotFound(f"request {row.ref} has no erasure plan")


def approve_erasure(uow: UnitOfWork, organisation: str, ref: str, *, actor: str) -> ErasurePlan:
    """A DPO (a person holding requests:approve, never a token) approves the plan; the
    worker then executes it (``EXECUTE_JOB``). The request's planning task is done."""
    if actor.startswith("token:"):
        raise ApprovalNeedsPerson(
            "an erasure cannot be undone: ERA-02 wants a person (the DPO or an administrator) "
            "to read the plan and approve it in the console, never an API token"
        )
    require_approver(
        uow, actor, "only the DPO or an administrator may approve an erasure plan (ERA-02)"
    )
    row = erasure_request(uow, organisation, ref)
    plan = get_plan(uow, organisation, ref)
    if plan.state != PLANNED:
        raise ErasureRefused(
            f"request {row.ref}: the plan is {plan.state}; only a new plan can be approved"
        )
    now = uow.clock.now()
    plan.state, plan.approved_by, plan.approved_at, plan.updated_at = APPROVED, actor, now, now
    uow.session.flush()
    enqueue(uow, EXECUTE_JOB, {"plan": plan.id})
    audit_plan(uow, plan, actions.PLAN_APPROVED, actor=actor, row=row)
    for task in _open_tasks(uow, row, "plan"):
        finish_task(uow, organisation, row.ref, task.id, "", actor=actor)
    return plan


def reject_plan(
    uow: UnitOfWork, organisation: str, ref: str, reason: str, *, actor: str
) -> ErasurePlan:
    """Send the plan back, with the reason: nothing is erased, and a new plan may be made.

    The reason is the caseworker's words, so it goes into the request's history (sealed
    under the request's key, shredded with it); the chain records the plan id and state.
    """
    words = reason.strip()
    if not words:
        raise ErasureInvalid("say why the plan is rejected: the next plan answers it")
    if len(words) > MAX_TEXT or "\x00" in words:
        raise ErasureInvalid(f"the reason is too long (at most {MAX_TEXT} characters)")
    row = erasure_request(uow, organisation, ref)
    plan = get_plan(uow, organisation, ref)
    if plan.state != PLANNED:
        raise ErasureRefused(
            f"request {row.ref}: the plan is {plan.state}; only a plan awaiting approval "
            "can be rejected"
        )
    plan.state, plan.updated_at = REJECTED, uow.clock.now()
    uow.session.flush()
    add_event(
        uow, row, actions.PLAN_REJECTED, row.state, actor=actor, on=uow.clock.today(), note=words
    )
    row.updated_at = uow.clock.now()
    audit_plan(uow, plan, actions.PLAN_REJECTED, actor=actor, row=row)
    return plan


def _open_tasks(uow: UnitOfWork, row: RightsRequest, kind: str) -> list[RequestTask]:
    return [
        task
        for task in tasks_of(uow, row)
        if task.right == ERASURE and task.kind == kind and task.state in UNFINISHED
    ]


def finish_execute_task(uow: UnitOfWork, row: RightsRequest, *, actor: str) -> None:
    """The plan is carried out: the request's 'make the change' task is done."""
    if row.outcome is not None:
        return
    for task in _open_tasks(uow, row, "execute"):
        finish_task(uow, row.organisation, row.ref, task.id, "", actor=actor)


def request_of(uow: UnitOfWork, plan: ErasurePlan) -> RightsRequest:
    row = uow.session.get(RightsRequest, plan.request_id)
    if row is None:  # pragma: no cover - a foreign key
        raise ErasurePlanNotFound("the plan's request is gone")
    return row


def audit_plan(
    uow: UnitOfWork,
    plan: ErasurePlan,
    action: str,
    *,
    actor: str,
    row: RightsRequest | None = None,
    **details: DetailValue,
) -> None:
    """One entry on the request's chain about its erasure plan: ids and counts only."""
    audit_request(
        uow,
        row or request_of(uow, plan),
        action,
        actor=actor,
        plan=plan.id,
        state=plan.state,
        **details,
    )
