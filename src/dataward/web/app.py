"""The web application factory: engine, session factory, analyser, routes and errors."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from dataward import __version__
from dataward.clock import Clock, SystemClock
from dataward.config import Settings, get_settings
from dataward.db import make_engine, make_session_factory
from dataward.web import api, pages
from dataward.web.analysis import FACT_SHEETS, RegisterAnalyser
from dataward.web.errors import install_error_handlers
from dataward.web.templating import STATIC_DIR

# Pages use no script, inline style or third-party resource; /docs (Swagger UI) loads its
# script from a CDN, so it is left out of this policy.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
_UNPOLICED = ("/docs", "/redoc")


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers += [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"x-frame-options", b"DENY"),
                ]
                if not path.startswith(_UNPOLICED):
                    headers.append((b"content-security-policy", CONTENT_SECURITY_POLICY.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


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
