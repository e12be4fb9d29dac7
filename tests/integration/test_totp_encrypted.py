"""TOTP secrets sealed at rest (issue 14, item 5), on both backends.

The column never holds the base32 secret once enrolled; signing in with a code still works;
a secret an older release stored readable is sealed at start (or at first use) and still
verifies; a wrong DATAWARD_SECRET_KEY is a clear error, never a traceback.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from typer.testing import CliRunner
from web_support import SECRET_KEY, add_user, audit_actions, console_app, csrf_from, log_in

from dataward.accounts.errors import TotpSecretUnreadable
from dataward.accounts.models import User
from dataward.accounts.service import LoginPolicy, check_totp
from dataward.accounts.totp_secrets import totp_sealer
from dataward.audit.models import AuditEvent
from dataward.cli.app import app as cli
from dataward.clock import FixedClock
from dataward.config import Settings, get_settings
from dataward.crypto.keystore import Vault
from dataward.crypto.sealed_text import SEALED_PREFIX
from dataward.db import make_engine
from dataward.errors import ConfigurationError
from dataward.migrate import upgrade
from dataward.runtime import encrypt_legacy_totp_secrets, unreadable_totp_secrets
from dataward.scratch import scratch_databases
from dataward.uow import UnitOfWork

runner = CliRunner()


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: Vault, uow: UnitOfWork) -> Iterator[FastAPI]:
    web = console_app(database_url, clock, vault, totp_required_roles=["admin"])
    yield web
    web.state.engine.dispose()


def _client(app: FastAPI) -> TestClient:
    return TestClient(app, follow_redirects=False)


def _stored(database_url: str, user_id: str) -> str | None:
    """The column as raw SQL sees it, not through the model."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            value = conn.execute(
                text("SELECT totp_secret FROM users WHERE id = :id"), {"id": user_id}
            ).scalar_one()
            return None if value is None else str(value)
    finally:
        engine.dispose()


def _store_plain(database_url: str, user_id: str, secret: str) -> None:
    """What an older release wrote: the base32 secret as it is."""
    engine = make_engine(database_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE users SET totp_secret = :s WHERE id = :id"),
                {"s": secret, "id": user_id},
            )
    finally:
        engine.dispose()


def _enrol(app: FastAPI, clock: FixedClock, username: str) -> tuple[str, str]:
    """An admin signs in and sets up TOTP on the page; returns (user id, secret)."""
    user = add_user(app, username, "admin")
    client = _client(app)
    assert log_in(client, username).headers["location"] == "/login/totp/setup"
    page = client.get("/login/totp/setup")
    secret = page.text.split('id="totp-secret">')[1].split("<")[0]
    done = client.post(
        "/login/totp/setup",
        data={
            "secret": secret,
            "code": pyotp.TOTP(secret).at(clock.now()),
            "csrf_token": csrf_from(page.text),
        },
    )
    assert done.status_code == 303
    return user.id, secret


def _sign_in_with_code(app: FastAPI, username: str, code: str) -> object:
    client = _client(app)
    assert log_in(client, username).headers["location"] == "/login/totp"
    page = client.get("/login/totp")
    return client.post("/login/totp", data={"code": code, "csrf_token": csrf_from(page.text)})


def test_an_enrolled_secret_is_never_stored_readable(
    app: FastAPI, clock: FixedClock, database_url: str
) -> None:
    """issue 14, item 5: the column holds a sealed value, not the base32 secret."""
    user_id, secret = _enrol(app, clock, "ada")

    stored = _stored(database_url, user_id)

    assert stored is not None
    assert stored.startswith(SEALED_PREFIX)
    assert secret not in stored
    assert secret.lower() not in stored.lower()


def test_signing_in_with_a_code_still_works_once_sealed(
    app: FastAPI, clock: FixedClock, database_url: str
) -> None:
    """issue 14, item 5: the sealed secret is opened to check the code."""
    user_id, secret = _enrol(app, clock, "ada")
    clock.advance(timedelta(minutes=2))  # a new code, not the one the set-up used

    wrong = _sign_in_with_code(app, "ada", "000000")
    done = _sign_in_with_code(app, "ada", pyotp.TOTP(secret).at(clock.now()))

    assert wrong.status_code == 401
    assert done.status_code == 303
    assert "auth.totp_accepted" in audit_actions(app)
    assert str(_stored(database_url, user_id)).startswith(SEALED_PREFIX)


