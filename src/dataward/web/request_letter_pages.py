"""Staff console: a request's letters, as a printable page or a PDF (issue 16).

The letter is the same one ``requests.letters`` emails; a letter that must go by post is
printed from here. Only translation lives here: the words and the rules are in the service.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import HTMLResponse, Response

from dataward.accounts.permissions import Permission
from dataward.requests.letters import letter_for, letter_pdf, letters_of
from dataward.requests.models import RightsRequest
from dataward.requests.service import get_request
from dataward.uow import UnitOfWork
from dataward.web.auth import console
from dataward.web.deps import get_uow
from dataward.web.security import policy_allowing_inline_styles

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
READ = console(Permission.REQUESTS_READ)


def letters_panel(uow: UnitOfWork, row: RightsRequest) -> dict[str, Any]:
    """What ``console/_request_letters.html`` shows on the request's page."""
    return {"letters": letters_of(uow, row)}


@router.get(
    "/console/requests/{org}/{ref}/letters/{kind}", name="request_letter", dependencies=[READ]
)
def request_letter(
    org: str,
    ref: str,
    kind: str,
    uow: Uow,
    format: Annotated[str, Query(max_length=8, pattern="^(html|pdf)$")] = "html",
) -> Response:
    """The letter as a standalone printable page, or (``?format=pdf``) a PDF: 501 with what
    to install where the pdf extra is missing."""
    row = get_request(uow, org[:80], ref[:32])
    letter = letter_for(uow, row, kind[:40])
    if format == "pdf":
        return Response(
            letter_pdf(letter),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{row.ref}-{letter.kind}.pdf"'},
        )
    policy = policy_allowing_inline_styles(letter.html)
    return HTMLResponse(letter.html, headers={"Content-Security-Policy": policy})
