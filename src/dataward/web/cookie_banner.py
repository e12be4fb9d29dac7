"""The cookie banner for an organisation's own sites, and its server-side consent log.

The banner script is static (``/static/consent-banner.js``); its content comes from the
register through ``cookie_banner_config``. Choices arrive cross-site from the
organisation's pages, as a small JSON body, through the ``BEACON`` rule.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from dataward.consent.cookies import (
    MAX_BODY,
    Banner,
    banner_for,
    kind_words,
    possessive,
    public_statements,
    public_url,
    record_choice,
)
from dataward.consent.errors import CookieLogRefused, CookieLogTooLarge
from dataward.uow import UnitOfWork
from dataward.web.analysis import RegisterAnalyser
from dataward.web.auth import BEACON, PUBLIC
from dataward.web.deps import analyse_organisation, get_analyser, get_uow
from dataward.web.schemas import problems
from dataward.web.security import CONTENT_SECURITY_POLICY
from dataward.web.templating import render

router = APIRouter(tags=["cookie consent"])
Uow = Annotated[UnitOfWork, Depends(get_uow)]
Analyser = Annotated[RegisterAnalyser, Depends(get_analyser)]
# Pages that show the banner run our one script and talk to this server only.
BANNER_POLICY = CONTENT_SECURITY_POLICY.replace(
    "default-src 'none';", "default-src 'none'; script-src 'self'; connect-src 'self';"
)


def current_banner(
    request: Request, uow: UnitOfWork, analyser: RegisterAnalyser, org: str
) -> Banner:
    register = analyse_organisation(uow, analyser, org).register
    secret: bytes = request.app.state.secret_key
    if not register.cookies.used:
        raise CookieLogRefused(f"the register of {org} says its sites use no cookies")
    return banner_for(org, register.controller.name, register.cookies, secret)


def _gpc(request: Request) -> bool:
    return request.headers.get("sec-gpc", "").strip() == "1"


@router.get(
    "/api/v1/cookie-banner/{org}",
    name="cookie_banner_config",
    dependencies=[PUBLIC],
    responses=problems(404, 422),
)
def cookie_banner_config(request: Request, org: str, uow: Uow, analyser: Analyser) -> Response:
    """What the banner shows, its policy version, text hash and signature."""
    banner = current_banner(request, uow, analyser, org)
    reply = JSONResponse(banner.config(_gpc(request)))
    reply.headers["Access-Control-Allow-Origin"] = "*"
    reply.headers["Cache-Control"] = "no-store"
    return reply


@router.post(
    "/api/v1/cookie-banner/{org}/consents",
    name="cookie_consent_log",
    status_code=201,
    dependencies=[BEACON],
    responses=problems(404, 413, 422),
)
async def cookie_consent_log(request: Request, org: str, uow: Uow, analyser: Analyser) -> Response:
    """Log one banner choice (policy version, text hash, choice, time, visitor id)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        raise CookieLogTooLarge(f"a cookie choice is at most {MAX_BODY} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise CookieLogTooLarge(f"a cookie choice is at most {MAX_BODY} bytes")
    banner = current_banner(request, uow, analyser, org)
    row = record_choice(uow, banner, body, gpc_header=_gpc(request))
    uow.commit()
    reply = JSONResponse({"recorded": row.id, "gpc": row.gpc}, status_code=201)
    reply.headers["Access-Control-Allow-Origin"] = "*"
    return reply


@router.get(
    "/orgs/{org}/cookies",
    name="cookie_page",
    response_class=HTMLResponse,
    dependencies=[PUBLIC],
    include_in_schema=False,
)
def cookie_page(request: Request, org: str, uow: Uow, analyser: Analyser) -> Response:
    """The organisation's cookie policy, with its banner as its own sites show it."""
    register = analyse_organisation(uow, analyser, org).register
    cookies = register.cookies
    context = {
        "register": register,
        "organisation": org,
        "owner": possessive(register.controller.name),
        "statements": public_statements(cookies.statements),
        "kind_words": {c.id: kind_words(c) for c in cookies.categories},
        "policy_url": public_url(cookies.policy_url),
    }
    page = render(request, "portal/cookies.html", context)
    page.headers["Content-Security-Policy"] = BANNER_POLICY
    return page
