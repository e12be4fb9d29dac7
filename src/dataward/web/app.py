"""The web application factory: engine, session factory, analyser, routes and errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from dataward import __version__
from dataward.accounts.token_checks import AcceptedTokens
from dataward.accounts.token_uses import TokenUseLedger
from dataward.clock import Clock, SystemClock
from dataward.config import Settings, get_settings
from dataward.consent.fast_path import DecisionReader
from dataward.crypto.keystore import Vault
from dataward.db import make_engine, make_session_factory
from dataward.logging import get_logger
from dataward.register.coverage import FACT_SHEETS
from dataward.uow import UnitOfWork
from dataward.web import (
    access_pages,
    admin,
    api,
    api_access,
    api_complaint_steps,
    api_complaints,
    api_decisions,
    api_disclosures,
    api_erasure,
    api_holds,
    api_request_batch,
    api_request_notes,
    api_request_tasks,
    api_request_verification,
    api_requests,
    api_retention,
    api_subjects,
    audit_pages,
    campaign_pages,
    complaint_action_pages,
    complaint_entry_pages,
    complaint_figures_pages,
    complaint_hold_pages,
    complaint_letter_pages,
    complaint_pages,
    complaint_queue_pages,
    consent_pages,
    cookie_banner,
    disclosure_pages,
    erasure_pages,
    hold_pages,
    login,
    notice_pages,
    outbox_pages,
    pages,
    portal,
    portal_complaints,
    portal_packages,
    portal_requests,
    portal_verify,
    request_authority_pages,
    request_dashboard_pages,
    request_letter_pages,
    request_note_pages,
    request_pages,
    request_subject_pages,
    request_task_pages,
    request_verification_pages,
    retention_pages,
    retention_run_pages,
    staff,
    subject_actions,
)
from dataward.web.accounts_setup import check_route_rules, install_accounts
from dataward.web.analysis import RegisterAnalyser
from dataward.web.bodies import BodyLimits
from dataward.web.errors import install_error_handlers
from dataward.web.openapi import install_api_docs
from dataward.web.refusals import RefusalGuard, write_pending_refusals
from dataward.web.rule_first import check_body_routes
from dataward.web.security import SecurityHeaders
from dataward.web.templating import STATIC_DIR

log = get_logger(__name__)


def create_app(
    settings: Settings | None = None, clock: Clock | None = None, vault: Vault | None = None
) -> FastAPI:
    """Build the app. The engine lives on ``app.state`` and is disposed at shutdown."""
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)
    opened: list[Vault] = []

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        # Counted token uses are written before the engine goes: a graceful stop (SIGTERM,
        # Ctrl+C) loses none of them.
        await run_in_threadpool(write_pending_token_uses, _app)
        await run_in_threadpool(write_pending_refusals, _app)
        await _app.state.decision_reader.close()
        engine.dispose()
        for own in opened:
            own.close()

    app = FastAPI(
        title="dataward",
        version=__version__,
        summary="Run your privacy notice as a machine-checked register.",
        lifespan=lifespan,
        docs_url=None,  # web/openapi.py serves /docs from the package, not a CDN
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    app.state.token_uses = TokenUseLedger(timedelta(seconds=settings.token_use_window_seconds))
    app.state.accepted_tokens = AcceptedTokens(
        timedelta(seconds=settings.token_check_cache_seconds)
    )
    # Tests and deployments may name more fact sheets: organisation id -> file name.
    app.state.analyser = RegisterAnalyser(settings.examples_dir / "notices", FACT_SHEETS)
    own_vault = install_accounts(app, settings, vault)
    app.state.refusals = RefusalGuard(settings, app.state.clock, app.state.secret_key)
    opened.extend([own_vault] if own_vault else [])
    # The decision API answers on the event loop where it cannot wait (consent.fast_path).
    app.state.decision_reader = DecisionReader(
        engine, settings.database_url, app.state.session_factory, app.state.clock, app.state.vault
    )
    install_error_handlers(app)
    app.add_middleware(SecurityHeaders, trust_proxy=settings.trust_proxy)
    # Every request's body stays unread until its route's rule opens it (web.bodies).
    app.add_middleware(BodyLimits)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    install_api_docs(app)
    # Routers are matched in order, each walking its routes: the decision API, which
    # campaigns call per person, comes first (its paths overlap no other router's).
    app.include_router(api_decisions.router)
    app.include_router(portal.router)
    app.include_router(portal_requests.router)
    app.include_router(portal_complaints.router)
    app.include_router(portal_verify.router)
    app.include_router(portal_packages.router)
    app.include_router(login.router)
    app.include_router(staff.router)
    app.include_router(admin.router)
    app.include_router(pages.router)
    app.include_router(notice_pages.router)
    app.include_router(api.router)
    app.include_router(api_subjects.router)
    app.include_router(cookie_banner.router)
    app.include_router(outbox_pages.router)
    app.include_router(audit_pages.router)
    app.include_router(consent_pages.router)
    app.include_router(subject_actions.router)
    app.include_router(request_pages.router)
    app.include_router(request_subject_pages.router)
    app.include_router(request_dashboard_pages.router)
    app.include_router(complaint_figures_pages.router)
    app.include_router(request_task_pages.router)
    app.include_router(access_pages.router)
    app.include_router(erasure_pages.router)
    app.include_router(request_authority_pages.router)
    app.include_router(request_verification_pages.router)
    app.include_router(request_letter_pages.router)
    app.include_router(complaint_letter_pages.router)
    app.include_router(request_note_pages.router)
    app.include_router(api_requests.router)
    app.include_router(api_request_batch.router)
    app.include_router(api_request_notes.router)
    app.include_router(api_request_tasks.router)
    app.include_router(api_request_verification.router)
    app.include_router(api_access.router)
    app.include_router(api_erasure.router)
    app.include_router(api_complaints.router)
    app.include_router(api_complaint_steps.router)
    app.include_router(api_holds.router)
    app.include_router(api_disclosures.router)
    app.include_router(campaign_pages.router)
    app.include_router(complaint_queue_pages.router)
    app.include_router(complaint_entry_pages.router)
    app.include_router(complaint_pages.router)
    app.include_router(complaint_action_pages.router)
    app.include_router(complaint_hold_pages.router)
    app.include_router(hold_pages.router)
    app.include_router(retention_pages.router)
    app.include_router(retention_run_pages.router)
    app.include_router(api_retention.router)
    app.include_router(disclosure_pages.router)
    check_route_rules(app)
    check_body_routes(app)
    return app


def write_pending_token_uses(app: FastAPI) -> None:
    """Write the token uses counted but not yet written, at shutdown.

    A failure is logged (an error class and a count, never who or what) and does not stop
    the shutdown: the counts are lost, as they would be if the process were killed.
    """
    uses: TokenUseLedger = app.state.token_uses
    try:
        with UnitOfWork(app.state.session_factory, app.state.clock) as uow:
            uses.flush(uow)
            uow.commit()
    except Exception as exc:
        log.error("web.token_uses_lost", error=type(exc).__name__, uses=uses.pending_uses())
