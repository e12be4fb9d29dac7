"""``dataward request remind`` for cron, and ``recompute`` telling assignees (issue 16).

These run the CLI on a SQLite site of their own with the real clock, so dates are set
relative to today; the reminder rules themselves are tested with a fixed clock on both
backends in ``test_request_reminders.py``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from dataward.accounts.models import User
from dataward.cli.app import app
from dataward.config import get_settings
from dataward.db import make_engine, make_session_factory
from dataward.outbox.models import OutboxMessage
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.requests.errors import RemindersInvalid
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.runtime import open_runtime
from dataward.uow import UnitOfWork

SHOP_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "consent" / "registers" / "shop.yaml"
runner = CliRunner()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in list(os.environ):
        if name.startswith("DATAWARD_"):
            monkeypatch.delenv(name)
    url = f"sqlite:///{tmp_path / 'dataward.db'}"
    monkeypatch.setenv("DATAWARD_DATABASE_URL", url)
    monkeypatch.setenv("DATAWARD_KEYSTORE_URL", f"sqlite:///{tmp_path / 'keys.db'}")
    monkeypatch.setenv("DATAWARD_EML_DIR", str(tmp_path / "mail"))
    get_settings.cache_clear()
    assert runner.invoke(app, ["db", "upgrade", "--url", url]).exit_code == 0
    for line in runner.invoke(app, ["keys", "generate"]).output.splitlines():
        name, _, value = line.partition("=")
        monkeypatch.setenv(name, value)
    engine = make_engine(url)
    with UnitOfWork(make_session_factory(engine)) as uow:
        store_register(uow, load_register(SHOP_FILE), actor="test")
        now = uow.clock.now()
        uow.session.add(
            User(
                id=str(uuid.uuid4()),
                ref="u_dpo",
                username="dpo@shop.example",
                role="dpo",
                password_hash="x",
                created_at=now,
                password_changed_at=now,
            )
        )
        uow.commit()
    engine.dispose()
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _open(days_ago: int) -> str:
    with open_runtime() as runtime, runtime.uow() as uow:
        received = uow.clock.today() - timedelta(days=days_ago)
        row = open_request(
            uow,
            NewRequest("corner_shop", ["access"], "post", received, Requester(name="Jane Doe")),
            actor="test",
        )
        uow.commit()
        return row.ref


def _messages(kind: str) -> int:
    with open_runtime() as runtime, runtime.uow() as uow:
        query = select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == kind)
        return int(uow.session.scalar(query) or 0)


def test_remind_sends_the_days_reminders_and_digest_once(site: Path) -> None:
    _open(days_ago=45)  # well past its month: overdue
    first = runner.invoke(app, ["request", "remind"])
    assert first.exit_code == 0, first.output
    assert "overdue: 1" in first.output
    assert "1 reminders (0 with nobody to tell), 1 digests" in first.output
    again = runner.invoke(app, ["request", "remind"])
    assert again.exit_code == 0, again.output
    assert "0 reminders (0 with nobody to tell), 0 digests" in again.output
    assert (_messages("request_reminder"), _messages("request_digest")) == (1, 1)


def test_remind_refuses_a_day_that_is_not_a_date_or_is_after_today(site: Path) -> None:
    _open(days_ago=45)
    for value, words in (("tomorrowish", "must be a date"), ("2999-01-01", "after today")):
        result = runner.invoke(app, ["request", "remind", "--as-of", value])
        assert isinstance(result.exception, RemindersInvalid)
        assert words in result.exception.message
        assert result.exception.code == "request_reminders_invalid"
    assert _messages("request_reminder") == 0


def test_remind_as_of_an_earlier_day(site: Path) -> None:
    _open(days_ago=45)
    with open_runtime() as runtime, runtime.reader() as uow:
        # 40 days before today the request was 5 days old: nothing due yet.
        earlier = (uow.clock.today() - timedelta(days=40)).isoformat()
    result = runner.invoke(app, ["request", "remind", "--as-of", earlier])
    assert result.exit_code == 0, result.output
    assert "0 reminders" in result.output


def test_recompute_reports_who_was_told_and_quiet_tells_nobody(site: Path) -> None:
    _open(days_ago=3)
    told = runner.invoke(app, ["request", "recompute"])
    assert told.exit_code == 0, told.output
    assert "1 open requests checked, 0 moved" in told.output
    assert "0 told, 0 with nobody to tell" in told.output
    quiet = runner.invoke(app, ["request", "recompute", "--quiet"])
    assert quiet.exit_code == 0, quiet.output
    assert "told" not in quiet.output
