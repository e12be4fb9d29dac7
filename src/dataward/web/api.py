"""JSON API, version 1. Errors are problem+json (see ``web/errors.py``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from dataward.accounts.permissions import Permission
from dataward.errors import RegisterInvalid
from dataward.logging import get_logger
from dataward.publication.registers import list_organisations
from dataward.uow import UnitOfWork
from dataward.web.analysis import RegisterAnalyser, RegisterAnalysis
from dataward.web.auth import PUBLIC, api
from dataward.web.deps import analyse_organisation, get_analyser, get_uow
from dataward.web.schemas import (
    CoverageFigure,
    Health,
    LintFindingOut,
    LintReport,
    OrganisationLinks,
    OrganisationList,
    OrganisationSummary,
    RegisterDocument,
    SeverityCounts,
    problems,
)

log = get_logger(__name__)
router = APIRouter(prefix="/api/v1", tags=["api v1"])

Uow = Annotated[UnitOfWork, Depends(get_uow)]
Analyser = Annotated[RegisterAnalyser, Depends(get_analyser)]

READ = api(Permission.REGISTERS_READ)


def _summary(request: Request, analysis: RegisterAnalysis) -> OrganisationSummary:
    org = analysis.organisation
    coverage = None
    if analysis.coverage is not None:
        coverage = CoverageFigure(
            covered=analysis.coverage.covered,
            total=analysis.coverage.total,
            rejected_claims=len(analysis.coverage.rejected),
            problems=len(analysis.coverage.problems),
            fact_sheet_note=analysis.coverage_note,
        )
    return OrganisationSummary(
        organisation=org,
        name=analysis.register.controller.name,
        version=analysis.version,
        loaded_at=analysis.loaded_at,
        content_hash=analysis.content_hash,
        lint=SeverityCounts(**analysis.counts),
        coverage=coverage,
        links=OrganisationLinks(
            page=str(request.url_for("organisation_page", org=org).path),
            notice=str(request.url_for("notice_page", org=org).path),
            lint=str(request.url_for("api_lint", org=org).path),
            register_json=str(request.url_for("api_register", org=org).path),
            ropa=str(request.url_for("ropa_download", org=org).path),
        ),
    )


@router.get(
    "/health",
    response_model=Health,
    name="api_health",
    dependencies=[PUBLIC],
    responses=problems(503),
)
def health(uow: Uow) -> Health | JSONResponse:
    """Liveness and database reachability."""
    try:
        uow.session.execute(text("SELECT 1"))
        count = len(list_organisations(uow))
    except Exception as error:  # any driver error means "not healthy", not a 500
        log.error("web.health_failed", error=type(error).__name__)
        body = {
            "type": "https://dataward.dev/errors/database_unavailable",
            "title": "Database unavailable",
            "status": 503,
            "detail": "dataward cannot reach its database",
            "code": "database_unavailable",
        }
        return JSONResponse(body, status_code=503, media_type="application/problem+json")
    return Health(status="ok", database="ok", organisations=count)


@router.get(
    "/organisations",
    response_model=OrganisationList,
    name="api_organisations",
    dependencies=[READ],
    responses=problems(401, 403),
)
def organisations(request: Request, uow: Uow, analyser: Analyser) -> OrganisationList:
    """Every organisation with its newest register version, lint counts and coverage."""
    summaries = []
    for row in list_organisations(uow):
        try:
            summaries.append(_summary(request, analyser.analyse(row)))
        except RegisterInvalid:
            log.warning("web.stored_version_invalid", organisation=row.organisation)
    return OrganisationList(organisations=summaries)


@router.get(
    "/organisations/{org}/lint",
    response_model=LintReport,
    name="api_lint",
    dependencies=[READ],
    responses=problems(401, 403, 404),
)
def organisation_lint(org: str, uow: Uow, analyser: Analyser) -> LintReport:
    """Lint findings of the organisation's newest register, errors first."""
    analysis = analyse_organisation(uow, analyser, org)
    return LintReport(
        organisation=analysis.organisation,
        version=analysis.version,
        counts=SeverityCounts(**analysis.counts),
        findings=[
            LintFindingOut(
                rule_id=f.finding.rule_id,
                severity=f.finding.severity,
                title=f.title,
                message=f.finding.message,
                path=f.finding.dotted_path,
                file=f.file,
                line=f.line,
                column=f.column,
                rules_ref=f.finding.rules_ref,
            )
            for f in analysis.findings
        ],
    )


@router.get(
    "/organisations/{org}/register",
    response_model=RegisterDocument,
    name="api_register",
    dependencies=[READ],
    responses=problems(401, 403, 404),
)
def organisation_register(org: str, uow: Uow, analyser: Analyser) -> RegisterDocument:
    """The organisation's newest register as JSON, with its version."""
    analysis = analyse_organisation(uow, analyser, org)
    return RegisterDocument(
        organisation=analysis.organisation,
        version=analysis.version,
        content_hash=analysis.content_hash,
        loaded_at=analysis.loaded_at,
        body=analysis.register.model_dump(mode="json"),
    )
