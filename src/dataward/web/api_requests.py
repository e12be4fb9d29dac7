"""JSON API for rights requests, for integrators: open, list, read, and take a step.

Scopes ``requests:read`` and ``requests:write``. The requester's details travel in request
bodies only and come back only on a single request's answer (never in a list, a URL or a
log). A step the rules forbid is ``409 request_transition_refused`` with its reason.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from dataward.accounts.permissions import Permission
from dataward.requests import transitions as steps
from dataward.requests.authority import Evidence
from dataward.requests.batch import StatusUrl, open_with_authority
from dataward.requests.errors import RequestInvalid
from dataward.requests.models import RightsRequest
from dataward.requests.queue import QueueFilter, queue, urgency
from dataward.requests.service import NewRequest, Requester, get_request, requester_of
from dataward.requests.status_links import status_link_token
from dataward.uow import UnitOfWork
from dataward.web.api_request_detail import RequestFacts, request_facts
from dataward.web.auth import api, principal_of
from dataward.web.deps import get_uow
from dataward.web.portal_requests import status_url
from dataward.web.rule_first import RuleFirstRoute
from dataward.web.schemas import NO_NUL, problems

router = APIRouter(prefix="/api/v1", tags=["requests"], route_class=RuleFirstRoute)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
Short = Annotated[str, Field(max_length=4000, pattern=NO_NUL)]
PathText = Annotated[str, Path(pattern=NO_NUL)]


class RequesterIn(BaseModel):
    name: Short = ""
    email: Short = ""
    phone: Short = ""
    address: Short = ""
    words: Short = Field(
        default="", description="The request in the requester's own words.", pattern=NO_NUL
    )
    on_behalf_of: Short = ""
    authority: Short = Field(
        default="", description="Required when someone acts for the subject.", pattern=NO_NUL
    )
    reply_by: Literal["", "email", "post"] = Field(
        default="", description="'post' where the requester asked to be answered by post."
    )


class AuthorityIn(BaseModel):
    """The authority held for this one person (SAR-10: checked per person)."""

    evidence: Literal[
        "signed_authority",
        "lasting_power_of_attorney",
        "deputyship_order",
        "parental_responsibility",
        "other",
    ]
    description: str = Field(
        min_length=1,
        max_length=4000,
        pattern=NO_NUL,
        description="What the authority is, who signed it and when (kept sealed).",
    )
    replies_to: Literal["representative", "subject", "both"] = Field(
        default="representative", description="Where replies go, as the authority allows."
    )
    child_born_on: date | None = Field(default=None, description="A parent for a child only.")
    child_age_band: Literal["under_12", "12_to_15", "16_or_17"] | None = None


class RequestIn(BaseModel):
    organisation: str = Field(min_length=1, max_length=80, pattern=NO_NUL)
    rights: list[Annotated[str, Field(max_length=40, pattern=NO_NUL)]] = Field(
        min_length=1, max_length=12, examples=[["access"]]
    )
    channel: str = Field(max_length=16, pattern=NO_NUL, examples=["email"])
    received_on: date = Field(description="The day it actually arrived (SAR-01); not after today.")
    requester: RequesterIn = Field(default_factory=RequesterIn)
    requester_kind: str = Field(default="self", max_length=24, pattern=NO_NUL)
    subject_ref: str | None = Field(default=None, max_length=32, pattern=NO_NUL)
    authority: AuthorityIn | None = Field(
        default=None,
        description="The authority held for the subject, when someone acts for them (SAR-10).",
    )
    reply_by: Literal["", "email", "post"] | None = Field(
        default=None,
        description="'post' where the requester asked to be answered by post (the same as "
        "requester.reply_by, which it overrides when given).",
    )
    acknowledge: bool | None = Field(
        default=None,
        description="Email the acknowledgement with the status link at once; by default "
        "when the requester gave an email address.",
    )

    def as_new(self) -> NewRequest:
        requester = self.requester.model_dump()
        if self.reply_by is not None:
            requester["reply_by"] = self.reply_by
        return NewRequest(
            organisation=self.organisation,
            rights=self.rights,
            channel=self.channel,
            received_on=self.received_on,
            requester=Requester(**requester),
            requester_kind=self.requester_kind,
            subject_ref=self.subject_ref,
        )

    def evidence(self) -> Evidence | None:
        given = self.authority
        if given is None:
            return None
        return Evidence(
            kind=given.evidence,
            description=given.description,
            replies_to=given.replies_to,
            child_born_on=given.child_born_on,
            child_age_band=given.child_age_band,
        )

    def acknowledges(self) -> bool:
        return self.acknowledge if self.acknowledge is not None else bool(self.requester.email)


class RequestOut(BaseModel):
    ref: str
    organisation: str
    rights: list[str]
    not_offered: list[str]
    channel: str
    state: str
    urgency: str
    received_on: date
    clock_starts_on: date | None
    paused_days: int
    extended: bool
    due_on: date | None
    extension_notice_by: date | None
    identity_verified_on: date | None
    requester_kind: str
    assignee: str | None
    outcome: str | None
    refusal_reason: str | None = Field(
        default=None, description="The legal reason's code, once refused."
    )


class RequestDetail(RequestOut, RequestFacts):
    requester: RequesterIn


class RequestList(BaseModel):
    requests: list[RequestOut]
    total: int
    offset: int


StepName = Literal[
    "ask_identity",
    "verify_identity",
    "ask_fee",
    "fee_received",
    "ask_clarification",
    "clarification_received",
    "extend",
    "ready_for_review",
    "respond",
    "refuse",
    "withdraw",
    "close",
    "deceased",
]


class StepIn(BaseModel):
    step: StepName
    on: date = Field(description="The day the step took effect; not after today.")
    note: str | None = Field(
        default=None, max_length=4000, pattern=NO_NUL, description="Why, in words."
    )
    method: str | None = Field(
        default=None, max_length=32, pattern=NO_NUL, description="verify_identity only."
    )
    reason: str | None = Field(
        default=None,
        max_length=48,
        pattern=NO_NUL,
        description="refuse only, and required there: the legal reason's code "
        "(docs/requests.md#refusing-a-request).",
    )

    def details(self) -> str | None:
        """The one extra value the step takes; a value for another step is refused."""
        if self.reason is not None and self.step != "refuse":
            raise RequestInvalid("reason goes with refuse only")
        return self.reason if self.step == "refuse" else self.method


def _out(row: RightsRequest, today: date) -> RequestOut:
    return RequestOut(
        ref=row.ref,
        organisation=row.organisation,
        rights=list(row.rights),
        not_offered=list(row.not_offered),
        channel=row.channel,
        state=row.state,
        urgency=urgency(row, today),
        received_on=row.received_on,
        clock_starts_on=row.clock_starts_on,
        paused_days=row.paused_days,
        extended=row.extended,
        due_on=row.due_on,
        extension_notice_by=row.extension_notice_by,
        identity_verified_on=row.identity_verified_on,
        requester_kind=row.requester_kind,
        assignee=row.assignee,
        outcome=row.outcome,
        refusal_reason=row.refusal_reason,
    )


def _detail(uow: UnitOfWork, row: RightsRequest, request: Request) -> RequestDetail:
    base = _out(row, uow.clock.today()).model_dump()
    sealed = principal_of(request).can(Permission.REQUESTS_READ)
    facts = request_facts(uow, row, sealed=sealed).model_dump()
    requester = RequesterIn(**requester_of(uow, row).__dict__)
    return RequestDetail(**base, **facts, requester=requester)


def status_url_for(request: Request) -> StatusUrl:
    """Signs each request's status link, for its acknowledgement."""
    return lambda row: status_url(
        request, status_link_token(request.app.state.secret_key, request.app.state.clock, row)[0]
    )


