"""Public portal: the requester downloads their access package from the emailed link.

``/packages/{token}`` says what the package is and until when it can be downloaded (UK
time), and asks for a one-time code: "Email me a code" sends one to where the request's
replies go; the code form checks it and answers with the decrypted ZIP, streamed. No
account, so no session: the forms carry the signed double-submit cookie of the portal's
other forms, scoped to ``/packages``. A bad, expired or other-purpose link, or one whose
package is not ready or gone, is refused with the neutral page every bad link gets
(audited: ``portal.link_refused``, or ``access.download_refused`` where a package is
identified). A refused code returns to the page with a flag its panel explains.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse

from dataward.access.delivery import (
    GONE,
    PackageClosed,
    download_package,
    filename,
    linked_package,
    refuse_download,
)
from dataward.access.download_codes import check_download_code, send_download_code
from dataward.access.models import AccessPackage
from dataward.accounts.errors import LinkInvalid
from dataward.clock import uk_moment
from dataward.errors import DatawardError
from dataward.requests.models import RightsRequest
from dataward.requests.service import register_of
from dataward.uow import UnitOfWork
from dataward.web.audit_actions import PORTAL_LINK_REFUSED
from dataward.web.auth import (
    CSRF_FIELD,
    PUBLIC,
    audit_refusal,
    form_text,
    login_csrf_pair,
    posted_form,
    set_form_cookie,
)
from dataward.web.deps import get_uow
from dataward.web.portal_forms import NO_STORE, code_flag
from dataward.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
PACKAGES = "/packages"


def _actor(row: RightsRequest) -> str:
    return f"requester:{row.ref}"


def _linked(request: Request, uow: UnitOfWork, token: str) -> tuple[RightsRequest, AccessPackage]:
    """The request and ready package the link names, or the neutral bad-link page."""
    try:
        return linked_package(uow, request.app.state.secret_key, token)
    except PackageClosed as closed:
        # A genuine link: the refusal is on the package's own entry of the chain.
        uow.rollback()
        refuse_download(uow, closed.package, closed.reason, actor=_actor(closed.row))
        uow.commit()
        audit_refusal(request, PORTAL_LINK_REFUSED, code=closed.reason, link="package")
        raise LinkInvalid(GONE) from None
    except LinkInvalid as error:
        audit_refusal(request, PORTAL_LINK_REFUSED, code=error.code, link="package")
        raise


def _back(token: str, flag: str) -> RedirectResponse:
    return RedirectResponse(f"{PACKAGES}/{token}?code={flag}", status_code=303)


@router.get(f"{PACKAGES}/{{token}}", name="portal_package", dependencies=[PUBLIC])
def package_page(request: Request, token: str, uow: Uow) -> Response:
    row, package = _linked(request, uow, token)
    nonce, csrf = login_csrf_pair(request.app.state.secret_key)
    assert package.expires_at is not None  # a ready package has its date
    context = {
        "token": token,
        "row": row,
        "package": package,
        "organisation_name": register_of(uow, row.organisation).controller.name,
        "expires": uk_moment(package.expires_at),
        "filename": filename(row, package),
        "csrf_field": CSRF_FIELD,
        "csrf": csrf,
    }
    response = render(request, "portal/package_download.html", context)
    response.headers.update(NO_STORE)
    set_form_cookie(request, response, nonce, PACKAGES)
    return response


@router.post(f"{PACKAGES}/{{token}}/code", name="portal_package_code", dependencies=[PUBLIC])
def package_code(request: Request, token: str, uow: Uow) -> Response:
    row, package = _linked(request, uow, token)
    try:
        send_download_code(uow, package, actor=_actor(row))
    except DatawardError as error:
        uow.rollback()
        return _back(token, code_flag(request, error))
    uow.commit()
    return _back(token, "sent")


@router.post(
    f"{PACKAGES}/{{token}}/download", name="portal_package_download", dependencies=[PUBLIC]
)
def package_download(request: Request, token: str, uow: Uow) -> Response:
    """The code checked, then the ZIP streamed as an attachment: in one transaction, so a
    file that cannot be read leaves the code unused and nothing counted."""
    row, package = _linked(request, uow, token)
    actor = _actor(row)
    try:
        code = form_text(posted_form(request), "code", 12)
        result = check_download_code(uow, package, code, actor=actor)
    except DatawardError as error:
        uow.rollback()
        return _back(token, code_flag(request, error))
    if result.refusal is not None:
        uow.commit()  # a wrong try is counted even though the answer is no
        return _back(token, code_flag(request, result.refusal))
    try:
        stream = download_package(uow, package, actor=actor)
    except PackageClosed as closed:
        uow.rollback()
        refuse_download(uow, closed.package, closed.reason, actor=actor)
        uow.commit()
        audit_refusal(request, PORTAL_LINK_REFUSED, code=closed.reason, link="package")
        raise LinkInvalid(GONE) from None
    uow.commit()
    headers = {
        "Content-Disposition": f'attachment; filename="{filename(row, package)}"',
        **NO_STORE,
    }
    if stream.size is not None:
        headers["Content-Length"] = str(stream.size)
    return StreamingResponse(iter(stream), media_type="application/zip", headers=headers)
