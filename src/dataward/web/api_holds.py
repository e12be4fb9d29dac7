"""JSON API for legal holds (RET-02, ERA-02), for integrators: place, list, read, review,
close.

Scopes ``holds:read`` and ``holds:write``. A hold holds no personal data: its subject is
named by the pseudonymous ref, its case and record by the organisation's own references.
Bad input is ``422 hold_invalid``; an unknown hold ``404 hold_not_found``; a step on a closed
hold ``409 hold_closed``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.types import DecoratedCallable
from pydantic import BaseModel, Field

from dataward.accounts.permissions import Permission
from dataward.holds.listing import (
    HoldFilter,
    complaint_id_of,
    complaint_ref_of,
    list_holds,
    subject_ref_of,
)
from dataward.holds.models import LegalHold
from dataward.holds.service import (
    REASONS,
    SCOPES,
    NewHold,
    close_hold,
    get_hold,
    place_hold,
    review_hold,
)
from dataward.uow import UnitOfWork
from dataward.web.auth import api, principal_of
from dataward.web.deps import get_uow
from dataward.web.rule_first import RuleFirstRoute
from dataward.web.schemas import NO_NUL, problems

router = APIRouter(prefix="/api/v1", tags=["holds"], route_class=RuleFirstRoute)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
PathText = Annotated[str, Path(pattern=NO_NUL)]
DatasetId = Annotated[str, Field(min_length=1, max_length=80, pattern=NO_NUL)]


class HoldIn(BaseModel):
    """What the hold sits on and why: a register hold (``hold_id``) or a ``reason``."""

    organisation: str = Field(min_length=1, max_length=80, pattern=NO_NUL)
    scope: str = Field(max_length=16, pattern=NO_NUL, description=f"One of {', '.join(SCOPES)}.")
    owner: str = Field(
        min_length=1, max_length=200, pattern=NO_NUL, description="Who reviews it (staff email)."
    )
    review_on: date = Field(description="When the owner reviews it; after today.")
    hold_id: str | None = Field(
        default=None,
        max_length=80,
        pattern=NO_NUL,
        description="A hold of the register: its reason, datasets and closure come from it.",
    )
    reason: str | None = Field(
        default=None,
        max_length=24,
        pattern=NO_NUL,
        description=f"One of {', '.join(REASONS)}; from the register's hold when left out.",
    )
    subject_ref: str | None = Field(default=None, max_length=32, pattern=NO_NUL)
    case_ref: str | None = Field(default=None, max_length=120, pattern=NO_NUL)
    record_ref: str | None = Field(default=None, max_length=200, pattern=NO_NUL)
    datasets: list[DatasetId] = Field(
        default_factory=list,
        max_length=200,
        description="Dataset ids of the register; empty: those the register's hold covers.",
    )
    complaint_ref: str | None = Field(
        default=None,
        max_length=32,
        pattern=NO_NUL,
        description="The complaint that placed it: closing the complaint closes the hold.",
    )


class HoldOut(BaseModel):
    ref: str
    organisation: str
    hold_id: str | None
    reason: str
    scope: str
    subject_ref: str | None
    case_ref: str | None
    record_ref: str | None
    datasets: list[str]
    owner: str
    review_on: date
    placed_on: date
    placed_by: str
    open: bool
    closed_on: date | None
    closed_by: str | None
    on_close: str = Field(
        description="restart_after, restart_rule, resume, keep or unspecified (the register's)."
    )
    release_on: date | None = Field(description="With restart_after: when the data may go.")
    complaint_ref: str | None


class HoldList(BaseModel):
    holds: list[HoldOut]


class ReviewIn(BaseModel):
    review_on: date = Field(description="The next review; after today.")


def hold_out(uow: UnitOfWork, row: LegalHold) -> HoldOut:
    return HoldOut(
        ref=row.ref,
        organisation=row.organisation,
        hold_id=row.hold_id,
        reason=row.reason,
        scope=row.scope,
        subject_ref=subject_ref_of(uow, row),
        case_ref=row.case_ref,
        record_ref=row.record_ref,
        datasets=list(row.datasets),
        owner=row.owner,
        review_on=row.review_on,
        placed_on=row.placed_on,
        placed_by=row.placed_by,
        open=row.closed_on is None,
        closed_on=row.closed_on,
        closed_by=row.closed_by,
        on_close=row.on_close,
        release_on=row.release_on,
        complaint_ref=complaint_ref_of(uow, row),
    )


def _saved(uow: UnitOfWork, row: LegalHold) -> HoldOut:
    """Commit the change and answer with the hold as it now is."""
    uow.commit()
    return hold_out(uow, row)


@router.post(
    "/holds",
    response_model=HoldOut,
    status_code=201,
    name="api_hold_place",
    dependencies=[api(Permission.HOLDS_WRITE)],
    responses=problems(401, 403, 404, 413, 422, 429),
)
def hold_place(body: HoldIn, request: Request, uow: Uow) -> HoldOut:
    """Place a hold from today (RET-02): the retention engine keeps what it covers until
    it closes."""
    complaint_id = (
        complaint_id_of(uow, body.organisation, body.complaint_ref) if body.complaint_ref else None
    )
    new = NewHold(
        organisation=body.organisation,
        scope=body.scope,
        owner=body.owner,
        review_on=body.review_on,
        hold_id=body.hold_id,
        reason=body.reason,
        subject_ref=body.subject_ref,
        case_ref=body.case_ref,
        record_ref=body.record_ref,
        datasets=tuple(body.datasets),
        complaint_id=complaint_id,
    )
    row = place_hold(uow, new, actor=principal_of(request).actor)
    return _saved(uow, row)


@router.get(
    "/holds",
    response_model=HoldList,
    name="api_holds",
    dependencies=[api(Permission.HOLDS_READ)],
    responses=problems(401, 403, 422, 429),
)
def hold_list(
    uow: Uow,
    organisation: Annotated[str | None, Query(max_length=80, pattern=NO_NUL)] = None,
    open: Annotated[bool | None, Query(description="true: open only; false: closed.")] = None,
    subject_ref: Annotated[str | None, Query(max_length=32, pattern=NO_NUL)] = None,
    case_ref: Annotated[str | None, Query(max_length=120, pattern=NO_NUL)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> HoldList:
    """Holds, open ones first, the next review first. ``subject_ref`` needs
    ``organisation``."""
    filters = HoldFilter(
        organisation=organisation, open=open, subject_ref=subject_ref, case_ref=case_ref
    )
    return HoldList(holds=[hold_out(uow, r) for r in list_holds(uow, filters, limit=limit)])


@router.get(
    "/holds/{organisation}/{ref}",
    response_model=HoldOut,
    name="api_hold",
    dependencies=[api(Permission.HOLDS_READ)],
    responses=problems(401, 403, 404, 429),
)
def hold_read(organisation: PathText, ref: PathText, uow: Uow) -> HoldOut:
    return hold_out(uow, get_hold(uow, organisation[:80], ref[:32]))


def _hold_step(
    step: str, name: str, *statuses: int
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """A step on one hold: ``POST /holds/{organisation}/{ref}/<step>``, scope
    ``holds:write``, answering with the hold as it now is; ``statuses`` are its refusals
    beyond 401, 403, 404 and 429."""
    return router.post(
        f"/holds/{{organisation}}/{{ref}}/{step}",
        response_model=HoldOut,
        name=name,
        dependencies=[api(Permission.HOLDS_WRITE)],
        responses=problems(401, 403, 404, *statuses, 429),
    )


@_hold_step("review", "api_hold_review", 409, 413, 422)
def hold_review(
    organisation: PathText, ref: PathText, body: ReviewIn, request: Request, uow: Uow
) -> HoldOut:
    """The owner looked again and keeps the hold until the next review (RET-02)."""
    actor = principal_of(request).actor
    row = review_hold(uow, organisation[:80], ref[:32], body.review_on, actor=actor)
    return _saved(uow, row)


@_hold_step("close", "api_hold_close", 409)
def hold_close(organisation: PathText, ref: PathText, request: Request, uow: Uow) -> HoldOut:
    """Close the hold today; with the register's ``restart_after`` the held data waits that
    long more (``release_on``)."""
    row = close_hold(uow, organisation[:80], ref[:32], actor=principal_of(request).actor)
    return _saved(uow, row)
