"""JSON API for a request's tasks (the search record, SAR-07; human review, ADM-01) and for
splitting a request that asks for several rights.

Scopes ``requests:read`` (the tasks, with their recorded words) and ``requests:write`` (a step
on a task, a split). Setting a search aside as not reasonable and proportionate is the DPO's
decision, never a token's: through the API it is ``403 request_approval_required``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from dataward.accounts.permissions import Permission
from dataward.requests import tasks as work
from dataward.requests.errors import RequestInvalid
from dataward.requests.models import RightsRequest
from dataward.requests.rights_applied import apply_right, lift_from_request, warn_before_lifting
from dataward.requests.service import get_request
from dataward.requests.split import parent_of, split_into, split_request
from dataward.requests.task_models import RequestTask
from dataward.requests.transitions import Step
from dataward.uow import UnitOfWork
from dataward.web.auth import api, principal_of
from dataward.web.deps import get_uow
from dataward.web.rule_first import RuleFirstRoute
from dataward.web.schemas import NO_NUL, problems

router = APIRouter(prefix="/api/v1", tags=["requests"], route_class=RuleFirstRoute)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
PathText = Annotated[str, Path(pattern=NO_NUL)]
Words = Annotated[str, Field(max_length=4000, pattern=NO_NUL)]


class TaskOut(BaseModel):
    id: str
    right: str
    kind: str = Field(description="search, manual_search, package, plan, execute, notify, ...")
    state: str = Field(description="open, in_progress, done, not_needed or cancelled.")
    dataset: str | None = Field(description="The register's dataset id, for searches.")
    title: str
    assignee: str | None
    found: bool | None = Field(description="SAR-07: whether the search found data.")
    done_by: str | None
    done_at: datetime | None
    result: str | None = Field(description="What was found or done, in the staff's words.")
    reason: str | None = Field(description="Why the task was set aside.")
    subject_view: str | None = Field(description="ADM-01: the subject's view.")
    outcome: str | None = Field(description="ADM-01: the reviewer's decision.")


class TaskList(BaseModel):
    ref: str
    parent: str | None = Field(description="The request this one was split from.")
    split_into: list[str] = Field(description="The requests split from this one.")
    tasks: list[TaskOut]


class TaskStepIn(BaseModel):
    action: Literal["start", "search", "not_reasonable", "review", "apply", "finish", "not_needed"]
    found: bool | None = Field(default=None, description="search: whether data was found.")
    note: Words = Field(default="", description="search, finish: what was found or done.")
    reason: Words = Field(default="", description="not_reasonable, not_needed: why.")
    subject_view: Words = Field(default="", description="review: the subject's view.")
    outcome: Words = Field(default="", description="review: the decision, sent to them.")
    purposes: list[Annotated[str, Field(max_length=80, pattern=NO_NUL)]] = Field(
        default_factory=list,
        max_length=100,
        description="apply: the register purposes a restriction or objection covers "
        "(none: every one it can).",
    )
    ground: Annotated[str, Field(max_length=40, pattern=NO_NUL)] | None = Field(
        default=None, description="apply, restriction: its Art 18(1) ground."
    )


class RestrictionStepIn(BaseModel):
    action: Literal["warn", "lift"] = Field(
        description="warn: tell the requester the restriction will be lifted (Art 18(3)); "
        "lift: lift it, refused (restriction_invalid) until they were told."
    )


class RestrictionOut(BaseModel):
    ref: str
    ground: str
    purposes: list[str] = Field(description="The purposes restricted; empty: every one.")
    started_at: datetime
    subject_told_at: datetime | None = Field(description="When the requester was told.")
    lifted_at: datetime | None


class SplitIn(BaseModel):
    rights: list[Annotated[str, Field(max_length=40, pattern=NO_NUL)]] = Field(
        min_length=1, max_length=12, examples=[["erasure"]]
    )
    on: date = Field(description="The day the split took effect; not after today.")
    note: str | None = Field(default=None, max_length=4000, pattern=NO_NUL)


class SplitOut(BaseModel):
    ref: str
    rights: list[str] = Field(description="The rights the original keeps.")
    split_into: str = Field(description="The new request's reference.")
    moved: list[str] = Field(description="The rights it took, with their tasks.")


def _task(uow: UnitOfWork, row: RightsRequest, task: RequestTask) -> TaskOut:
    review = work.review_of(uow, row, task)
    return TaskOut(
        id=task.id,
        right=task.right,
        kind=task.kind,
        state=task.state,
        dataset=task.dataset,
        title=task.title,
        assignee=task.assignee,
        found=task.found,
        done_by=task.done_by,
        done_at=task.done_at,
        result=None if review else work.result_of(uow, row, task),
        reason=work.reason_of(uow, row, task),
        subject_view=review.subject_view if review else None,
        outcome=review.outcome if review else None,
    )


@router.get(
    "/requests/{organisation}/{ref}/tasks",
    response_model=TaskList,
    name="api_request_tasks",
    dependencies=[api(Permission.REQUESTS_READ)],
    responses=problems(401, 403, 404, 429),
)
def request_tasks(organisation: PathText, ref: PathText, uow: Uow) -> TaskList:
    """The request's tasks in the order they are done, and the requests it was split
    from or into."""
    row = get_request(uow, organisation[:80], ref[:32])
    parent = parent_of(uow, row)
    return TaskList(
        ref=row.ref,
        parent=parent.ref if parent else None,
        split_into=[r.ref for r in split_into(uow, row)],
        tasks=[_task(uow, row, t) for t in work.tasks_of(uow, row)],
    )


@router.post(
    "/requests/{organisation}/{ref}/tasks/{task_id}",
    response_model=TaskOut,
    name="api_request_task_step",
    dependencies=[api(Permission.REQUESTS_WRITE)],
    responses=problems(401, 403, 404, 409, 413, 422, 429),
)
def request_task_step(
    organisation: PathText,
    ref: PathText,
    task_id: PathText,
    body: TaskStepIn,
    request: Request,
    uow: Uow,
) -> TaskOut:
    """Record a search (SAR-07) or a human review (ADM-01), apply a restriction or objection
    (RES-01, OBJ-01: ``apply`` on its "make the change" task), or finish or set aside a task."""
    actor, org, ref, task_id = (
        principal_of(request).actor,
        organisation[:80],
        ref[:32],
        task_id[:24],
    )
    if body.action == "start":
        task = work.start_task(uow, org, ref, task_id, actor=actor)
    elif body.action == "search":
        if body.found is None:
            raise RequestInvalid("say whether the search found data (found: true or false)")
        task = work.record_search(uow, org, ref, task_id, body.found, body.note, actor=actor)
    elif body.action == "not_reasonable":
        task = work.not_reasonable(uow, org, ref, task_id, body.reason, actor=actor)
    elif body.action == "review":
        task = work.record_review(
            uow, org, ref, task_id, body.subject_view, body.outcome, actor=actor
        )
    elif body.action == "apply":
        task = apply_right(
            uow, org, ref, task_id, purposes=body.purposes, ground=body.ground, actor=actor
        )
    elif body.action == "finish":
        task = work.finish_task(uow, org, ref, task_id, body.note, actor=actor)
    else:
        task = work.not_needed(uow, org, ref, task_id, body.reason, actor=actor)
    uow.commit()
    return _task(uow, get_request(uow, org, ref), task)


@router.post(
    "/requests/{organisation}/{ref}/restrictions/{restriction}",
    response_model=RestrictionOut,
    name="api_request_restriction_step",
    dependencies=[api(Permission.REQUESTS_WRITE)],
    responses=problems(401, 403, 404, 413, 422, 429),
)
def request_restriction_step(
    organisation: PathText,
    ref: PathText,
    restriction: PathText,
    body: RestrictionStepIn,
    request: Request,
    uow: Uow,
) -> RestrictionOut:
    """RES-01, Art 18(3): tell the requester a restriction on the request's subject will be
    lifted (``warn``: the message is queued and that they were told recorded), then lift it
    (``lift``). Lifting before the warning, or a restriction not on the request's subject,
    is ``422 restriction_invalid`` and changes nothing."""
    step = warn_before_lifting if body.action == "warn" else lift_from_request
    actor = principal_of(request).actor
    row = step(uow, organisation[:80], ref[:32], restriction[:32], actor=actor)
    uow.commit()
    return RestrictionOut(
        ref=row.ref,
        ground=row.ground,
        purposes=list(row.purposes),
        started_at=row.started_at,
        subject_told_at=row.subject_told_at,
        lifted_at=row.lifted_at,
    )


@router.post(
    "/requests/{organisation}/{ref}/split",
    response_model=SplitOut,
    status_code=201,
    name="api_request_split",
    dependencies=[api(Permission.REQUESTS_WRITE)],
    responses=problems(401, 403, 404, 409, 413, 422, 429),
)
def request_split(
    organisation: PathText, ref: PathText, body: SplitIn, request: Request, uow: Uow
) -> SplitOut:
    """Move the named rights and their tasks to a new request with the same dates."""
    step = Step(principal_of(request).actor, body.on, body.note)
    new = split_request(uow, organisation[:80], ref[:32], body.rights, step)
    uow.commit()
    original = get_request(uow, organisation[:80], ref[:32])
    return SplitOut(
        ref=original.ref, rights=list(original.rights), split_into=new.ref, moved=list(new.rights)
    )
