"""The web application factory: engine, session factory, analyser, routes and errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from dataward import __version__
from dataward.clock import Clock, SystemClock
from dataward.config import Settings, get_settings
from dataward.crypto.keystore import Vault
from dataward.db import make_engine, make_session_factory
from dataward.web import (
    admin,
    api,
    api_decisions,
    api_subjects,
    cookie_banner,
    login,
    notice_pages,
    outbox_pages,
    pages,
    portal,
    staff,
)
from dataward.web.accounts_setup import check_route_rules, install_accounts
from dataward.web.analysis import FACT_SHEETS, RegisterAnalyser
from dataward.web.errors import install_error_handlers
from dataward.web.security import SecurityHeaders
from dataward.web.templating import STATIC_DIR


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
        engine.dispose()
        for own in opened:
            own.close()

    app = FastAPI(
        title="dataward",
        version=__version__,
        summary="Run your privacy notice as a machine-checked register.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.clock = clock or SystemClock()
    app.state.engine = engine
    app.state.session_factory = make_session_factory(engine)
    # Tests and deployments may name more fact sheets: organisation id -> file name.
    app.state.analyser = RegisterAnalyser(settings.examples_dir / "notices", FACT_SHEETS)
    own_vault = install_accounts(app, settings, vault)
    opened.extend([own_vault] if own_vault else [])
    install_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(portal.router)
    app.include_router(login.router)
    app.include_router(staff.router)
    app.include_router(admin.router)
    app.include_router(pages.router)
    app.include_router(notice_pages.router)
    app.include_router(api.router)
    app.include_router(api_subjects.router)
    app.include_router(api_decisions.router)
    app.include_router(cookie_banner.router)
    app.include_router(outbox_pages.router)
    check_route_rules(app)
    return app
