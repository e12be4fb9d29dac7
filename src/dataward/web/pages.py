"""Server-rendered register pages: organisations, notice, lint findings, coverage, ROPA.

The notice is public (the portal shows it); the others are console pages for staff.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from markupsafe import Markup
from starlette.background import BackgroundTask

from dataward.accounts.permissions import Permission
from dataward.errors import RegisterInvalid
from dataward.logging import get_logger
from dataward.notice.render import Edition
from dataward.publication.errors import NoticeVersionNotFound
from dataward.publication.notices import edition_of, list_notice_versions
from dataward.publication.registers import list_organisations
from dataward.uow import UnitOfWork
from dataward.web.analysis import SEVERITIES, LocatedFinding, RegisterAnalyser, RegisterAnalysis
from dataward.web.auth import PUBLIC, console
from dataward.web.deps import analyse_organisation, get_analyser, get_uow
from dataward.web.security import policy_allowing_inline_styles
from dataward.web.templating import render

log = get_logger(__name__)
router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)

Uow = Annotated[UnitOfWork, Depends(get_uow)]
Analyser = Annotated[RegisterAnalyser, Depends(get_analyser)]

READ = console(Permission.REGISTERS_READ)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class HomeRow:
    organisation: str
    analysis: RegisterAnalysis | None
    problem: str | None = None


@router.get("/console/registers", name="registers_page", dependencies=[READ])
def registers_page(request: Request, uow: Uow, analyser: Analyser) -> Response:
    rows: list[HomeRow] = []
    for row in list_organisations(uow):
        try:
            rows.append(HomeRow(row.organisation, analyser.analyse(row)))
        except RegisterInvalid as error:
            # A version stored by an older dataward may not load under today's format.
            log.warning("web.stored_version_invalid", organisation=row.organisation)
            rows.append(HomeRow(row.organisation, None, error.message))
    return render(request, "registers.html", {"rows": rows})


@router.get("/orgs/{org}", name="organisation_page", dependencies=[READ])
def organisation_page(request: Request, org: str, uow: Uow, analyser: Analyser) -> Response:
    analysis = analyse_organisation(uow, analyser, org)
    return render(request, "organisation.html", _context(analysis, "overview"))


@router.get("/orgs/{org}/notice", name="notice_page", dependencies=[PUBLIC])
def notice_page(request: Request, org: str, uow: Uow, analyser: Analyser) -> Response:
    from dataward.notice.render import render_html_fragment

    analysis = analyse_organisation(uow, analyser, org)
    edition = _edition(request, uow, analysis.organisation)
    # The renderer escapes every register value itself; its output is trusted HTML.
    notice = Markup(render_html_fragment(analysis.register, edition=edition))  # noqa: S704
    return render(request, "notice.html", {**_context(analysis, "notice"), "notice": notice})


@router.get("/orgs/{org}/notice.html", name="notice_standalone", dependencies=[PUBLIC])
def notice_standalone(org: str, uow: Uow, analyser: Analyser) -> Response:
    """The notice as the standalone page ``dataward notice render`` writes."""
    from dataward.notice.render import render_html

    analysis = analyse_organisation(uow, analyser, org)
    html = render_html(analysis.register)
    policy = policy_allowing_inline_styles(html)
    return HTMLResponse(html, headers={"Content-Security-Policy": policy})


@router.get("/notice.css", name="notice_css", dependencies=[PUBLIC])
def notice_stylesheet() -> Response:
    """The notice renderer's own stylesheet, for pages that embed the notice."""
    from dataward.notice.render import notice_css

    return Response(
        notice_css(), media_type="text/css", headers={"Cache-Control": "public, max-age=300"}
    )


LINT_PAGE = 25  # about a screenful and a half of findings at 1280 px
Filter = Annotated[str, Query(max_length=80)]


def finding_section(located: LocatedFinding) -> str:
    """The top-level part of the register a finding points at (purposes, recipients, ...)."""
    path = located.finding.path
    return str(path[0]) if path else "register"


@router.get("/orgs/{org}/lint", name="lint_page", dependencies=[READ])
def lint_page(
    request: Request,
    org: str,
    uow: Uow,
    analyser: Analyser,
    severity: Filter = "",
    rule: Filter = "",
    section: Filter = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """Findings filtered by severity, rule and section (in the address), 25 to a page.

    A stored register version never changes, so its findings are a fixed list: numbered
    pages are stable, and the filters are exact matches on values the page offers.
    """
    analysis = analyse_organisation(uow, analyser, org)
    shown = {"severity": severity.strip(), "rule": rule.strip(), "section": section.strip()}
    context = {**_context(analysis, "lint"), "shown": shown, "error": None}
    context["rules"] = [(first.finding.rule_id, first.title) for first, _ in analysis.by_rule()]
    context["sections"] = sorted({finding_section(f) for f in analysis.findings})
    context["severities"] = SEVERITIES
    if shown["severity"] and shown["severity"] not in SEVERITIES:
        # The query stays in the form, so the reader corrects it rather than retyping it.
        context["error"] = "Severity must be one of: " + ", ".join(SEVERITIES) + "."
        context.update(matches=[], page_findings=[], page=1, pages=1, filtered=True)
        return render(request, "lint.html", context, status_code=422)
    matches = [
        f
        for f in analysis.findings
        if (not shown["severity"] or f.finding.severity == shown["severity"])
        and (not shown["rule"] or f.finding.rule_id == shown["rule"])
        and (not shown["section"] or finding_section(f) == shown["section"])
    ]
    pages = max(1, -(-len(matches) // LINT_PAGE))
    page = min(page, pages)
    context.update(
        matches=matches,
        page_findings=matches[(page - 1) * LINT_PAGE : page * LINT_PAGE],
        page=page,
        pages=pages,
        first_number=(page - 1) * LINT_PAGE + 1,
        filtered=any(shown.values()),
        query=urlencode([(k, v) for k, v in shown.items() if v]),
    )
    return render(request, "lint.html", context)


@router.get("/orgs/{org}/coverage", name="coverage_page", dependencies=[READ])
def coverage_page(request: Request, org: str, uow: Uow, analyser: Analyser) -> Response:
    analysis = analyse_organisation(uow, analyser, org)
    return render(request, "coverage.html", _context(analysis, "coverage"))


@router.get("/orgs/{org}/ropa.xlsx", name="ropa_download", dependencies=[READ])
def ropa_download(org: str, uow: Uow, analyser: Analyser) -> Response:
    """The ICO record of processing spreadsheet, written fresh from the stored register."""
    from dataward.register.exports.ropa import write_ropa

    analysis = analyse_organisation(uow, analyser, org)
    folder = Path(tempfile.mkdtemp(prefix="dataward-ropa-"))
    path = folder / "ropa.xlsx"
    try:
        write_ropa(analysis.register, path)
    except Exception:
        # ExportError and anything unexpected alike: leave no half-written file behind.
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        path,
        media_type=XLSX,
        filename=f"{analysis.organisation}-ropa-v{analysis.version}.xlsx",
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


def _edition(request: Request, uow: UnitOfWork, organisation: str) -> Edition | None:
    """The published notice version to show with its date and history link (NTC-03)."""
    try:
        current = list_notice_versions(uow, organisation)[0]
    except NoticeVersionNotFound:
        return None
    history = str(request.url_for("notice_versions", org=organisation).path)
    return edition_of(current, history)


def _context(analysis: RegisterAnalysis, tab: str) -> dict[str, Any]:
    return {"analysis": analysis, "register": analysis.register, "tab": tab}
