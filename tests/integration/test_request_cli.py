"""``dataward request``: the queue and the recompute from a terminal (issue 16)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dataward.cli.app import app
from dataward.config import get_settings
from dataward.db import make_engine, make_session_factory
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.runtime import open_runtime

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
    get_settings.cache_clear()
    assert runner.invoke(app, ["db", "upgrade", "--url", url]).exit_code == 0
    for line in runner.invoke(app, ["keys", "generate"]).output.splitlines():
        name, _, value = line.partition("=")
        monkeypatch.setenv(name, value)
    engine = make_engine(url)
    from dataward.uow import UnitOfWork

    with UnitOfWork(make_session_factory(engine)) as uow:
        store_register(uow, load_register(SHOP_FILE), actor="test")
        uow.commit()
    engine.dispose()
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_list_shows_no_personal_data_and_recompute_reports(site: Path) -> None:
    with open_runtime() as runtime, runtime.uow() as uow:
        today = uow.clock.today()
        row = open_request(
            uow,
            NewRequest("corner_shop", ["access"], "post", today, Requester(name="Jane Doe")),
            actor="test",
        )
        uow.commit()
        ref = row.ref
    listed = runner.invoke(app, ["request", "list", "--org", "corner_shop"])
    assert listed.exit_code == 0, listed.output
    assert ref in listed.output
    assert "Jane" not in listed.output
    assert "on_time: 1" in listed.output
    bad = runner.invoke(app, ["request", "list", "--due", "soonish"])
    assert bad.exit_code == 2
    done = runner.invoke(app, ["request", "recompute"])
    assert done.exit_code == 0, done.output
    assert "1 open requests checked, 0 moved" in done.output
