"""What the console shows of an erasure (ERA-01..03): the request page's panel and the plan's
page, read from the ground, the plan, its steps and its evidence. Never writes.

Every strategy and reason is put in a DPO's words here, once, so the panel, the plan page
and the API say the same thing. Counts, codes, digests and versions only: nothing of the
person (the rejection's reason is the caseworker's, unsealed from the request's history).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from dataward.erasure import audit_actions as actions
from dataward.erasure.evidence import evidence_of, steps_of, why_kept
from dataward.erasure.models import (
    APPROVED,
    DONE,
    ERASE,
    LIVE,
    PLANNED,
    REJECTED,
    RUNNING,
    STALE,
    ErasureEvidence,
    ErasureGround,
    ErasurePlan,
    ErasureStep,
)
from dataward.erasure.plan import GROUNDS
from dataward.erasure.service import ERASURE, erasure_request, ground_of, plans_of
from dataward.erasure.survey import ANONYMISE_RULES, DELETE_ROW, KEEP_COLUMN, SET_NULL
from dataward.requests.models import RightsRequest
from dataward.requests.queue import history
from dataward.uow import UnitOfWork

# A plan's state in words: what it means and what comes next.
STATE_WORDS: dict[str, str] = {
    PLANNED: "Planned: nothing has changed yet; a DPO reads the plan and approves or rejects it",
    APPROVED: "Approved: the worker erases it source by source",
    RUNNING: "Being erased: the worker is working through the sources",
    DONE: "Done: the evidence proves what went and what stayed",
    STALE: "The data changed since this plan: plan again",
    REJECTED: "Rejected: nothing was erased; plan again once the reason is answered",
}


def column_words(strategy: str) -> str:
    """A column's erasure strategy (the sources file's) as a DPO reads it."""
    if strategy == DELETE_ROW:
        return "the whole row is deleted"
    if strategy == SET_NULL:
        return "emptied (set to null)"
    if strategy == KEEP_COLUMN:
        return "kept as it is"
    rule = strategy.partition(":")[2]
    if strategy.startswith("anonymise:") and rule in ANONYMISE_RULES:
        return f"anonymised: replaced by {ANONYMISE_RULES[rule]!r} in every row"
    return strategy


@dataclass(frozen=True)
class StepView:
    """One binding of one dataset: what goes and how, what stays and why."""

    step: ErasureStep
    erasing: bool
    columns: list[tuple[str, str]]
    why: str | None
    # No row or file of the person in this binding: nothing to erase or keep.
    found_nothing: bool


@dataclass(frozen=True)
class EvidenceView:
    row: ErasureEvidence
    digests: int
    why: str | None


@dataclass(frozen=True)
class Rejection:
    actor: str
    at: datetime
    reason: str | None


@dataclass(frozen=True)
class PlanView:
    request: RightsRequest
    ground: ErasureGround | None
    ground_words: str | None
    plan: ErasurePlan
    words: str
    steps: list[StepView]
    evidence: list[EvidenceView]
    rejection: Rejection | None
    # A source failed and the worker tries it again later.
    retry_pending: bool
    # Approve and reject are offered: the plan awaits a decision and the request is open.
    deciding: bool
    # A new plan may be made (stale or rejected, the request open).
    can_replan: bool


def _steps(found: Sequence[ErasureStep]) -> list[StepView]:
    return [
        StepView(
            step,
            step.action == ERASE,
            [(column, column_words(how)) for column, how in step.how.items()],
            why_kept(step.kept_reason, step.kept_detail),
            step.rows == 0 and step.files == 0 and step.rows_kept == 0,
        )
        for step in found
    ]


def _rejection(uow: UnitOfWork, row: RightsRequest) -> Rejection | None:
    said = [e for e in history(uow, row) if e.action == actions.PLAN_REJECTED]
    if not said:
        return None
    last = said[-1]
    return Rejection(last.actor, last.at, last.note)


def current_plan(uow: UnitOfWork, row: RightsRequest) -> ErasurePlan | None:
    """The request's plan not superseded by a newer one, if it has any."""
    live = [plan for plan in plans_of(uow, row) if plan.state != "superseded"]
    return max(live, key=lambda plan: plan.created_at) if live else None


def plan_view(uow: UnitOfWork, organisation: str, ref: str) -> PlanView | None:
    """The plan page of the request, or None when it has no plan yet."""
    row = erasure_request(uow, organisation, ref, open_only=False)
    plan = current_plan(uow, row)
    if plan is None:
        return None
    ground = ground_of(uow, row)
    is_open = row.outcome is None
    return PlanView(
        request=row,
        ground=ground,
        ground_words=GROUNDS.get(ground.ground) if ground else None,
        plan=plan,
        words=STATE_WORDS.get(plan.state, plan.state),
        steps=_steps(steps_of(uow, plan)),
        evidence=[
            EvidenceView(e, e.rows, why_kept(e.kept_reason, e.kept_detail))
            for e in evidence_of(uow, plan)
        ],
        rejection=_rejection(uow, row) if plan.state == REJECTED else None,
        retry_pending=plan.state in LIVE and plan.failed_source is not None,
        deciding=is_open and plan.state == PLANNED,
        can_replan=is_open and plan.state in (STALE, REJECTED),
    )


def erasure_panel(uow: UnitOfWork, row: RightsRequest) -> dict[str, object]:
    """What ``console/_erasure.html`` shows on the request's page (a request asking for
    erasure only): the ground, the plan's state in words and what can be done next."""
    if ERASURE not in row.rights:
        return {"erasure_offered": False}
    ground = ground_of(uow, row)
    plan = current_plan(uow, row)
    is_open = row.outcome is None
    ready = is_open and row.subject_id is not None and row.identity_verified_on is not None
    settled = plan is not None and plan.state in (APPROVED, RUNNING, DONE)
    return {
        "erasure_offered": True,
        "erasure_ground": ground,
        "erasure_ground_words": GROUNDS.get(ground.ground) if ground else None,
        "erasure_grounds": GROUNDS,
        "erasure_plan": plan,
        "erasure_words": STATE_WORDS.get(plan.state, plan.state) if plan else None,
        # Ground and plan are offered once the subject is linked and proven, until approval.
        "erasure_ready": ready,
        "can_record_ground": ready and not settled,
        "can_plan": ready and ground is not None and not settled,
    }