def test_a_legacy_readable_secret_is_sealed_at_start_and_still_verifies(
    app: FastAPI, clock: FixedClock, database_url: str
) -> None:
    """issue 14, item 5: the start-up step (serve, db upgrade) seals what an older release kept."""
    user = add_user(app, "dee", "dpo")
    secret = pyotp.random_base32(length=32)
    _store_plain(database_url, user.id, secret)
    settings = Settings(database_url=database_url, secret_key=SECRET_KEY)

    assert encrypt_legacy_totp_secrets(settings, actor="system:start") == (1, 0)
    assert encrypt_legacy_totp_secrets(settings, actor="system:start") == (0, 0)

    stored = str(_stored(database_url, user.id))
    assert stored.startswith(SEALED_PREFIX)
    assert secret not in stored
    with app.state.session_factory() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "accounts.totp_secrets_encrypted")
        ).one()
        assert event.details == {"count": 1}
    done = _sign_in_with_code(app, "dee", pyotp.TOTP(secret).at(clock.now()))
    assert done.status_code == 303


def test_a_legacy_readable_secret_is_sealed_at_first_use(
    app: FastAPI, clock: FixedClock, database_url: str
) -> None:
    """issue 14, item 5: a server that skipped the start-up step still leaves none readable."""
    user = add_user(app, "dee", "dpo")
    secret = pyotp.random_base32(length=32)
    _store_plain(database_url, user.id, secret)

    done = _sign_in_with_code(app, "dee", pyotp.TOTP(secret).at(clock.now()))

    assert done.status_code == 303
    assert str(_stored(database_url, user.id)).startswith(SEALED_PREFIX)
    assert "accounts.totp_secrets_encrypted" in audit_actions(app)


