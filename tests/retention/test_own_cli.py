"""``dataward retention own`` from a terminal, on the test databases of each backend: the dry
run changes nothing, ``--apply`` sweeps and a second ``--apply`` finds nothing, bad input is
one line and exit code 2 (RET-01..03)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from own_support import at, message, package, request, subject, token, user
from sqlalchemy import func, select
from typer.testing import CliRunner

from dataward.audit.models import AuditEvent
from dataward.cli.app import app
from dataward.config import get_settings
from dataward.crypto.keystore import DataKey
from dataward.crypto.secrets import KeyMaterial, encode_key
from dataward.outbox.models import OutboxMessage
from dataward.uow import UnitOfWork

runner = CliRunner()
AS_OF = "2026-11-25"


@pytest.fixture
def site(
    uow: UnitOfWork,
    database_url: str,
    keystore_url: str,
    key_material: KeyMaterial,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Path]:
    """The commands read the same databases and keys as ``uow``; packages under tmp_path."""
    monkeypatch.setenv("DATAWARD_DATABASE_URL", database_url)
    monkeypatch.setenv("DATAWARD_KEYSTORE_URL", keystore_url)
    monkeypatch.setenv("DATAWARD_KEK", encode_key(key_material.kek))
    monkeypatch.setenv("DATAWARD_KEK_ID", key_material.kek_id)
    monkeypatch.setenv("DATAWARD_BLIND_INDEX_KEY", encode_key(key_material.index_key))
    monkeypatch.setenv("DATAWARD_ACCESS_PACKAGES_DIR", str(tmp_path / "packages"))
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _data(uow: UnitOfWork, tmp_path: Path) -> None:
    settings = get_settings()
    person = subject(uow)
    finished = request(uow, state="responded", last_step=date(2020, 1, 1))
    package(uow, finished, person, settings, expires_at=at(date(2020, 2, 1)))
    for day in range(3):
        message(uow, sent_on=date(2025, 1, 1) + timedelta(days=day))
    token(uow, user(uow), expires=at(date(2026, 1, 1)))
    uow.commit()


def _keys(uow: UnitOfWork) -> int:
    uow.keys.rollback()
    return int(uow.keys.scalar(select(func.count()).select_from(DataKey)) or 0)


def _audit(uow: UnitOfWork) -> int:
    uow.session.rollback()
    return int(uow.session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


# RULES: RET-01
def test_it_prints_the_plan_and_changes_nothing(uow: UnitOfWork, site: Path) -> None:
    _data(uow, site)
    keys, audit = _keys(uow), _audit(uow)
    result = runner.invoke(app, ["retention", "own", "--as-of", AS_OF])
    assert result.exit_code == 0, result.output
    assert "dataward's own data: a dry run" in result.output
    assert (
        "outbox_bodies (90 days, DATAWARD_OWN_OUTBOX_BODY_DAYS): due 3 rows, 0 files; "
        "cutoff 2026-08-27" in result.output
    )
    assert "access_packages (30 days, DATAWARD_OWN_ACCESS_PACKAGE_DAYS): due 1 rows, 2 files" in (
        result.output
    )
    assert (_keys(uow), _audit(uow)) == (keys, audit)
    uow.session.rollback()
    bodies = uow.session.scalars(select(OutboxMessage.sealed))
    assert set(bodies) == {b"sealed body"}


def test_it_prints_the_plan_as_json(uow: UnitOfWork, site: Path) -> None:
    _data(uow, site)
    result = runner.invoke(app, ["retention", "own", "--as-of", AS_OF, "--json"])
    assert result.exit_code == 0, result.output
    kinds = {k["kind"]: k for k in json.loads(result.output)["kinds"]}
    assert kinds["closed_requests"]["rows_due"] == 1
    assert kinds["closed_requests"]["cutoff"] == "2020-11-25"
    assert kinds["api_tokens"]["rows_due"] == 1
    assert kinds["web_sessions"] == {
        "kind": "web_sessions",
        "setting": "DATAWARD_OWN_EXPIRED_CREDENTIAL_DAYS",
        "period": "30 days",
        "cutoff": "2026-10-26T12:00:00+00:00",
        "rows_due": 0,
        "files_due": 0,
        "next_due": None,
    }


# RULES: RET-03
def test_it_sweeps_with_apply_and_a_second_apply_finds_nothing(uow: UnitOfWork, site: Path) -> None:
    _data(uow, site)
    keys = _keys(uow)
    first = runner.invoke(app, ["retention", "own", "--apply", "--as-of", AS_OF, "--json"])
    assert first.exit_code == 0, first.output
    swept = json.loads(first.output)["swept"]
    assert swept["closed_requests"] == {"rows": 1, "files": 0}
    assert swept["access_packages"] == {"rows": 1, "files": 2}
    assert swept["outbox_bodies"] == {"rows": 3, "files": 0}
    assert swept["api_tokens"] == {"rows": 1, "files": 0}
    assert _keys(uow) == keys - 1  # the finished request's key; the subject's stays
    assert not any((site / "packages").rglob("*.sealed"))
    audit = _audit(uow)

    second = runner.invoke(app, ["retention", "own", "--apply", "--as-of", AS_OF])
    assert second.exit_code == 0, second.output
    assert "closed_requests: 0 rows swept, 0 files removed" in second.output
    assert "outbox_bodies: 0 rows swept, 0 files removed" in second.output
    assert (_keys(uow), _audit(uow)) == (keys - 1, audit)


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--as-of", "25/11/2026"], {}, "error [retention_invalid]: --as-of must be a date"),
        (
            ["--apply"],
            {"DATAWARD_OWN_OUTBOX_BODY_DAYS": "0"},
            "error [configuration_invalid]: DATAWARD_OWN_OUTBOX_BODY_DAYS must be a whole "
            "number of days from 1 to 36500",
        ),
    ],
)
def test_it_refuses_bad_input_in_one_line(
    uow: UnitOfWork,
    site: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    env: dict[str, str],
    message: str,
) -> None:
    _data(uow, site)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    audit = _audit(uow)
    result = runner.invoke(app, ["retention", "own", *args])
    assert result.exit_code == 2
    assert message in result.output
    assert "Traceback" not in result.output
    assert _audit(uow) == audit
