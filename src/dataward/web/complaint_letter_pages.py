"""A complaint's letters for staff, as a printable page or a PDF (CMP-01, issue 17).

The same letters ``complaints.letters`` emails; a letter that must go by post (the
complainant gave no email address, or asked for post) is printed from here. Translation
only: the words and the rules are in the service.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

from dataward.accounts.permissions import Permission
from dataward.complaints.letters import letter_for
from dataward.complaints.service import get_complaint
from dataward.uow import UnitOfWork
from dataward.web.auth import console
from dataward.web.deps import get_uow
from dataward.web.request_letter_pages import letter_response

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
READ = console(Permission.COMPLAINTS_READ)
Format = Annotated[str, Query(max_length=8, pattern="^(html|pdf)$")]


@router.get(
    "/console/complaints/{org}/{ref}/letters/{kind}.pdf",
    name="complaint_letter_pdf",
    dependencies=[READ],
)
def complaint_letter_pdf(org: str, ref: str, kind: str, uow: Uow) -> Response:
    """The letter as a PDF (the optional ``pdf`` extra: 501 with what to install if not)."""
    row = get_complaint(uow, org[:80], ref[:32])
    return letter_response(letter_for(uow, row, kind[:40]), "pdf", row.ref)


@router.get(
    "/console/complaints/{org}/{ref}/letters/{kind}",
    name="complaint_letter",
    dependencies=[READ],
)
def complaint_letter(org: str, ref: str, kind: str, uow: Uow, format: Format = "html") -> Response:
    """The letter as a printable page, or (``?format=pdf``) a PDF."""
    row = get_complaint(uow, org[:80], ref[:32])
    return letter_response(letter_for(uow, row, kind[:40]), format, row.ref)
