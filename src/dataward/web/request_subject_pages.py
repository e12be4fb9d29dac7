"""Staff console: finding the subject a request is about, and linking it (issue 16).

The request's page shows candidates found from the requester's own details (the panel
``console/_request_candidates.html``) while no subject is linked. The caseworker may also
search by a subject's ref or one identity: a POST, so the value stays out of addresses and
logs. Linking is confirmed first and runs ``transitions.link_subject``, which also makes an
objection to marketing or a consent withdrawal take effect at once.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from dataward.accounts.permissions import Permission
from dataward.errors import DatawardError
from dataward.requests import transitions as steps
from dataward.requests.immediate import AT_ONCE
from dataward.requests.matching import SEARCH_KINDS, Matching, candidates_for, search_for_request
from dataward.requests.models import RightsRequest
from dataward.requests.service import get_request
from dataward.uow import UnitOfWork
from dataward.web.auth import app_uow, audit_refusal, console, form_text, posted_form
from dataward.web.confirm import Confirmation, confirm_then_run
from dataward.web.deps import get_uow
from dataward.web.flash import error_text, flash_now
from dataward.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
READ = console(Permission.REQUESTS_READ)
WRITE = console(Permission.REQUESTS_WRITE)


def candidates_panel(uow: UnitOfWork, row: RightsRequest) -> dict[str, object]:
    """What the request page's candidates panel needs: nothing once a subject is linked or
    the request is finished (then there is nothing to link)."""
    if row.subject_id is not None or row.state not in steps.OPEN:
        return {}
    return {
        "candidates": candidates_for(uow, row),
        "search_kinds": SEARCH_KINDS,
        "at_once": [r for r in row.rights if r in AT_ONCE],
    }


def _back(org: str, ref: str) -> str:
    return f"/console/requests/{org[:80]}/{ref[:32]}"


@router.post(
    "/console/requests/{org}/{ref}/subject/search",
    name="request_subject_search",
    dependencies=[READ],
)
def request_subject_search(request: Request, org: str, ref: str, uow: Uow) -> Response:
    """The caseworker's search: results on a page of their own, each with its link step."""
    row = get_request(uow, org[:80], ref[:32])
    form = posted_form(request)
    typed = {
        "kind": str(form.get("kind") or "ref")[:32],
        "value": str(form.get("value") or "")[:500],
    }
    context: dict[str, object] = {
        "row": row,
        "typed": typed,
        "search_kinds": SEARCH_KINDS,
        "today": uow.clock.today().isoformat(),
        "linkable": row.subject_id is None and row.state in steps.OPEN,
    }
    try:
        found: Matching = search_for_request(
            uow, row.organisation, form_text(form, "kind", 32), form_text(form, "value", 500)
        )
    except DatawardError as error:
        audit_refusal(request, "web.input_refused", code=error.code)
        flash_now(request, "error", error_text(error))
        return render(
            request,
            "console/request_subject_search.html",
            context,
            status_code=error.http_status,
        )
    context["found"] = found
    return render(request, "console/request_subject_search.html", context)


@router.post(
    "/console/requests/{org}/{ref}/subject/link",
    name="request_subject_link",
    dependencies=[WRITE],
)
def request_subject_link(request: Request, org: str, ref: str) -> Response:
    """Link the subject, once confirmed; the request page then shows it."""
    back = _back(org, ref)

    def confirm(form: FormData) -> Confirmation:
        subject_ref = form_text(form, "subject_ref", 32)
        lines = [
            f"Request {ref[:32]} will be about subject {subject_ref}.",
            "The link is recorded in the request's history and the audit chain.",
        ]
        with app_uow(request, read_only=True) as uow:
            rights = get_request(uow, org[:80], ref[:32]).rights
        if set(rights) & set(AT_ONCE):
            lines.append(
                "The request objects to direct marketing or withdraws consent: that takes "
                "effect for this subject now, verified or not (OBJ-02)."
            )
        return Confirmation("Link this subject", lines, "Link this subject", back)

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        subject_ref = form_text(form, "subject_ref", 32).strip()
        step = steps.Step(actor, uow.clock.today())
        steps.link_subject(uow, org[:80], ref[:32], subject_ref, step)
        return f"Subject {subject_ref} linked."

    return confirm_then_run(request, back, confirm, act)
