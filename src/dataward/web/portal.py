"""Public portal: the organisations' notices and a subject's preferences page.

The preferences page is reached only by a signed, expiring link that staff make for one
subject (see ``accounts/links.py``). Until the consent feature records choices, it shows
the choices the register offers that subject, read-only, with the register's defaults.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from dataward.accounts.errors import LinkInvalid
from dataward.accounts.links import read_link
from dataward.errors import RegisterInvalid
from dataward.logging import get_logger
from dataward.register.service import list_organisations
from dataward.subjects.service import SubjectNotFound, get_subject
from dataward.uow import UnitOfWork
from dataward.web.analysis import RegisterAnalyser
from dataward.web.auth import PUBLIC, audit_refusal
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


@router.get("/preferences/{token}", name="preferences_page", dependencies=[PUBLIC])
def preferences_page(request: Request, token: str, uow: Uow, analyser: Analyser) -> Response:
    try:
        link = read_link(request.app.state.secret_key, uow.clock, token)
        subject = get_subject(uow, link.organisation, link.subject_ref)
    except (LinkInvalid, SubjectNotFound) as error:
        audit_refusal(request, "portal.link_refused", code=error.code)
        if isinstance(error, SubjectNotFound):
            raise LinkInvalid("this preferences link no longer leads to a record") from None
        raise
    register = analyse_organisation(uow, analyser, link.organisation).register
    groups = set(subject.groups)

    def applies(item_groups: list[str]) -> bool:
        return not item_groups or bool(groups & set(item_groups))

    channels = [c for c in register.marketing.channels if applies(c.subject_groups)]
    preferences = [p for p in register.preferences if applies(p.subject_groups)]
    context = {
        "register": register,
        "organisation": link.organisation,
        "channels": channels,
        "preferences": preferences,
        "expires_at": link.expires_at,
    }
    return render(request, "portal/preferences.html", context)
