"""Public portal: the organisations' notices and a subject's preferences page.

The preferences page is reached only by a signed, expiring link that staff make for one
subject (see ``accounts/links.py``). The person switches each marketing channel and each
preference there; every switch is a consent record, an opt-out or an objection, audited
under the subject's pseudonymous ref. The form has no session, so its CSRF check is the
signed double-submit cookie the sign-in form uses, scoped to this path.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from dataward.accounts.errors import LinkInvalid
from dataward.accounts.links import PreferencesLink, read_link
from dataward.consent.choices import apply_choices, choice_rows, contact_words
from dataward.errors import RegisterInvalid
from dataward.logging import get_logger
from dataward.publication.registers import list_organisations
from dataward.subjects.errors import SubjectNotFound
from dataward.subjects.service import get_subject
from dataward.uow import UnitOfWork
from dataward.web.analysis import RegisterAnalyser
from dataward.web.audit_actions import PORTAL_LINK_REFUSED
from dataward.web.auth import (
    CSRF_FIELD,
    PUBLIC,
    audit_refusal,
    login_csrf_pair,
    posted_form,
    set_form_cookie,
)
from dataward.web.cookie_banner import BANNER_POLICY
from dataward.web.deps import analyse_organisation, get_analyser, get_uow
from dataward.web.templating import render

log = get_logger(__name__)
router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
Analyser = Annotated[RegisterAnalyser, Depends(get_analyser)]


@router.get("/", name="portal_home", dependencies=[PUBLIC])
def portal_home(request: Request, uow: Uow, analyser: Analyser) -> Response:
    notices = []
    for row in list_organisations(uow):
        try:
            analysis = analyser.analyse(row)
        except RegisterInvalid:
            log.warning("web.stored_version_invalid", organisation=row.organisation)
            continue
        notices.append((row.organisation, analysis.register.controller.name))
    return render(request, "portal/home.html", {"notices": notices})


def _link(request: Request, uow: UnitOfWork, token: str) -> PreferencesLink:
    try:
        link = read_link(request.app.state.secret_key, uow.clock, token)
        get_subject(uow, link.organisation, link.subject_ref)
    except (LinkInvalid, SubjectNotFound) as error:
        audit_refusal(request, PORTAL_LINK_REFUSED, code=error.code)
        if isinstance(error, SubjectNotFound):
            raise LinkInvalid("this preferences link no longer leads to a record") from None
        raise
    return link


@router.get("/preferences/{token}", name="preferences_page", dependencies=[PUBLIC])
def preferences_page(request: Request, token: str, uow: Uow, analyser: Analyser) -> Response:
    link = _link(request, uow, token)
    register = analyse_organisation(uow, analyser, link.organisation).register
    rows = choice_rows(uow, link.organisation, link.subject_ref, contact=contact_words(register))
    nonce, csrf = login_csrf_pair(request.app.state.secret_key)
    versions = register.notice.versions
    context = {
        "register": register,
        "organisation": link.organisation,
        "marketing": [r for r in rows if r.key.startswith("m:")],
        "preferences": [r for r in rows if r.key.startswith("p:")],
        "expires_at": link.expires_at,
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf,
        # The notice a consent given here records as shown (LAW-05): named on the page.
        "notice_version": versions[-1].id if versions else None,
        "saved": _count(request.query_params.get("saved")),
        "unchanged": _count(request.query_params.get("unchanged")),
    }
    response = render(request, "portal/preferences.html", context)
    set_form_cookie(request, response, nonce, "/preferences")
    if register.cookies.used:
        response.headers["Content-Security-Policy"] = BANNER_POLICY
    return response


def _count(value: str | None) -> int | None:
    """A count from the address after saving; anything else is ignored, never shown."""
    return int(value) if value is not None and value.isdigit() and len(value) < 5 else None


@router.post("/preferences/{token}", name="preferences_submit", dependencies=[PUBLIC])
def preferences_submit(request: Request, token: str, uow: Uow) -> Response:
    link = _link(request, uow, token)
    form = posted_form(request)
    ticked = {k for k in form if k.startswith(("m:", "p:")) and len(k) <= 200}
    shown = form.get("notice_version")
    changed = apply_choices(
        uow,
        link.organisation,
        link.subject_ref,
        ticked,
        actor=f"subject:{link.subject_ref}",
        notice_version=shown[:80] if isinstance(shown, str) and shown else None,
    )
    # What the person asked for that did not happen (a staff objection, a restriction):
    # the page says so rather than counting it as saved.
    rows = choice_rows(uow, link.organisation, link.subject_ref)
    unchanged = sum(1 for r in rows if (r.key in ticked) != r.on and not r.locked)
    # A locked box the person tried to tick (a forged form, or a page from before staff
    # recorded an objection) did not change either: say so too.
    unchanged += sum(1 for r in rows if r.locked and r.key in ticked and not r.on)
    uow.commit()
    return RedirectResponse(
        f"/preferences/{token}?saved={changed}&unchanged={unchanged}", status_code=303
    )
