"""Staff console: one complaint's page (CMP-01): who complained, the clocks, the history,
what it is linked to, the legal holds it placed, and the forms of each next step.

The steps post to ``web.complaint_action_pages`` and ``web.complaint_hold_pages``; this
module only reads. The complainant's details and the notes are unsealed for staff here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from dataward.accounts.permissions import Permission
from dataward.complaints.letters import letters_of
from dataward.complaints.listing import history
from dataward.complaints.queue import urgency
from dataward.complaints.reminders import complaint_reminders
from dataward.complaints.service import (
    OPEN,
    OUTCOMES,
    THEMES,
    complainant_of,
    get_complaint,
    today_of,
)
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork
from dataward.web.auth import console, principal_of
from dataward.web.complaint_hold_pages import hold_panel
from dataward.web.deps import get_uow
from dataward.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
READ = console(Permission.COMPLAINTS_READ)


@router.get("/console/complaints/{org}/{ref}", name="complaint_page", dependencies=[READ])
def complaint_page(request: Request, org: str, ref: str, uow: Uow) -> Response:
    row = get_complaint(uow, org[:80], ref[:32])
    subject = uow.session.get(Subject, row.subject_id) if row.subject_id else None
    today = today_of(uow)
    principal = principal_of(request)
    context = {
        "row": row,
        "complainant": complainant_of(uow, row),
        "subject_ref": subject.ref if subject is not None else None,
        "history": history(uow, row, with_notes=True),
        "urgency": urgency(row, today),
        "today": today.isoformat(),
        "is_open": row.state in OPEN,
        "outcomes": OUTCOMES,
        "themes": THEMES,
        "letters": letters_of(uow, row),
        "reminders": complaint_reminders(uow, row),
        **hold_panel(uow, row, principal),
    }
    return render(request, "console/complaint.html", context)
