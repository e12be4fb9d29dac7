"""JSON API for a complaint's steps after it opens (CMP-01), scope ``complaints:write``.

``POST /api/v1/complaints/{organisation}/{ref}/acknowledge``, ``/investigate``, ``/notes``,
``/theme``, ``/requests``, ``/subject`` and ``/close``. Each runs the service the console
runs (``complaints.steps``); ``on`` is the day the step took effect (today, on the UK's day,
when left out). A step the rules refuse now is ``409 complaint_transition_refused`` and
nothing changes; bad input ``422 complaint_invalid``; an unknown complaint ``404``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Request
from fastapi.types import DecoratedCallable
from pydantic import BaseModel, Field

from dataward.accounts.permissions import Permission
from dataward.complaints import steps
from dataward.complaints.models import Complaint
from dataward.complaints.service import MAX_TEXT, OUTCOMES, THEMES, get_complaint, today_of
from dataward.uow import UnitOfWork
from dataward.web.api_complaints import ComplaintDetail, complaint_detail
from dataward.web.auth import api, principal_of
from dataward.web.deps import get_uow
from dataward.web.portal_complaints import complaint_link
from dataward.web.rule_first import RuleFirstRoute
from dataward.web.schemas import NO_NUL, problems

router = APIRouter(prefix="/api/v1", tags=["complaints"], route_class=RuleFirstRoute)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
PathText = Annotated[str, Path(pattern=NO_NUL)]
ON = Field(
    default=None,
    description="The day the step took effect; today (UK) when left out. Not after today, "
    "not before the complaint was received.",
)


class StepIn(BaseModel):
    on: date | None = ON


class NoteIn(BaseModel):
    text: str = Field(
        min_length=1,
        max_length=MAX_TEXT,
        pattern=NO_NUL,
        description="The investigation note (sealed with the complaint; never in the audit).",
    )
    on: date | None = ON


class ThemeIn(BaseModel):
    theme: str = Field(max_length=24, pattern=NO_NUL, description=f"One of {', '.join(THEMES)}.")


class RequestLinkIn(BaseModel):
    request_ref: str = Field(
        min_length=1, max_length=32, pattern=NO_NUL, description="A rights request (q_...)."
    )


class SubjectLinkIn(BaseModel):
    subject_ref: str = Field(
        min_length=1, max_length=32, pattern=NO_NUL, description="The subject (s_...)."
    )


class CloseIn(BaseModel):
    outcome: str = Field(
        max_length=16, pattern=NO_NUL, description=f"One of {', '.join(OUTCOMES)}."
    )
    explanation: str = Field(
        min_length=1,
        max_length=MAX_TEXT,
        pattern=NO_NUL,
        description="The outcome explained, as the complainant is told it (sealed).",
    )
    on: date | None = ON


STEP_ROUTE: dict[str, Any] = {
    "response_model": ComplaintDetail,
    "responses": problems(401, 403, 404, 409, 413, 422, 429),
}


def _step(uow: UnitOfWork, request: Request, on: date | None) -> steps.Step:
    return steps.Step(principal_of(request).actor, on or today_of(uow))


def _emailed(uow: UnitOfWork, request: Request, on: date | None, org: str, ref: str) -> steps.Step:
    """A step that emails the complainant: it carries their signed status link."""
    link = complaint_link(request, uow, get_complaint(uow, *_where(org, ref)))
    return replace(_step(uow, request, on), link=link)


def _where(organisation: str, ref: str) -> tuple[str, str]:
    return organisation[:80], ref[:32]


def _step_route(
    step: str, name: str, **extra: Any
) -> Callable[[DecoratedCallable], DecoratedCallable]:
    """A step's route: ``POST /complaints/{organisation}/{ref}/<step>``, scope
    ``complaints:write``, answering with the complaint as it now is."""
    return router.post(
        f"/complaints/{{organisation}}/{{ref}}/{step}",
        name=name,
        dependencies=[api(Permission.COMPLAINTS_WRITE)],
        **STEP_ROUTE,
        **extra,
    )


def _run(
    request: Request,
    uow: UnitOfWork,
    change: Callable[..., Complaint],
    organisation: str,
    ref: str,
    *args: Any,
    **kwargs: Any,
) -> ComplaintDetail:
    """Run one step of ``complaints.steps`` on the complaint, commit, and answer with the
    complaint as it now is (a refusal raises and changes nothing)."""
    row = change(uow, *_where(organisation, ref), *args, **kwargs)
    uow.commit()
    return complaint_detail(uow, row, request)


@_step_route("acknowledge", "api_complaint_acknowledge")
def complaint_acknowledge(
    organisation: PathText,
    ref: PathText,
    request: Request,
    uow: Uow,
    body: Annotated[StepIn | None, Body()] = None,
) -> ComplaintDetail:
    """CMP-01: the complaint is acknowledged (late when after ``acknowledge_by``)."""
    step = _emailed(uow, request, body.on if body else None, organisation, ref)
    return _run(request, uow, steps.acknowledge, organisation, ref, step)


@_step_route("investigate", "api_complaint_investigate")
def complaint_investigate(
    organisation: PathText,
    ref: PathText,
    request: Request,
    uow: Uow,
    body: Annotated[StepIn | None, Body()] = None,
) -> ComplaintDetail:
    """The investigation starts; an unacknowledged complaint is refused (409)."""
    step = _step(uow, request, body.on if body else None)
    return _run(request, uow, steps.investigate, organisation, ref, step)


@_step_route("notes", "api_complaint_note", status_code=201)
def complaint_note(
    organisation: PathText, ref: PathText, body: NoteIn, request: Request, uow: Uow
) -> ComplaintDetail:
    """Add an investigation note to an open complaint's history (its state is unchanged)."""
    step = _step(uow, request, body.on)
    return _run(request, uow, steps.add_note, organisation, ref, body.text, step)


@_step_route("theme", "api_complaint_theme")
def complaint_theme(
    organisation: PathText, ref: PathText, body: ThemeIn, request: Request, uow: Uow
) -> ComplaintDetail:
    """Say or correct what the complaint is about (the same theme again is refused, 409)."""
    actor = principal_of(request).actor
    return _run(request, uow, steps.set_theme, organisation, ref, body.theme, actor=actor)


@_step_route("requests", "api_complaint_link_request")
def complaint_link_request(
    organisation: PathText, ref: PathText, body: RequestLinkIn, request: Request, uow: Uow
) -> ComplaintDetail:
    """Link a rights request of the same organisation the complaint is about."""
    actor = principal_of(request).actor
    return _run(request, uow, steps.link_request, organisation, ref, body.request_ref, actor=actor)


@_step_route("subject", "api_complaint_link_subject")
def complaint_link_subject(
    organisation: PathText, ref: PathText, body: SubjectLinkIn, request: Request, uow: Uow
) -> ComplaintDetail:
    """Link an unknown person's complaint to the subject, once found (once only)."""
    actor = principal_of(request).actor
    return _run(request, uow, steps.link_subject, organisation, ref, body.subject_ref, actor=actor)


@_step_route("close", "api_complaint_close")
def complaint_close(
    organisation: PathText, ref: PathText, body: CloseIn, request: Request, uow: Uow
) -> ComplaintDetail:
    """CMP-01: the outcome (upheld, partly_upheld, not_upheld, withdrawn) and its
    explanation; a closed complaint cannot be closed again (409)."""
    step = _emailed(uow, request, body.on, organisation, ref)
    return _run(request, uow, steps.close, organisation, ref, body.outcome, body.explanation, step)
