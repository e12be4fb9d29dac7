"""JSON API for a request's erasure (issue 19, ERA-01..03).

Scopes ``requests:read`` (the ground, the plan, its steps and evidence) and
``requests:write`` (record the ground, plan, reject). Answers carry codes, counts, digests
counts, states and dates: never a row or a requester's detail. Approval is a person's
decision in the console (ERA-02): ``POST .../erasure/approve`` answers every token ``403
erasure_approval_needs_person``. Bad paths are problem+json with stable codes: ``404
request_not_found`` / ``erasure_plan_not_found``, ``409 request_not_erasure``,
``erasure_refused``, ``request_no_subject``, ``request_identity_not_proven``, ``422
erasure_invalid`` / ``erasure_no_ground``, ``404 sources_not_found``, ``503
source_unavailable``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from dataward.accounts.permissions import Permission
from dataward.erasure.plan import GROUNDS, plan_erasure, record_ground
from dataward.erasure.service import approve_erasure, erasure_request, ground_of, reject_plan
from dataward.erasure.views import PlanView, current_plan, plan_view
from dataward.requests.service import MAX_TEXT
from dataward.uow import UnitOfWork
from dataward.web.auth import api, principal_of
from dataward.web.deps import get_uow
from dataward.web.rule_first import RuleFirstRoute
from dataward.web.schemas import NO_NUL, problems

router = APIRouter(prefix="/api/v1", tags=["requests"], route_class=RuleFirstRoute)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
PathText = Annotated[str, Path(pattern=NO_NUL)]


class GroundIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ground: str = Field(
        max_length=40, description=f"The Art 17(1) ground (ERA-01): one of {', '.join(GROUNDS)}."
    )


class RejectIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        min_length=1,
        max_length=MAX_TEXT,
        pattern=NO_NUL,
        description="Why the plan is sent back: kept sealed in the request's history.",
    )


class GroundOut(BaseModel):
    ground: str
    words: str = Field(description="The ground in the caseworker's words.")
    recorded_by: str
    recorded_at: datetime


class StepOut(BaseModel):
    dataset: str
    binding: int = Field(description="The binding's index in the sources file's list.")
    connection: str
    action: str = Field(description="erase or keep.")
    how: dict[str, str] = Field(
        description="Column -> delete_row, set_null, anonymise:<rule> or keep."
    )
    rows: int
    files: int
    rows_kept: int
    kept_reason: str | None = Field(description="Why rows stay (ERA-02), a code.")
    why_kept: str | None = Field(description="That reason in words.")
    state: str = Field(description="pending, executing, done or kept.")


class EvidenceOut(BaseModel):
    dataset: str
    binding: int
    connection: str
    action: str
    rows: int
    files: int
    rows_kept: int
    key_digests: int = Field(description="How many rows are cited by digest.")
    kept_reason: str | None
    resumed: bool = Field(description="The source had already changed when this run began.")
    worker: str
    at: datetime


class PlanOut(BaseModel):
    id: str
    state: str = Field(description="planned, approved, running, done, stale or rejected.")
    ground: str
    sources_version: int
    register_version: int
    rows_erased: int
    rows_kept: int
    files_erased: int
    shred_when_done: bool
    shredded: bool
    failed_source: str | None = Field(description="A source that failed; retried later.")
    last_error: str | None
    planned_by: str
    planned_at: datetime
    approved_by: str | None
    approved_at: datetime | None
    finished_at: datetime | None
    steps: list[StepOut]
    evidence: list[EvidenceOut]


class ErasureOut(BaseModel):
    """A request's erasure: its ground and its current plan (none yet: null)."""

    ref: str
    ground: GroundOut | None
    plan: PlanOut | None


def _plan_out(view: PlanView) -> PlanOut:
    p = view.plan
    return PlanOut(
        id=p.id,
        state=p.state,
        ground=p.ground,
        sources_version=p.sources_version,
        register_version=p.register_version,
        rows_erased=p.rows_erased,
        rows_kept=p.rows_kept,
        files_erased=p.files_erased,
        shred_when_done=p.shred_when_done,
        shredded=p.shredded,
        failed_source=p.failed_source,
        last_error=p.last_error,
        planned_by=p.planned_by,
        planned_at=p.created_at,
        approved_by=p.approved_by,
        approved_at=p.approved_at,
        finished_at=p.finished_at,
        steps=[
            StepOut(
                dataset=s.step.dataset,
                binding=s.step.binding,
                connection=s.step.connection,
                action=s.step.action,
                how=s.step.how,
                rows=s.step.rows,
                files=s.step.files,
                rows_kept=s.step.rows_kept,
                kept_reason=s.step.kept_reason,
                why_kept=s.why,
                state=s.step.state,
            )
            for s in view.steps
        ],
        evidence=[
            EvidenceOut(
                dataset=e.row.dataset,
                binding=e.row.binding,
                connection=e.row.connection,
                action=e.row.action,
                rows=e.row.rows,
                files=e.row.files,
                rows_kept=e.row.rows_kept,
                key_digests=e.digests,
                kept_reason=e.row.kept_reason,
                resumed=e.row.resumed,
                worker=e.row.worker,
                at=e.row.at,
            )
            for e in view.evidence
        ],
    )


