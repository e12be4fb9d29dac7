"""``dataward decide`` and ``dataward tps import`` on SQLite files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from consent_support import SHOP_FILE
from typer.testing import CliRunner

from dataward.cli.app import app
from dataward.config import get_settings
from dataward.db import make_engine, make_session_factory
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.uow import UnitOfWork

runner = CliRunner()
DATAWARD = Path(sys.executable).parent / "dataward"


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    get_settings.cache_clear()
    for name in list(os.environ):
        if name.startswith("DATAWARD_"):
            monkeypatch.delenv(name)
    url = f"sqlite:///{tmp_path / 'dataward.db'}"
    invoke("db", "upgrade", "--url", url)
    engine = make_engine(url)
    with UnitOfWork(make_session_factory(engine)) as uow:
        store_register(uow, load_register(SHOP_FILE))
        uow.commit()
    engine.dispose()
    keys = dict(line.split("=", 1) for line in invoke("keys", "generate").splitlines())
    values = {
        "DATAWARD_DATABASE_URL": url,
        "DATAWARD_KEYSTORE_URL": f"sqlite:///{tmp_path / 'keys.db'}",
        **keys,
    }
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    yield {**{k: v for k, v in os.environ.items()}, **values}
    get_settings.cache_clear()


def test_it_decides_a_campaign_list_and_reports_bad_rows(
    env: dict[str, str], tmp_path: Path
) -> None:
    ref = invoke(
        "subject", "add", "--org", "corner_shop", "-g", "customers", "-i", "email=a@example.com"
    ).strip()
    listing = tmp_path / "list.csv"
    listing.write_text(
        f"email,subject_ref,id\na@example.com,,one\n,{ref},two\nnot-an-email,,three\n,,four\n",
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    result = runner.invoke(
        app,
        [
            *("decide", "--org", "corner_shop", "--purpose", "offers", "--channel", "post"),
            *("--file", str(listing), "--out", str(out)),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["line"] for r in rows] == [2, 3, 4, 5]
    assert rows[0]["allow"] is True
    assert rows[0]["subject_ref"] == ref
    assert rows[1]["allow"] is True
    assert rows[2]["error"]["code"] == "identity_invalid"
    assert rows[3]["error"]["code"] == "batch_line_invalid"
    assert "2 allowed, 0 refused, 2 errors" in result.stderr


def test_it_refuses_people_no_subject_is_known_as(env: dict[str, str], tmp_path: Path) -> None:
    # RULES: MKT-04 (post runs on legitimate interests for subjects, not for strangers)
    invoke("subject", "add", "--org", "corner_shop", "-g", "customers", "-i", "email=a@example.com")
    listing = tmp_path / "list.csv"
    listing.write_text("email\na@example.com\nstranger@example.com\n", encoding="utf-8")
    out = invoke(
        *("decide", "--org", "corner_shop", "--purpose", "offers", "--channel", "post"),
        *("--file", str(listing)),
    )
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["line"], r["allow"], r["code"]) for r in rows] == [
        (2, True, "legitimate_interests"),
        (3, False, "no_subject"),
    ]
    assert rows[1]["subject_ref"] is None


def test_it_imports_a_tps_list_and_refuses_a_bad_one(env: dict[str, str], tmp_path: Path) -> None:
    good = tmp_path / "tps.csv"
    good.write_text("number\n07911123456\n02079460018\n", encoding="utf-8")
    assert "2 numbers on the TPS list" in invoke("tps", "import", str(good))
    bad = tmp_path / "bad.csv"
    bad.write_text("07911123456\nhello\n", encoding="utf-8")
    done = subprocess.run(
        [str(DATAWARD), "tps", "import", str(bad), "--list", "ctps"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2
    assert "error [tps_import_invalid]: 1 lines hold no UK phone number (lines 2)" in done.stderr
    assert "Traceback" not in done.stderr


def test_it_refuses_an_unknown_purpose(env: dict[str, str], tmp_path: Path) -> None:
    listing = tmp_path / "list.csv"
    listing.write_text("email\na@example.com\n", encoding="utf-8")
    done = subprocess.run(
        [str(DATAWARD), "decide", "--org", "corner_shop", "--purpose", "x", "--file", str(listing)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2
    assert "error [purpose_unknown]" in done.stderr
