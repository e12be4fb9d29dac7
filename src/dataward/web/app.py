"""The web application factory: engine, session factory, analyser, routes and errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from dataward import __version__
from dataward.clock import Clock, SystemClock
from dataward.config import Settings, get_settings
from dataward.db import make_engine, make_session_factory
from dataward.web import api, pages
from dataward.web.analysis import FACT_SHEETS, RegisterAnalyser
from dataward.web.errors import install_error_handlers
from dataward.web.security import SecurityHeaders
from dataward.web.templating import STATIC_DIR


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> FastAPI:
    """Build the app. The engine lives on ``app.state`` and is disposed at shutdown."""
    settings = settings or get_settings()
    engine = make_engine(settings.database_url)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        engine.dispose()

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
    install_error_handlers(app)
    app.add_middleware(SecurityHeaders)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(pages.router)
    app.include_router(api.router)
    return app
