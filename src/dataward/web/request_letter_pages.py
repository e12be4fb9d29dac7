"""A request's letters, as a printable page or a PDF (issue 16): for staff in the console,
and for the requester by their status link.

The letter is the same one ``requests.letters`` emails; a letter that must go by post is
printed from here. Only translation lives here: the words and the rules are in the service.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from dataward.accounts.permissions import Permission
from dataward.requests.letter_content import letter_title
from dataward.requests.letters import Letter, letter_for, letter_pdf, letters_of, sent_letter
from dataward.requests.models import RightsRequest
from dataward.requests.service import get_request
from dataward.uow import UnitOfWork
from dataward.web.auth import PUBLIC, console
from dataward.web.deps import get_uow
from dataward.web.security import policy_allowing_inline_styles
from dataward.web.status_link import linked_request

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
READ = console(Permission.REQUESTS_READ)
Format = Annotated[str, Query(max_length=8, pattern="^(html|pdf)$")]


def letters_panel(uow: UnitOfWork, row: RightsRequest) -> dict[str, Any]:
    """What ``console/_request_letters.html`` shows on the request's page."""
    return {"letters": letters_of(uow, row)}


def status_letters_panel(uow: UnitOfWork, row: RightsRequest) -> dict[str, Any]:
    """What ``portal/_status_letters.html`` shows on the requester's status page (which
    passes ``token`` too): the letters they were sent, by the requester's own titles."""
    sent = [e.kind for e in letters_of(uow, row) if e.delivery != "preview"]
    return {"status_letters": [(k, letter_title(k)) for k in ("acknowledgement", *sent)]}


@router.get(
    "/console/requests/{org}/{ref}/letters/{kind}", name="request_letter", dependencies=[READ]
)
def request_letter(
    org: str,
    ref: str,
    kind: str,
    uow: Uow,
    format: Format = "html",
) -> Response:
    """The letter as a standalone printable page, or (``?format=pdf``) a PDF: 501 with what
    to install where the pdf extra is missing."""
    row = get_request(uow, org[:80], ref[:32])
    return letter_response(letter_for(uow, row, kind[:40]), format, row.ref)


def letter_response(letter: Letter, format: str, ref: str) -> Response:
    """A letter (a request's or a complaint's) as a standalone printable page, or
    (``pdf``) a PDF."""
    if format == "pdf":
        return Response(
            letter_pdf(letter),
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{ref}-{letter.kind}.pdf"'},
        )
    policy = policy_allowing_inline_styles(letter.html)
    return HTMLResponse(letter.html, headers={"Content-Security-Policy": policy})


def sent_letter_response(letter: Letter, format: str, ref: str) -> Response:
    """A letter sent, as its recipient opens it by their status link: never cached."""
    response = letter_response(letter, format, ref)
    response.headers["Cache-Control"] = "no-store"
    return response


# -- the requester's own copy, by their status link ------------------------------------


@router.get(
    "/requests/status/{token}/letters/{kind}",
    name="request_status_letter",
    dependencies=[PUBLIC],
)
def request_status_letter(
    request: Request, token: str, kind: str, uow: Uow, format: Format = "html"
) -> Response:
    """A letter the requester was sent, by the signed status link (``status_links``): no
    account, no postal address shown, never a letter not sent yet."""
    row = linked_request(request, uow, token)
    return sent_letter_response(sent_letter(uow, row, kind[:40]), format, row.ref)
