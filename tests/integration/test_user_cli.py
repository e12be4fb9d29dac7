"""``dataward user`` and ``dataward token`` end to end, on a SQLite file."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from typer.testing import CliRunner

from dataward.accounts.models import User
from dataward.accounts.passwords import Passwords
from dataward.cli.app import app
from dataward.config import Settings, get_settings
from dataward.migrate import upgrade

DATAWARD = Path(sys.executable).parent / "dataward"
runner = CliRunner()
CHEAP = {
    "DATAWARD_ARGON2_TIME_COST": "1",
    "DATAWARD_ARGON2_MEMORY_KIB": "8",
    "DATAWARD_ARGON2_PARALLELISM": "1",
}


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    url = f"sqlite:///{tmp_path / 'dataward.db'}"
    upgrade(url)
    # TOTP secrets are sealed under the secret key (issue 14, item 5).
    values = {"DATAWARD_DATABASE_URL": url, "DATAWARD_SECRET_KEY": "test-secret-key", **CHEAP}
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    yield values
    get_settings.cache_clear()


def _scalar(env: dict[str, str], sql: str) -> object:
    engine = create_engine(env["DATAWARD_DATABASE_URL"])
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()


def _user(env: dict[str, str], username: str) -> User:
    from sqlalchemy.orm import Session

    engine = create_engine(env["DATAWARD_DATABASE_URL"])
    try:
        with Session(engine) as session:
            return session.scalars(select(User).where(User.username == username)).one()
    finally:
        engine.dispose()


def test_it_creates_a_user_and_prints_the_password_once(env: dict[str, str]) -> None:
    result = runner.invoke(app, ["user", "create", "dee@acme.example", "--role", "dpo", "--totp"])

    assert result.exit_code == 0, result.output
    password = result.output.split("password: ")[1].split()[0]
    assert "TOTP key: " in result.output
    user = _user(env, "dee@acme.example")
    assert user.role == "dpo"
    assert password not in user.password_hash
    assert Passwords(Settings(**{"argon2_time_cost": 1})).verify(user.password_hash, password)
    assert user.totp_secret is not None


def test_it_disables_enables_and_resets_a_user(env: dict[str, str]) -> None:
    runner.invoke(app, ["user", "create", "casey", "--role", "caseworker"])
    first = _user(env, "casey").password_hash

    assert runner.invoke(app, ["user", "disable", "casey"]).exit_code == 0
    assert _user(env, "casey").disabled_at is not None
    assert runner.invoke(app, ["user", "enable", "casey"]).exit_code == 0
    assert _user(env, "casey").disabled_at is None
    reset = runner.invoke(app, ["user", "reset", "casey"])

    assert reset.exit_code == 0
    assert "password: " in reset.output
    assert _user(env, "casey").password_hash != first
    actions = _scalar(env, "SELECT count(*) FROM audit_events WHERE entity_type = 'user'")
    assert actions == 4  # created, disabled, enabled, password reset


def test_it_creates_lists_and_revokes_a_token(env: dict[str, str]) -> None:
    runner.invoke(app, ["user", "create", "engine", "--role", "dpo"])

    made = runner.invoke(
        app, ["token", "create", "crm sync", "--user", "engine", "--scope", "subjects:read"]
    )

    assert made.exit_code == 0, made.output
    secret = next(line for line in made.output.splitlines() if line.startswith("dw_"))
    assert _scalar(env, "SELECT count(*) FROM api_tokens") == 1
    assert secret[:10] == _scalar(env, "SELECT prefix FROM api_tokens")
    ref = str(_scalar(env, "SELECT ref FROM api_tokens"))
    assert ref in runner.invoke(app, ["token", "list"]).output
    assert runner.invoke(app, ["token", "revoke", ref]).exit_code == 0
    assert _scalar(env, "SELECT revoked_at IS NOT NULL FROM api_tokens") == 1


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["user", "create", "x y", "--role", "dpo"], "input_invalid"),
        (["user", "create", "someone", "--role", "king"], "input_invalid"),
        (["user", "disable", "nobody"], "user_not_found"),
        (["token", "create", "t", "--user", "nobody", "--scope", "audit:read"], "user_not_found"),
    ],
)
def test_it_refuses_bad_input_with_a_code_and_writes_nothing(
    env: dict[str, str], args: list[str], code: str
) -> None:
    import os

    result = subprocess.run(
        [str(DATAWARD), *args], env={**os.environ, **env}, capture_output=True, text=True
    )

    assert result.returncode == 2
    assert f"[{code}]" in result.stderr
    assert "Traceback" not in result.stderr
    assert _scalar(env, "SELECT count(*) FROM users") == 0
    assert _scalar(env, "SELECT count(*) FROM audit_events") == 0


@pytest.mark.parametrize("columns", ["40", "60", "200"])
def test_token_list_prints_whole_refs_in_a_narrow_terminal(
    env: dict[str, str], columns: str
) -> None:
    """Issue 15, item 7: a ref from `token list` pastes into `token revoke` as it is."""
    runner.invoke(app, ["user", "create", "engine.with.a.long.name@acme.example", "--role", "dpo"])
    runner.invoke(
        app,
        [
            "token",
            "create",
            "a token with a rather long name for the crm sync",
            "--user",
            "engine.with.a.long.name@acme.example",
            "--scope",
            "subjects:read",
            "--scope",
            "decisions:read",
        ],
    )
    ref = str(_scalar(env, "SELECT ref FROM api_tokens"))
    user_ref = str(_scalar(env, "SELECT ref FROM users"))

    listed = runner.invoke(app, ["token", "list"], env={"COLUMNS": columns})
    users = runner.invoke(app, ["user", "list"], env={"COLUMNS": columns})

    assert listed.exit_code == 0, listed.output
    assert ref in listed.output
    assert user_ref in users.output
    assert runner.invoke(app, ["token", "revoke", ref]).exit_code == 0


def test_user_create_defaults_to_the_least_privilege(env: dict[str, str]) -> None:
    """Issue 15, item 4: without --role a new user is an auditor, never an admin."""
    result = runner.invoke(app, ["user", "create", "newcomer"])

    assert result.exit_code == 0, result.output
    assert "created newcomer (auditor)" in result.output
    assert _user(env, "newcomer").role == "auditor"


def test_user_disable_refuses_the_last_active_admin(env: dict[str, str]) -> None:
    """Issue 15, item 4: dataward always keeps an administrator who can sign in."""
    import os

    runner.invoke(app, ["user", "create", "boss", "--role", "admin"])

    result = subprocess.run(
        [str(DATAWARD), "user", "disable", "boss"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )

    assert result.returncode != 0
    assert "[last_admin]" in result.stderr
    assert "last active administrator" in result.stderr
    assert "Traceback" not in result.stderr
    assert _user(env, "boss").disabled_at is None
    runner.invoke(app, ["user", "create", "second", "--role", "admin"])
    assert runner.invoke(app, ["user", "disable", "boss"]).exit_code == 0
