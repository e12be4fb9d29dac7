"""Accepted API tokens remembered for a few seconds (DATAWARD_TOKEN_CHECK_CACHE_SECONDS)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import add_user, api_token, audit_actions, console_app, csrf_from, signed_in

from dataward.accounts.models import ApiToken
from dataward.accounts.permissions import Permission
from dataward.accounts.token_checks import AcceptedTokens
from dataward.accounts.tokens import TokenCheck, revoke_token
from dataward.clock import FixedClock
from dataward.crypto.keystore import Vault
from dataward.uow import UnitOfWork

ORGANISATIONS = "/api/v1/organisations"


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: Vault, uow: UnitOfWork) -> Iterator[FastAPI]:
    web = console_app(database_url, clock, vault)  # remembered for 5 seconds, the default
    yield web
    web.state.engine.dispose()


def _status(client: TestClient, secret: str, path: str = ORGANISATIONS) -> int:
    return client.get(path, headers={"Authorization": f"Bearer {secret}"}).status_code


def _accepted(app: FastAPI) -> tuple[str, TestClient]:
    """A reader's token, accepted (and so remembered) once."""
    secret = api_token(app, add_user(app, "engine", "dpo"), ["registers:read"])
    client = TestClient(app)
    assert _status(client, secret) == 200
    return secret, client


def _revoke_elsewhere(app: FastAPI, clock: FixedClock) -> None:
    """As the CLI would, in its own process: straight in the database."""
    with UnitOfWork(app.state.session_factory, clock) as uow:
        ref = uow.session.scalars(select(ApiToken.ref)).one()
        revoke_token(uow, ref, actor="cli")
        uow.commit()


def test_a_token_revoked_elsewhere_stops_working_within_the_cache_time(
    app: FastAPI, clock: FixedClock
) -> None:
    secret, client = _accepted(app)
    _revoke_elsewhere(app, clock)
    clock.advance(timedelta(seconds=4))
    assert _status(client, secret) == 200  # remembered: this process has not looked again
    clock.advance(timedelta(seconds=1))
    assert _status(client, secret) == 401
    assert audit_actions(app).count("api_token.refused") == 1


def test_a_token_revoked_in_the_console_stops_working_at_once(
    app: FastAPI, clock: FixedClock
) -> None:
    secret, client = _accepted(app)
    admin = signed_in(app, "root", "admin")
    page = admin.get("/console/tokens")
    with app.state.session_factory() as session:
        ref = session.scalars(select(ApiToken.ref)).one()
    done = admin.post(
        f"/console/tokens/{ref}/revoke",
        data={"csrf_token": csrf_from(page.text), "confirm": "yes"},
    )
    assert done.status_code == 303
    assert _status(client, secret) == 401


def test_a_remembered_token_is_still_refused_a_scope_it_lacks(
    app: FastAPI, clock: FixedClock
) -> None:
    secret, client = _accepted(app)
    refused = client.get("/api/v1/audit/head", headers={"Authorization": f"Bearer {secret}"})
    assert (refused.status_code, refused.json()["code"]) == (403, "scope_missing")
    assert audit_actions(app).count("api_token.refused") == 1


def test_with_no_cache_a_revocation_elsewhere_takes_effect_at_once(
    database_url: str, clock: FixedClock, vault: Vault, uow: UnitOfWork
) -> None:
    app = console_app(database_url, clock, vault, token_check_cache_seconds=0)
    try:
        secret = api_token(app, add_user(app, "engine", "dpo"), ["registers:read"])
        client = TestClient(app)
        assert _status(client, secret) == 200
        _revoke_elsewhere(app, clock)
        assert _status(client, secret) == 401
    finally:
        app.state.engine.dispose()


def test_the_cache_forgets_expired_tokens_and_bounds_its_size() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    cache = AcceptedTokens(timedelta(seconds=5))
    token = ApiToken(
        id="t", ref="t_1", scopes=["registers:read"], expires_at=now + timedelta(seconds=2)
    )
    from dataward.accounts.models import User

    owner = User(id="u", ref="u_1", role="dpo")
    cache.remember("dw_secret", TokenCheck(token, owner, None), now)
    assert cache.check("dw_secret", Permission.REGISTERS_READ, now) is not None
    assert cache.check("dw_other", Permission.REGISTERS_READ, now) is None
    # The token's own expiry comes before the cache's time.
    assert cache.check("dw_secret", Permission.REGISTERS_READ, now + timedelta(seconds=2)) is None
    with pytest.raises(ValueError, match="negative"):
        AcceptedTokens(timedelta(seconds=-1))
    from dataward.accounts import token_checks

    for n in range(token_checks.MAX_REMEMBERED + 1):
        cache.remember(f"dw_{n}", TokenCheck(token, owner, None), now)
    assert len(cache._accepted) <= token_checks.MAX_REMEMBERED
