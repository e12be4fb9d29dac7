"""Staff console: entering a complaint that came by post, phone, email, social media or in
person (CMP-01), on the day it actually arrived.

Bad input shows the form again (422) with what was typed and nothing stored: the complaint
and its links to rights requests are one unit of work, committed only if all of it holds.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.datastructures import FormData

from dataward.accounts.permissions import Permission
from dataward.complaints.errors import ComplaintInvalid
from dataward.complaints.service import (
    CHANNELS,
    COMPLAINANT_KINDS,
    THEMES,
    Complainant,
    NewComplaint,
    open_complaint,
    today_of,
)
from dataward.complaints.steps import link_request
from dataward.errors import DatawardError
from dataward.publication.registers import list_organisations
from dataward.uow import UnitOfWork
from dataward.web.auth import (
    app_uow,
    audit_refusal,
    console,
    form_text,
    parse_day,
    posted_form,
    principal_of,
)
from dataward.web.deps import get_uow
from dataward.web.flash import error_text, flash_later, flash_now
from dataward.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
WRITE = console(Permission.COMPLAINTS_WRITE)
# A caseworker enters what came some other way: the portal and the API enter their own.
STAFF_CHANNELS = tuple(c for c in CHANNELS if c not in ("portal", "api"))
FIELDS = ("name", "email", "phone", "address", "words", "on_behalf_of", "authority", "reply_by")
MAX_REQUEST_REFS = 10


def _context(uow: UnitOfWork, typed: dict[str, object]) -> dict[str, object]:
    return {
        "organisations": [row.organisation for row in list_organisations(uow)],
        "channels": STAFF_CHANNELS,
        "kinds": COMPLAINANT_KINDS,
        "themes": THEMES,
        "typed": typed,
        "today": today_of(uow).isoformat(),
    }


@router.get("/console/complaints/new", name="complaint_new", dependencies=[WRITE])
def complaint_new(request: Request, uow: Uow) -> Response:
    typed: dict[str, object] = {"channel": "post", "complainant_kind": "self"}
    return render(request, "console/complaint_new.html", _context(uow, typed))


def request_refs(value: str) -> list[str]:
    """The request refs typed, separated by commas or spaces, each once, in order."""
    refs = list(dict.fromkeys(r for r in re.split(r"[\s,]+", value) if r))
    if len(refs) > MAX_REQUEST_REFS:
        raise ComplaintInvalid(f"link at most {MAX_REQUEST_REFS} requests here")
    return refs


def _new(form: FormData) -> NewComplaint:
    channel = form_text(form, "channel", 16)
    if channel not in STAFF_CHANNELS:
        raise ComplaintInvalid(f"channel must be one of {', '.join(STAFF_CHANNELS)}")
    return NewComplaint(
        organisation=form_text(form, "org", 80),
        channel=channel,
        received_on=parse_day(form_text(form, "received_on", 10), "received on"),
        complainant=Complainant(
            **{name: form_text(form, name, 8000, required=False) for name in FIELDS}
        ),
        complainant_kind=form_text(form, "complainant_kind", 24),
        subject_ref=form_text(form, "subject_ref", 32, required=False).strip() or None,
        theme=form_text(form, "theme", 24, required=False).strip() or None,
    )


@router.post("/console/complaints/new", name="complaint_create", dependencies=[WRITE])
def complaint_create(request: Request, uow: Uow) -> Response:
    """Open a complaint entered by a caseworker; CMP-01's clock runs from the day it arrived."""
    form = posted_form(request)
    typed: dict[str, object] = {k: v for k, v in form.items() if k != "csrf_token"}
    try:
        new = _new(form)
        linked = request_refs(form_text(form, "request_refs", 400, required=False))
        with app_uow(request) as writer:
            actor = principal_of(request).actor
            row = open_complaint(writer, new, actor=actor)
            for ref in linked:
                link_request(writer, row.organisation, row.ref, ref, actor=actor)
            flash_later(writer, request, "success", f"Complaint {row.ref} entered.")
            writer.commit()
            target = f"/console/complaints/{row.organisation}/{row.ref}"
    except DatawardError as error:
        audit_refusal(request, "web.input_refused", code=error.code)
        flash_now(request, "error", error_text(error))
        context = _context(uow, typed)
        # Whatever was wrong (a date, an unknown subject or request), the form comes back.
        return render(request, "console/complaint_new.html", context, status_code=422)
    return RedirectResponse(target, status_code=303)
