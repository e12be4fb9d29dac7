"""Helpers for web tests: cheap hashing settings, users, signed-in clients, CSRF tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from dataward.accounts.models import User
from dataward.accounts.service import create_user
from dataward.accounts.sessions import start_session
from dataward.accounts.tokens import create_token
from dataward.config import Settings
from dataward.uow import UnitOfWork
from dataward.web.auth import SESSION_COOKIE

PASSWORD = "correct horse battery staple"
SECRET_KEY = "test-secret-key-for-signing-links-0123456789"


def web_settings(database_url: str, examples_dir: Path, **extra: Any) -> Settings:
    """Cheap argon2 parameters (tests only), plain-http cookies, a fixed signing key."""
    values: dict[str, Any] = {
        "argon2_time_cost": 1,
        "argon2_memory_kib": 8,
        "argon2_parallelism": 1,
        "cookie_secure": False,
        "secret_key": SECRET_KEY,
        # Each refusal its own event, at once, and no throttle: tests count refusals one by
        # one from one client; the rollup has its own tests (test_refusal_rollup.py).
        "refusal_window_seconds": 0,
        **extra,
    }
    return Settings(database_url=database_url, examples_dir=examples_dir, **values)


def add_user(app: FastAPI, username: str, role: str, password: str = PASSWORD) -> User:
    with UnitOfWork(app.state.session_factory, app.state.clock) as uow:
        user, _ = create_user(
            uow, app.state.passwords, username, role, password=password, actor="test"
        )
        uow.commit()
    return user


def session_cookie(app: FastAPI, user: User, stage: str = "full") -> str:
    with UnitOfWork(app.state.session_factory, app.state.clock) as uow:
        token, _ = start_session(uow, user, stage, app.state.session_policy)
        uow.commit()
    return token


def signed_in(app: FastAPI, username: str, role: str) -> TestClient:
    """A client with a full session of a new user of ``role``."""
    user = add_user(app, username, role)
    client = TestClient(app, follow_redirects=False)
    client.cookies.set(SESSION_COOKIE, session_cookie(app, user))
    return client


def api_token(app: FastAPI, user: User, scopes: list[str], days: int = 30) -> str:
    with UnitOfWork(app.state.session_factory, app.state.clock) as uow:
        owner = uow.session.get(User, user.id)
        assert owner is not None
        secret, _ = create_token(uow, owner, "test", scopes, days, max_days=365, actor="test")
        uow.commit()
    return secret


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no CSRF field"
    return match.group(1)


def login_form(client: TestClient) -> str:
    """Open the sign-in page (setting its cookie); returns the form's CSRF token."""
    page = client.get("/login")
    assert page.status_code == 200
    return csrf_from(page.text)


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> Any:
    token = login_form(client)
    return client.post(
        "/login", data={"username": username, "password": password, "csrf_token": token}
    )


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "web"
ORG = "acme_widgets"


def console_app(database_url: str, clock: Any, vault: Any, **extra: Any) -> FastAPI:
    """An app on the test database and key store, with the web fixture register loaded."""
    from dataward.web.app import create_app
    from dataward.web.loading import load_examples

    app = create_app(web_settings(database_url, FIXTURES, **extra), clock, vault)
    with UnitOfWork(app.state.session_factory, clock) as uow:
        load_examples(uow, FIXTURES / "registers")
        uow.commit()
    return app


def add_person(app: FastAPI, email: str = "jane.doe@example.com") -> str:
    """A subject of the fixture organisation; returns its ref."""
    from dataward.subjects.service import add_subject

    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        subject = add_subject(
            uow, ORG, ["customers"], [("email", email), ("name", "Jane Doe")], actor="test"
        )
        uow.commit()
    return subject.ref


def audit_actions(app: FastAPI) -> list[str]:
    from sqlalchemy import select

    from dataward.audit.models import AuditEvent

    with app.state.session_factory() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def fresh_console_app(database_url: str, clock: Any, vault: Any) -> Iterator[FastAPI]:
    """For an ``app`` fixture: the console app, and every table emptied afterwards."""
    from dataward.db import Base
    from dataward.models import import_all_models

    import_all_models()
    web = console_app(database_url, clock, vault)
    yield web
    with web.state.session_factory() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
        session.commit()
    web.state.engine.dispose()
