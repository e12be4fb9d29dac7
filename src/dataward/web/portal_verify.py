"""Public portal: a requester proves they read the mailbox they gave, from their status link.

The requester's signed status link (``requests.status_links``) names one request; from it
they ask for a one-time code (emailed) and type it back. No account, so no session: the
forms carry the signed double-submit cookie the sign-in form uses, scoped to the status
pages. Throttled by the service (three codes an hour, five tries a code) and, before any
database work, by the edge's refusal guard. Every answer redirects back to the status page
(``/requests/status/{token}``) once proven, or else to the verify page to type the code,
with a ``verify`` flag its panel explains.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dataward.errors import DatawardError
from dataward.requests.errors import (
    CodeDead,
    CodeExpired,
    CodeThrottled,
    CodeUsed,
    CodeWrong,
    NoCodeSent,
)
from dataward.requests.verification import check_email_code, send_email_code
from dataward.uow import UnitOfWork
from dataward.web.auth import (
    CSRF_FIELD,
    PUBLIC,
    form_text,
    login_csrf_pair,
    posted_form,
    set_form_cookie,
)
from dataward.web.deps import get_uow
from dataward.web.portal_forms import code_flag
from dataward.web.status_link import linked_request
from dataward.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
STATUS = "/requests/status"
# Each refusal by the flag the status page explains (``portal/_status_verify.html``).
FLAGS: dict[type[DatawardError], str] = {
    CodeThrottled: "throttled",
    CodeWrong: "wrong",
    CodeDead: "dead",
    CodeExpired: "expired",
    CodeUsed: "used",
    NoCodeSent: "missing",
}


# Flags that end the proving: the status page says so. Any other (a code sent, a wrong or
# stale code) returns to the verify page, whose form is where the code is typed.
DONE_FLAGS = ("verified", "email_confirmed")


def _back(token: str, flag: str) -> RedirectResponse:
    page = f"{STATUS}/{token}" if flag in DONE_FLAGS else f"{STATUS}/{token}/verify"
    return RedirectResponse(f"{page}?verify={flag}", status_code=303)


@router.get(f"{STATUS}/{{token}}/verify", name="portal_verify_page", dependencies=[PUBLIC])
def portal_verify_page(request: Request, token: str, uow: Uow) -> Response:
    """The two forms on a page of their own, for a status page that carries no form token."""
    row = linked_request(request, uow, token)
    nonce, csrf = login_csrf_pair(request.app.state.secret_key)
    context = {"row": row, "token": token, "csrf_field": CSRF_FIELD, "verify_csrf": csrf}
    response = render(request, "portal/verify.html", context)
    set_form_cookie(request, response, nonce, STATUS)
    return response


@router.post(f"{STATUS}/{{token}}/code", name="portal_verify_code", dependencies=[PUBLIC])
def portal_verify_code(request: Request, token: str, uow: Uow) -> Response:
    row = linked_request(request, uow, token)
    try:
        send_email_code(uow, row.organisation, row.ref, actor=f"requester:{row.ref}")
    except DatawardError as error:
        uow.rollback()
        return _back(token, code_flag(request, error))
    uow.commit()
    return _back(token, "sent")


@router.post(f"{STATUS}/{{token}}/verify", name="portal_verify_check", dependencies=[PUBLIC])
def portal_verify_check(request: Request, token: str, uow: Uow) -> Response:
    row = linked_request(request, uow, token)
    try:
        code = form_text(posted_form(request), "code", 12)
        result = check_email_code(
            uow, row.organisation, row.ref, code, actor=f"requester:{row.ref}"
        )
    except DatawardError as error:
        uow.rollback()
        return _back(token, code_flag(request, error))
    uow.commit()  # a wrong try is counted even though the answer is no
    if result.refusal is not None:
        return _back(token, code_flag(request, result.refusal))
    return _back(token, result.outcome)