@router.post(
    "/requests",
    response_model=RequestDetail,
    status_code=201,
    name="api_request_create",
    dependencies=[api(Permission.REQUESTS_WRITE)],
    responses=problems(401, 403, 404, 413, 422, 429),
)
def request_create(body: RequestIn, request: Request, uow: Uow) -> RequestDetail:
    """Open a rights request from any channel, on the day it was received; with the
    authority held for the subject, and acknowledged by email unless ``acknowledge`` is
    false."""
    row = open_with_authority(
        uow,
        body.as_new(),
        body.evidence(),
        actor=principal_of(request).actor,
        status_url=status_url_for(request) if body.acknowledges() else None,
    )
    uow.commit()
    return _detail(uow, row, request)


@router.get(
    "/requests",
    response_model=RequestList,
    name="api_requests",
    dependencies=[api(Permission.REQUESTS_READ)],
    responses=problems(401, 403, 429),
)
def request_list(
    uow: Uow,
    organisation: Annotated[str | None, Query(max_length=80, pattern=NO_NUL)] = None,
    due: Annotated[Literal["overdue", "due_soon", "on_time", "waiting"] | None, Query()] = None,
    state: Annotated[str | None, Query(max_length=24, pattern=NO_NUL)] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> RequestList:
    """Requests, most urgent first; open ones unless ``state`` names another."""
    filters = QueueFilter(organisation=organisation, urgency=due, state=state)
    page = queue(uow, filters, offset=offset, limit=limit)
    today = uow.clock.today()
    return RequestList(
        requests=[_out(r, today) for r in page.rows], total=page.total, offset=offset
    )


@router.get(
    "/requests/{organisation}/{ref}",
    response_model=RequestDetail,
    name="api_request",
    dependencies=[api(Permission.REQUESTS_READ)],
    responses=problems(401, 403, 404, 429),
)
def request_read(
    organisation: PathText, ref: PathText, request: Request, uow: Uow
) -> RequestDetail:
    return _detail(uow, get_request(uow, organisation[:80], ref[:32]), request)


@router.post(
    "/requests/{organisation}/{ref}/steps",
    response_model=RequestDetail,
    name="api_request_step",
    dependencies=[api(Permission.REQUESTS_WRITE)],
    responses=problems(401, 403, 404, 409, 413, 422, 429),
)
def request_step(
    organisation: PathText, ref: PathText, body: StepIn, request: Request, uow: Uow
) -> RequestDetail:
    """Take one step; the rules refuse what they forbid (409) and nothing changes."""
    step = steps.Step(principal_of(request).actor, body.on, body.note)
    row = steps.take_step(uow, organisation[:80], ref[:32], body.step, step, body.details())
    uow.commit()
    return _detail(uow, row, request)
