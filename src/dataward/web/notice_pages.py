"""Notice history pages: earlier versions (public) and the diff between two (console).

The served notice links here (NTC-03): readers see when it changed and can read what it
said before; staff see what changed, which changes are significant, and whether they are
waiting to be sent to subjects (its campaign's truth: waiting for approval, N of M sent).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from dataward.accounts.permissions import Permission
from dataward.notice.diff import REASONS
from dataward.notify.progress import progress_of_change
from dataward.publication.notices import (
    diff_versions,
    edition_of,
    get_notice_version,
    list_notice_versions,
    recorded_change,
    register_of,
)
from dataward.uow import UnitOfWork
from dataward.web.analysis import RegisterAnalyser
from dataward.web.auth import PUBLIC, console, principal_of
from dataward.web.deps import analyse_organisation, get_analyser, get_uow
from dataward.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
Analyser = Annotated[RegisterAnalyser, Depends(get_analyser)]


@router.get("/orgs/{org}/notice/versions", name="notice_versions", dependencies=[PUBLIC])
def notice_versions(request: Request, org: str, uow: Uow, analyser: Analyser) -> Response:
    analysis = analyse_organisation(uow, analyser, org)
    rows = list_notice_versions(uow, analysis.organisation)
    context: dict[str, Any] = {"analysis": analysis, "register": analysis.register}
    return render(request, "notice_versions.html", {**context, "rows": rows, "tab": "history"})


@router.get("/orgs/{org}/notice/versions/{version}", name="notice_version", dependencies=[PUBLIC])
def notice_version(
    request: Request, org: str, version: int, uow: Uow, analyser: Analyser
) -> Response:
    from dataward.notice.render import render_html_fragment

    analysis = analyse_organisation(uow, analyser, org)
    row = get_notice_version(uow, analysis.organisation, version)
    newest = list_notice_versions(uow, analysis.organisation)[0]
    history = str(request.url_for("notice_versions", org=analysis.organisation).path)
    # The renderer escapes every register value itself; its output is trusted HTML.
    notice = Markup(  # noqa: S704
        render_html_fragment(register_of(uow, row), edition=edition_of(row, history))
    )
    context = {
        "analysis": analysis,
        "register": analysis.register,
        "row": row,
        "newest": newest,
        "notice": notice,
    }
    return render(request, "notice_version.html", context)


@router.get(
    "/orgs/{org}/notice/diff",
    name="notice_diff",
    dependencies=[console(Permission.REGISTERS_READ)],
)
def notice_diff(
    request: Request,
    org: str,
    uow: Uow,
    analyser: Analyser,
    old: Annotated[int | None, Query(alias="from", ge=1)] = None,
    new: Annotated[int | None, Query(alias="to", ge=1)] = None,
) -> Response:
    analysis = analyse_organisation(uow, analyser, org)
    rows = list_notice_versions(uow, analysis.organisation)
    new = new or rows[0].version
    old = old or max(new - 1, 1)
    diff = diff_versions(uow, analysis.organisation, old, new)
    recorded = recorded_change(uow, analysis.organisation, old, new)
    context = {
        "analysis": analysis,
        "register": analysis.register,
        "tab": "history",
        "rows": rows,
        "old": old,
        "new": new,
        "diff": diff,
        "reasons": REASONS,
        "recorded": recorded,
        # What was really sent, from the outbox: never "subjects were told" before it is so.
        "campaign": progress_of_change(uow, analysis.organisation, old, new),
        "campaign_link": principal_of(request).can(Permission.OUTBOX_READ),
    }
    return render(request, "notice_diff.html", context)
