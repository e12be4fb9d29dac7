"""``dataward register load`` on SQLite and PostgreSQL: store a register without serving it.

The command finds the database the way ``make run`` does (DATAWARD_DATABASE_URL); each test
points that setting at the backend's test database and reads the result back through the
``uow`` fixture, which also empties the tables afterwards. The time is frozen, so the
stored version's ``loaded_at`` is the date written here.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import structlog
import time_machine
from sqlalchemy import func, select
from typer.testing import CliRunner

from dataward.audit.models import AuditEvent
from dataward.audit.service import verify
from dataward.cli.app import app
from dataward.config import get_settings
from dataward.publication.audit_actions import (
    NOTICE_VERSION_PUBLISHED,
    REGISTER_VERSION_STORED,
)
from dataward.publication.models import NoticeVersionRow, RegisterVersion
from dataward.uow import UnitOfWork

MINIMAL = Path(__file__).resolve().parents[1] / "fixtures" / "loader" / "minimal.yaml"
INVALID = Path(__file__).resolve().parents[1] / "fixtures" / "loader" / "several_problems.yaml"
LOADED_AT = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
DATAWARD = Path(sys.executable).parent / "dataward"

runner = CliRunner()


@pytest.fixture(autouse=True)
def same_database_as_make_run(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("DATAWARD_DATABASE_URL", database_url)
    get_settings.cache_clear()
    logging = structlog.get_config()
    with time_machine.travel(LOADED_AT, tick=False):
        yield
    # The command points the logs at the runner's stderr, which is closed after the test.
    structlog.configure(**logging)
    get_settings.cache_clear()


def load(file: Path) -> tuple[int, str]:
    result = runner.invoke(app, ["register", "load", str(file)])
    return result.exit_code, result.stdout


def count(uow: UnitOfWork, model: type[RegisterVersion | NoticeVersionRow | AuditEvent]) -> int:
    uow.session.expire_all()
    return uow.session.scalar(select(func.count()).select_from(model)) or 0


def actions(uow: UnitOfWork) -> list[tuple[str, str, str]]:
    uow.session.expire_all()
    rows = uow.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))
    return [(r.action, r.entity_id, r.actor) for r in rows]


def test_it_stores_a_new_register_and_its_notice(uow: UnitOfWork) -> None:
    code, output = load(MINIMAL)

    assert code == 0, output
    assert f"{MINIMAL}: valid; " in output  # linted as `register check` does
    assert output.splitlines()[-1] == (
        "Acme (acme): stored register version 1 (new), notice version 1 (new)."
    )
    [row] = uow.session.scalars(select(RegisterVersion)).all()
    assert (row.organisation, row.version) == ("acme", 1)
    assert row.source_text == MINIMAL.read_text(encoding="utf-8")
    assert row.loaded_at.replace(tzinfo=UTC) == LOADED_AT
    assert count(uow, NoticeVersionRow) == 1


def test_it_writes_the_stored_version_to_the_audit_chain(uow: UnitOfWork) -> None:
    assert load(MINIMAL)[0] == 0

    assert actions(uow) == [
        (REGISTER_VERSION_STORED, "acme:1", "cli"),
        (NOTICE_VERSION_PUBLISHED, "acme:1", "cli"),
    ]
    assert verify(uow.session).intact


def test_it_changes_nothing_when_the_same_text_is_loaded_again(uow: UnitOfWork) -> None:
    assert load(MINIMAL)[0] == 0
    events = count(uow, AuditEvent)

    code, output = load(MINIMAL)

    assert code == 0, output
    assert output.splitlines()[-1] == (
        "Acme (acme): unchanged; register version 1 and notice version 1 are already "
        "stored, so nothing changed."
    )
    assert count(uow, RegisterVersion) == 1
    assert count(uow, NoticeVersionRow) == 1
    assert count(uow, AuditEvent) == events


def test_it_stores_a_changed_register_as_the_next_version(uow: UnitOfWork, tmp_path: Path) -> None:
    assert load(MINIMAL)[0] == 0
    changed = tmp_path / "acme.yaml"
    text = MINIMAL.read_text(encoding="utf-8")
    changed.write_text(text.replace("description: Sells things.", "description: Sells kits."))

    code, output = load(changed)

    assert code == 0, output
    assert output.splitlines()[-1] == (
        "Acme (acme): stored register version 2 (new), notice version 2 (new)."
    )
    assert count(uow, RegisterVersion) == 2


def test_it_keeps_the_notice_version_when_only_fact_references_change(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    assert load(MINIMAL)[0] == 0
    changed = tmp_path / "acme.yaml"
    text = MINIMAL.read_text(encoding="utf-8")
    changed.write_text(text.replace("  name: Acme\n", "  name: Acme\n  facts: [controller.c1]\n"))

    code, output = load(changed)

    assert code == 0, output
    assert output.splitlines()[-1] == (
        "Acme (acme): stored register version 2 (new), "
        "notice version 1 (unchanged: the notice reads the same)."
    )


def test_it_stores_nothing_from_an_invalid_register(uow: UnitOfWork) -> None:
    code, output = load(INVALID)

    assert code == 2
    lines = output.splitlines()
    assert lines[0].startswith(f"{INVALID}:27:14: purposes[0].bases[0].basis: ")
    assert lines[-1] == f"{INVALID}: invalid; nothing was stored"
    assert count(uow, RegisterVersion) == 0
    assert count(uow, AuditEvent) == 0


def test_it_reports_an_unreachable_database_without_a_traceback(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the database folder should be")

    result = subprocess.run(
        [str(DATAWARD), "register", "load", str(MINIMAL), "--url", f"sqlite:///{blocked}/x.db"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error [configuration_invalid]: database unreachable")
