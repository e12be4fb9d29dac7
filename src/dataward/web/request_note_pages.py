"""The console's note on a request: a caseworker writes down what happened, without a step.

Posted from the request page's history section, then redirected back (post/redirect/get).
A note changes no state, so it is not confirmed first; the console's CSRF check guards the
post like every other. The service is ``requests.notes.add_note``, which the API uses too.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from dataward.accounts.permissions import Permission
from dataward.requests.notes import add_note
from dataward.requests.service import MAX_TEXT
from dataward.uow import UnitOfWork
from dataward.web.auth import console, form_text, parse_day, posted_form, principal_of
from dataward.web.staff import run_form

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
WRITE = console(Permission.REQUESTS_WRITE)


@router.post("/console/requests/{org}/{ref}/notes", name="request_note", dependencies=[WRITE])
def request_note(request: Request, org: str, ref: str) -> Response:
    back = f"/console/requests/{org[:80]}/{ref[:32]}"
    form = posted_form(request)
    actor = principal_of(request).actor

    def act(uow: UnitOfWork) -> str:
        text = form_text(form, "text", MAX_TEXT, required=False)  # empty: the service says why
        on = parse_day(form_text(form, "on", 10), "the day")
        add_note(uow, org[:80], ref[:32], text, actor=actor, on=on)
        return "Note added to the history."

    return run_form(request, f"{back}#history", act)