def erasure_out(uow: UnitOfWork, organisation: str, ref: str) -> ErasureOut:
    row = erasure_request(uow, organisation, ref, open_only=False)
    ground = ground_of(uow, row)
    view = plan_view(uow, organisation, ref) if current_plan(uow, row) else None
    return ErasureOut(
        ref=row.ref,
        ground=GroundOut(
            ground=ground.ground,
            words=GROUNDS.get(ground.ground, ground.ground),
            recorded_by=ground.recorded_by,
            recorded_at=ground.recorded_at,
        )
        if ground
        else None,
        plan=_plan_out(view) if view else None,
    )


@router.get(
    "/requests/{organisation}/{ref}/erasure",
    response_model=ErasureOut,
    name="api_request_erasure",
    dependencies=[api(Permission.REQUESTS_READ)],
    responses=problems(401, 403, 404, 409, 429),
)
def request_erasure(organisation: PathText, ref: PathText, uow: Uow) -> ErasureOut:
    """The request's erasure: the ground recorded (ERA-01), the current plan with each
    step (what goes and how, what stays and why) and, once run, its evidence (ERA-03)."""
    return erasure_out(uow, organisation[:80], ref[:32])


@router.put(
    "/requests/{organisation}/{ref}/erasure/ground",
    response_model=ErasureOut,
    name="api_request_erasure_ground",
    dependencies=[api(Permission.REQUESTS_WRITE)],
    responses=problems(401, 403, 404, 409, 422, 429),
)
def request_erasure_ground(
    organisation: PathText, ref: PathText, body: GroundIn, request: Request, uow: Uow
) -> ErasureOut:
    """Record, or change until a plan is approved, the ground the subject relies on."""
    actor = principal_of(request).actor
    record_ground(uow, organisation[:80], ref[:32], body.ground, actor=actor)
    uow.commit()
    return erasure_out(uow, organisation[:80], ref[:32])


@router.post(
    "/requests/{organisation}/{ref}/erasure/plan",
    response_model=ErasureOut,
    status_code=201,
    name="api_request_erasure_plan",
    dependencies=[api(Permission.REQUESTS_WRITE)],
    responses=problems(401, 403, 404, 409, 422, 429, 503),
)
def request_erasure_plan(
    organisation: PathText, ref: PathText, request: Request, uow: Uow
) -> ErasureOut:
    """A dry run over every bound source: nothing changes until a person approves it in
    the console. An earlier plan not yet approved (or stale, or rejected) is superseded."""
    plan_erasure(uow, organisation[:80], ref[:32], actor=principal_of(request).actor)
    uow.commit()
    return erasure_out(uow, organisation[:80], ref[:32])


@router.post(
    "/requests/{organisation}/{ref}/erasure/reject",
    response_model=ErasureOut,
    name="api_request_erasure_reject",
    dependencies=[api(Permission.REQUESTS_WRITE)],
    responses=problems(401, 403, 404, 409, 422, 429),
)
def request_erasure_reject(
    organisation: PathText, ref: PathText, body: RejectIn, request: Request, uow: Uow
) -> ErasureOut:
    """Send a plan awaiting approval back, with the reason: nothing is erased."""
    actor = principal_of(request).actor
    reject_plan(uow, organisation[:80], ref[:32], body.reason, actor=actor)
    uow.commit()
    return erasure_out(uow, organisation[:80], ref[:32])


@router.post(
    "/requests/{organisation}/{ref}/erasure/approve",
    response_model=ErasureOut,
    name="api_request_erasure_approve",
    dependencies=[api(Permission.REQUESTS_WRITE)],
    responses=problems(401, 403, 404, 409, 429),
)
def request_erasure_approve(
    organisation: PathText, ref: PathText, request: Request, uow: Uow
) -> ErasureOut:
    """Always refused for a token (403 ``erasure_approval_needs_person``): an erasure
    cannot be undone, so ERA-02 wants a person (the DPO or an administrator) to read the
    plan and approve it in the console."""
    approve_erasure(uow, organisation[:80], ref[:32], actor=principal_of(request).actor)
    uow.commit()  # pragma: no cover - an API caller is always a token
    return erasure_out(uow, organisation[:80], ref[:32])  # pragma: no cover
