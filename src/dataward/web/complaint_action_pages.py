"""Staff console: the steps of a complaint (CMP-01), each a form on its page.

Each posts, runs the complaints service (the same the API and CLI use) and redirects back
with a message; a refusal comes back as the service's own words, nothing changed. Closing
is confirmed first (``web.confirm``): it ends the complaint.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from dataward.accounts.permissions import Permission
from dataward.complaints import steps
from dataward.complaints.models import Complaint
from dataward.complaints.service import get_complaint
from dataward.uow import UnitOfWork
from dataward.web.auth import console, form_text, parse_day, posted_form, principal_of
from dataward.web.confirm import Confirmation, confirm_then_run
from dataward.web.portal_complaints import complaint_link
from dataward.web.staff import run_form

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
WRITE = console(Permission.COMPLAINTS_WRITE)
BASE = "/console/complaints/{org}/{ref}"


def _back(org: str, ref: str) -> str:
    return f"/console/complaints/{org[:80]}/{ref[:32]}"


def _step(form: FormData, actor: str) -> steps.Step:
    return steps.Step(actor, parse_day(form_text(form, "on", 10), "the day it took effect"))


def _emailed(request: Request, uow: UnitOfWork, org: str, ref: str, step: steps.Step) -> steps.Step:
    """The step with the complainant's signed status link, for the email it sends."""
    return replace(step, link=complaint_link(request, uow, get_complaint(uow, org, ref)))


def _run(
    request: Request, org: str, ref: str, act: Callable[[UnitOfWork, FormData, str], str]
) -> Response:
    form = posted_form(request)
    actor = principal_of(request).actor
    return run_form(request, _back(org, ref), lambda uow: act(uow, form, actor))


@router.post(BASE + "/acknowledge", name="complaint_acknowledge", dependencies=[WRITE])
def complaint_acknowledge(request: Request, org: str, ref: str) -> Response:
    """CMP-01: record the acknowledgement on the day it went out."""

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        step = _emailed(request, uow, org[:80], ref[:32], _step(form, actor))
        row = steps.acknowledge(uow, org[:80], ref[:32], step)
        on = row.acknowledged_on
        late = " (after the 30 days)" if on is not None and on > row.acknowledge_by else ""
        return f"Complaint {row.ref} acknowledged{late}."

    return _run(request, org, ref, act)


@router.post(BASE + "/investigate", name="complaint_investigate", dependencies=[WRITE])
def complaint_investigate(request: Request, org: str, ref: str) -> Response:
    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        row = steps.investigate(uow, org[:80], ref[:32], _step(form, actor))
        return f"Investigation of {row.ref} started."

    return _run(request, org, ref, act)


@router.post(BASE + "/notes", name="complaint_note", dependencies=[WRITE])
def complaint_note(request: Request, org: str, ref: str) -> Response:
    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        note = form_text(form, "note", 8000)
        steps.add_note(uow, org[:80], ref[:32], note, _step(form, actor))
        return "Note added."

    return _run(request, org, ref, act)


@router.post(BASE + "/theme", name="complaint_theme", dependencies=[WRITE])
def complaint_theme(request: Request, org: str, ref: str) -> Response:
    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        theme = form_text(form, "theme", 24)
        steps.set_theme(uow, org[:80], ref[:32], theme, actor=actor)
        return f"Theme set: {theme.replace('_', ' ')}."

    return _run(request, org, ref, act)


def _run_link(
    request: Request, org: str, ref: str, field: str, link: Callable[..., Complaint], what: str
) -> Response:
    """Link the complaint to the request or subject whose ref the form's ``field`` gives."""

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        linked = form_text(form, field, 32).strip()
        link(uow, org[:80], ref[:32], linked, actor=actor)
        return f"Linked to {what} {linked}."

    return _run(request, org, ref, act)


@router.post(BASE + "/requests", name="complaint_link_request", dependencies=[WRITE])
def complaint_link_request(request: Request, org: str, ref: str) -> Response:
    return _run_link(request, org, ref, "request_ref", steps.link_request, "request")


@router.post(BASE + "/subject", name="complaint_link_subject", dependencies=[WRITE])
def complaint_link_subject(request: Request, org: str, ref: str) -> Response:
    return _run_link(request, org, ref, "subject_ref", steps.link_subject, "subject")


@router.post(BASE + "/close", name="complaint_close", dependencies=[WRITE])
def complaint_close(request: Request, org: str, ref: str) -> Response:
    """CMP-01: the outcome and its explanation, confirmed first."""
    back = _back(org, ref)
    title = "Close the complaint"

    def confirm(form: FormData) -> Confirmation:
        on = form_text(form, "on", 10)
        outcome = form_text(form, "outcome", 16).replace("_", " ")
        form_text(form, "note", 8000)  # the explanation is required: asked before confirming
        return Confirmation(
            title,
            [
                f"Takes effect on {on}, with the outcome: {outcome}.",
                "The complaint leaves the open queue; its history and audit trail stay.",
                "The legal holds it placed close with it; each hold's page then says when "
                "the held data may be deleted, as the register puts it.",
                "The outcome letter, with the ICO route, is emailed to the complainant, or "
                "left to print and post where they gave no email or asked for post.",
                "The explanation is kept with the complaint, sealed; it cannot be reopened.",
            ],
            title,
            back,
            destructive=True,
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        outcome = form_text(form, "outcome", 16)
        note = form_text(form, "note", 8000)
        step = _emailed(request, uow, org[:80], ref[:32], _step(form, actor))
        row = steps.close(uow, org[:80], ref[:32], outcome, note, step)
        return f"Complaint {row.ref} closed: {outcome.replace('_', ' ')}."

    return confirm_then_run(request, back, confirm, act)
