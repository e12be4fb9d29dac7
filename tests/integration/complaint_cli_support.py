"""A site for the ``dataward complaint`` and ``dataward hold`` tests: a SQLite database and
key store of its own, the web fixture register (acme_widgets: dataset ``crm``), and a fixed
clock (2026-11-25, 09:30 UTC) in place of the system's."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dataward.cli.app import app
from dataward.clock import FixedClock
from dataward.config import get_settings
from dataward.db import make_engine, make_session_factory
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.uow import UnitOfWork

ACME_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "web" / "registers" / "acme.yaml"
ORG = "acme_widgets"
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
runner = CliRunner()


def make_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith("DATAWARD_"):
            monkeypatch.delenv(name)
    url = f"sqlite:///{tmp_path / 'dataward.db'}"
    monkeypatch.setenv("DATAWARD_DATABASE_URL", url)
    monkeypatch.setenv("DATAWARD_KEYSTORE_URL", f"sqlite:///{tmp_path / 'keys.db'}")
    monkeypatch.setattr("dataward.runtime.SystemClock", lambda: FixedClock(NOW))
    get_settings.cache_clear()
    assert runner.invoke(app, ["db", "upgrade", "--url", url]).exit_code == 0
    for line in runner.invoke(app, ["keys", "generate"]).output.splitlines():
        name, _, value = line.partition("=")
        monkeypatch.setenv(name, value)
    engine = make_engine(url)
    with UnitOfWork(make_session_factory(engine)) as uow:
        store_register(uow, load_register(ACME_FILE), actor="test")
        uow.commit()
    engine.dispose()
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def dataward(*args: str) -> tuple[int, str, str]:
    """Run ``dataward ARGS``: exit code, standard output, standard error."""
    done = runner.invoke(app, list(args))
    assert not isinstance(done.exception, Exception) or isinstance(done.exception, SystemExit), (
        done.exception
    )
    return done.exit_code, done.stdout, done.stderr