def test_db_upgrade_seals_legacy_secrets_or_says_it_could_not(
    app: FastAPI, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue 14, item 5: `dataward db upgrade` runs the step; without the key it warns."""
    user = add_user(app, "dee", "dpo")
    _store_plain(database_url, user.id, pyotp.random_base32(length=32))
    for name in ("DATAWARD_SECRET_KEY", "DATAWARD_KEK", "DATAWARD_BLIND_INDEX_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATAWARD_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        unsealed = runner.invoke(cli, ["db", "upgrade"])
        assert unsealed.exit_code == 0, (unsealed.output, unsealed.exception)
        assert "1 TOTP secrets are still stored readable" in unsealed.stderr
        assert not str(_stored(database_url, user.id)).startswith(SEALED_PREFIX)

        monkeypatch.setenv("DATAWARD_SECRET_KEY", SECRET_KEY)
        get_settings.cache_clear()
        sealed = runner.invoke(cli, ["db", "upgrade"])
        assert sealed.exit_code == 0, (sealed.output, sealed.exception)
        assert "sealed 1 TOTP secrets" in sealed.stdout
        assert str(_stored(database_url, user.id)).startswith(SEALED_PREFIX)
    finally:
        get_settings.cache_clear()


def test_a_wrong_secret_key_is_a_clear_error_not_a_traceback(
    app: FastAPI, clock: FixedClock, database_url: str, vault: Vault
) -> None:
    """issue 14, item 5: sealed under one DATAWARD_SECRET_KEY, checked under another."""
    _enrol(app, clock, "ada")
    other = console_app(
        database_url, clock, vault, totp_required_roles=["admin"], secret_key="another-key-" * 4
    )
    try:
        answer = _sign_in_with_code(other, "ada", "123456")
    finally:
        other.state.engine.dispose()

    status = answer.status_code
    body = answer.text
    assert status == 500
    assert "The TOTP secret cannot be read" in body
    assert "DATAWARD_SECRET_KEY" in body
    assert "--clear-totp" in body
    assert "Traceback" not in body
    assert "Something went wrong" not in body  # named, not the catch-all
    # `dataward serve` reports it at start, before anyone fails to sign in.
    assert unreadable_totp_secrets(Settings(database_url=database_url, secret_key="x" * 40)) == 1
    assert unreadable_totp_secrets(Settings(database_url=database_url, secret_key=SECRET_KEY)) == 0


def test_a_sealed_secret_copied_to_another_user_does_not_open(
    app: FastAPI, clock: FixedClock, database_url: str
) -> None:
    """issue 14, item 5: a sealed value is bound to its user's row."""
    ada_id, secret = _enrol(app, clock, "ada")
    casey = add_user(app, "casey", "caseworker")
    _store_plain(database_url, casey.id, str(_stored(database_url, ada_id)))
    policy = LoginPolicy.from_settings(Settings(secret_key=SECRET_KEY))

    with UnitOfWork(app.state.session_factory, clock) as uow:
        row = uow.session.get(User, casey.id)
        assert row is not None
        with pytest.raises(TotpSecretUnreadable):
            check_totp(uow, row, policy, pyotp.TOTP(secret).at(clock.now()))


def test_totp_without_a_secret_key_is_refused_and_nothing_is_kept(
    database_url: str, monkeypatch: pytest.MonkeyPatch, uow: UnitOfWork
) -> None:
    """issue 14, item 5: `user create --totp` needs the key it seals under."""
    monkeypatch.delenv("DATAWARD_SECRET_KEY", raising=False)
    monkeypatch.setenv("DATAWARD_DATABASE_URL", database_url)
    for name, value in {
        "DATAWARD_ARGON2_TIME_COST": "1",
        "DATAWARD_ARGON2_MEMORY_KIB": "8",
        "DATAWARD_ARGON2_PARALLELISM": "1",
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        refused = runner.invoke(
            cli, ["user", "create", "dee@acme.example", "--role", "dpo", "--totp"]
        )
        assert isinstance(refused.exception, ConfigurationError)
        assert "TOTP needs DATAWARD_SECRET_KEY" in refused.exception.message
        with pytest.raises(ConfigurationError):
            totp_sealer(Settings(database_url=database_url))

        monkeypatch.setenv("DATAWARD_SECRET_KEY", SECRET_KEY)
        get_settings.cache_clear()
        made = runner.invoke(cli, ["user", "create", "dee@acme.example", "--role", "dpo", "--totp"])
        assert made.exit_code == 0, (made.output, made.exception)
    finally:
        get_settings.cache_clear()
    key = next(line for line in made.stdout.splitlines() if line.startswith("TOTP key: "))
    secret = key.removeprefix("TOTP key: ")
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT totp_secret FROM users WHERE username = 'dee@acme.example'")
            ).all()
    finally:
        engine.dispose()
    assert len(rows) == 1  # the refused attempt left no user behind
    assert rows[0][0].startswith(SEALED_PREFIX)
    assert secret not in rows[0][0]


def _migrated_to_0007(backend: str, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    admin = os.environ["DATAWARD_TEST_DATABASE_URL"]
    with scratch_databases(admin, "dataward_totp") as (url,):
        yield url


@pytest.fixture
def old_database(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database at revision 0007, the last one before TOTP secrets were sealed."""
    for url in _migrated_to_0007(backend, tmp_path):
        upgrade(url, "0007")
        yield url


def test_the_migration_keeps_a_legacy_row_and_the_start_seals_it(old_database: str) -> None:
    """issue 14, item 5: 0009 widens the column with rows in it; the start-up step seals them."""
    secret = pyotp.random_base32(length=32)
    engine = make_engine(old_database)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (id, ref, username, role, password_hash, totp_secret, "
                    "failed_logins, created_at, password_changed_at) VALUES ('u1', 'u_1', "
                    "'old', 'dpo', 'x', :s, 0, :t, :t)"
                ),
                {"s": secret, "t": "2026-11-25 09:30:00+00:00"},
            )
    finally:
        engine.dispose()

    upgrade(old_database, "0009")
    assert _stored(old_database, "u1") == secret  # the migration itself moves no secret
    settings = Settings(database_url=old_database, secret_key=SECRET_KEY)
    assert encrypt_legacy_totp_secrets(settings, actor="system:start") == (1, 0)

    stored = str(_stored(old_database, "u1"))
    assert stored.startswith(SEALED_PREFIX)
    assert len(stored) > 64  # fits only the widened column on PostgreSQL
    sealer = totp_sealer(settings)
    assert sealer.open(stored, "totp:u1") == secret
