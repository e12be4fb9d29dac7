"""JSON API for complaints (CMP-01), for integrators: open, list, read.

Scopes ``complaints:read`` and ``complaints:write``. The complainant's details travel in
request bodies only and come back only on a single complaint's answer, to a caller holding
``complaints:read`` (never in a list, a URL or a log). The steps after opening are in
``web.api_complaint_steps``. Bad input is ``422 complaint_invalid``; an unknown complaint
``404 complaint_not_found``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from dataward.accounts.permissions import Permission
from dataward.complaints.listing import (
    ComplaintFilter,
    complaint_facts,
    complaint_record,
    list_complaints,
)
from dataward.complaints.models import Complaint
from dataward.complaints.service import (
    CHANNELS,
    COMPLAINANT_KINDS,
    MAX_TEXT,
    THEMES,
    Complainant,
    NewComplaint,
    get_complaint,
    open_complaint,
    today_of,
)
from dataward.complaints.steps import link_request
from dataward.uow import UnitOfWork
from dataward.web.auth import api, principal_of
from dataward.web.deps import get_uow
from dataward.web.rule_first import RuleFirstRoute
from dataward.web.schemas import NO_NUL, problems

router = APIRouter(prefix="/api/v1", tags=["complaints"], route_class=RuleFirstRoute)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
Text = Annotated[str, Field(max_length=MAX_TEXT, pattern=NO_NUL)]
Ref = Annotated[str, Field(min_length=1, max_length=32, pattern=NO_NUL)]
PathText = Annotated[str, Path(pattern=NO_NUL)]


class ComplainantIn(BaseModel):
    """Who complains and how to reach them (sealed under the complaint's own key)."""

    name: Text = ""
    email: Text = ""
    phone: Text = ""
    address: Text = ""
    words: Text = Field(
        default="", description="The complaint in the complainant's own words (required)."
    )
    on_behalf_of: Text = Field(
        default="", description="Whom they act for, when complainant_kind is not 'self'."
    )
    authority: Text = ""
    reply_by: Literal["", "email", "post"] = Field(
        default="", description="'post' where the complainant asked to be answered by post."
    )


class ComplaintIn(BaseModel):
    organisation: str = Field(min_length=1, max_length=80, pattern=NO_NUL)
    channel: str = Field(
        default="api",
        max_length=16,
        pattern=NO_NUL,
        description=f"How it arrived: {', '.join(CHANNELS)}.",
        examples=["phone"],
    )
    received_on: date = Field(description="The day it actually arrived (CMP-01); not after today.")
    complainant: ComplainantIn
    complainant_kind: str = Field(
        default="self",
        max_length=24,
        pattern=NO_NUL,
        description=f"The person, or who acts for them (SAR-10): {', '.join(COMPLAINANT_KINDS)}.",
    )
    theme: str | None = Field(
        default=None,
        max_length=24,
        pattern=NO_NUL,
        description=f"What it is about: {', '.join(THEMES)}.",
    )
    subject_ref: str | None = Field(
        default=None, max_length=32, pattern=NO_NUL, description="The subject, when known."
    )
    request_refs: list[Ref] = Field(
        default_factory=list,
        max_length=20,
        description="Rights requests of the organisation the complaint is about, linked at once.",
    )

    def as_new(self) -> NewComplaint:
        return NewComplaint(
            organisation=self.organisation,
            channel=self.channel,
            received_on=self.received_on,
            complainant=Complainant(**self.complainant.model_dump()),
            complainant_kind=self.complainant_kind,
            subject_ref=self.subject_ref,
            theme=self.theme,
        )


class ComplaintOut(BaseModel):
    """A complaint's codes and days: no personal data."""

    ref: str
    organisation: str
    channel: str
    state: str = Field(description="received, acknowledged, investigating or closed.")
    urgency: str = Field(
        description="acknowledgement_overdue, outcome_overdue, on_time, or closed (CMP-01)."
    )
    received_on: date
    acknowledge_by: date = Field(description="CMP-01: 30 days after receipt.")
    acknowledged_on: date | None
    outcome_target_on: date | None = Field(
        description="The outcome as the register promises it; null when it promises none."
    )
    outcome: str | None
    closed_on: date | None
    theme: str | None
    complainant_kind: str
    subject_linked: bool
    request_refs: list[str]


class HistoryOut(BaseModel):
    seq: int
    at: datetime
    on: date = Field(description="The day the step took effect.")
    actor: str
    action: str
    from_state: str | None
    to_state: str
    note: str | None = Field(description="The caseworker's words (complaints:read only).")


class ComplaintDetail(ComplaintOut):
    subject_ref: str | None
    complainant: ComplainantIn | None = Field(
        description="The complainant's details: to a caller holding complaints:read only."
    )
    history: list[HistoryOut]


class ComplaintList(BaseModel):
    complaints: list[ComplaintOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )


def complaint_out(row: Complaint, today: date) -> ComplaintOut:
    return ComplaintOut(**complaint_facts(row, today))


def complaint_detail(uow: UnitOfWork, row: Complaint, request: Request) -> ComplaintDetail:
    """The complaint; its complainant and notes only to a reader (a writer's token may lack
    ``complaints:read``)."""
    sealed = principal_of(request).can(Permission.COMPLAINTS_READ)
    return ComplaintDetail(**complaint_record(uow, row, sealed=sealed))


@router.post(
    "/complaints",
    response_model=ComplaintDetail,
    status_code=201,
    name="api_complaint_create",
    dependencies=[api(Permission.COMPLAINTS_WRITE)],
    responses=problems(401, 403, 404, 409, 413, 422, 429),
)
def complaint_create(body: ComplaintIn, request: Request, uow: Uow) -> ComplaintDetail:
    """Open a complaint from any channel on the day it arrived (CMP-01): its
    acknowledgement is due 30 days later, its outcome when the register promises it.
    ``request_refs`` are linked in the same transaction: one unknown, and nothing is
    opened."""
    actor = principal_of(request).actor
    row = open_complaint(uow, body.as_new(), actor=actor)
    for ref in dict.fromkeys(body.request_refs):
        link_request(uow, row.organisation, row.ref, ref, actor=actor)
    uow.commit()
    return complaint_detail(uow, row, request)


@router.get(
    "/complaints",
    response_model=ComplaintList,
    name="api_complaints",
    dependencies=[api(Permission.COMPLAINTS_READ)],
    responses=problems(401, 403, 422, 429),
)
def complaint_list(
    uow: Uow,
    organisation: Annotated[str | None, Query(max_length=80, pattern=NO_NUL)] = None,
    state: Annotated[
        Literal["received", "acknowledged", "investigating", "closed", "open"] | None,
        Query(),
    ] = None,
    urgency: Annotated[
        Literal["acknowledgement_overdue", "outcome_overdue", "on_time"] | None, Query()
    ] = None,
    theme: Annotated[str | None, Query(max_length=24, pattern=NO_NUL)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    cursor: Annotated[str | None, Query(max_length=200, pattern=NO_NUL)] = None,
) -> ComplaintList:
    """Complaints, the oldest received first, a page at a time: codes and days only, never
    the complainant. ``urgency`` keeps to open complaints (CMP-01's clocks)."""
    filters = ComplaintFilter(organisation=organisation, state=state, urgency=urgency, theme=theme)
    page = list_complaints(uow, filters, limit=limit, cursor=cursor)
    today = today_of(uow)
    return ComplaintList(
        complaints=[complaint_out(r, today) for r in page.rows], next_cursor=page.next_cursor
    )


@router.get(
    "/complaints/{organisation}/{ref}",
    response_model=ComplaintDetail,
    name="api_complaint",
    dependencies=[api(Permission.COMPLAINTS_READ)],
    responses=problems(401, 403, 404, 429),
)
def complaint_read(
    organisation: PathText, ref: PathText, request: Request, uow: Uow
) -> ComplaintDetail:
    """One complaint: its clocks, the complainant's details and its history with notes."""
    return complaint_detail(uow, get_complaint(uow, organisation[:80], ref[:32]), request)
