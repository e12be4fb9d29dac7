"""Notice versions on the real database (SQLite and PostgreSQL), the stored diff, the pages."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit"))
from notice_variants import add_recipient, longer_retention, reword, variant
from web_support import signed_in, web_settings

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.db import Base
from dataward.models import import_all_models
from dataward.publication.errors import NoticeVersionNotFound
from dataward.publication.models import NoticeChange, NoticeVersionRow
from dataward.publication.notices import (
    diff_versions,
    get_notice_version,
    list_notice_versions,
    pending_changes,
)
from dataward.publication.registers import store_register
from dataward.uow import UnitOfWork
from dataward.web.app import create_app

DATAWARD = Path(sys.executable).parent / "dataward"


def _store(uow: UnitOfWork, *edits) -> None:  # type: ignore[no-untyped-def]
    store_register(uow, variant(*edits))
    uow.commit()


def _actions(uow: UnitOfWork) -> list[str]:
    return list(uow.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_it_publishes_version_1_with_the_first_register(uow: UnitOfWork, clock: FixedClock) -> None:
    _store(uow)

    [row] = list_notice_versions(uow, "acme")
    assert (row.version, row.register_version, row.declared_id) == (1, 1, "1")
    assert row.summary == "Notice first published by dataward"
    assert row.published_at == clock.now()
    assert len(row.content_hash) == 64
    assert _actions(uow) == ["register.version_stored", "notice.version_published"]


def test_a_changed_register_makes_a_new_version_and_keeps_the_old(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    _store(uow)
    clock.advance(timedelta(days=3))

    _store(uow, reword)

    rows = list_notice_versions(uow, "acme")
    assert [(r.version, r.register_version) for r in rows] == [(2, 2), (1, 1)]
    assert rows[0].summary == "1 change, none significant"
    assert rows[0].published_at == clock.now()
    assert rows[0].content_hash != rows[1].content_hash
    assert pending_changes(uow) == []  # nothing significant: nothing to send


def test_loading_the_same_notice_again_keeps_the_version(uow: UnitOfWork) -> None:
    _store(uow)
    _store(uow)

    assert [r.version for r in list_notice_versions(uow, "acme")] == [1]
    assert _actions(uow).count("notice.version_published") == 1


def test_it_records_significant_changes_for_the_notification_run(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    _store(uow)
    clock.advance(timedelta(days=1))

    _store(uow, add_recipient, longer_retention)

    [change] = pending_changes(uow, "acme")
    assert (change.from_version, change.to_version) == (1, 2)
    assert change.notified_at is None
    assert change.recorded_at == clock.now()
    assert change.summary == "2 changes, 2 significant (new recipient, longer retention)"
    assert [(c["item"], c["reasons"]) for c in change.significant] == [
        ("Mail house", ["new_recipient"]),
        ("keep", ["longer_retention"]),
    ]
    assert _actions(uow)[-1] == "notice.significant_change_recorded"


def test_nothing_is_kept_when_the_unit_of_work_is_not_committed(
    uow: UnitOfWork,
    session_factory,
    clock: FixedClock,  # type: ignore[no-untyped-def]
) -> None:
    _store(uow)
    with UnitOfWork(session_factory, clock) as abandoned:
        store_register(abandoned, variant(add_recipient))

    assert uow.session.scalar(select(func.count()).select_from(NoticeVersionRow)) == 1
    assert uow.session.scalar(select(func.count()).select_from(NoticeChange)) == 0


def test_it_diffs_two_stored_versions(uow: UnitOfWork) -> None:
    _store(uow)
    _store(uow, add_recipient)

    result = diff_versions(uow, "acme", 1, 2)

    assert [c.item for c in result.significant] == ["Mail house"]


def test_a_version_that_does_not_exist_is_a_clear_error(uow: UnitOfWork) -> None:
    _store(uow)

    with pytest.raises(NoticeVersionNotFound) as caught:
        get_notice_version(uow, "acme", 7)

    assert caught.value.code == "notice_version_not_found"
    assert caught.value.message == "organisation 'acme' has no notice version 7"
    assert caught.value.details == ["versions: 1"]


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATAWARD_DATABASE_URL": database_url}
    return subprocess.run(
        [str(DATAWARD), "notice", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


def test_the_cli_diffs_stored_versions_with_exit_codes(uow: UnitOfWork, database_url: str) -> None:
    _store(uow)
    _store(uow, reword)
    _store(uow, reword, add_recipient)

    minor = _cli(database_url, "diff", "--org", "acme", "--from", "1", "--to", "2")
    major = _cli(database_url, "diff", "--org", "acme", "--from", "2", "--to", "3")
    missing = _cli(database_url, "diff", "--org", "acme", "--from", "1", "--to", "9")
    listed = _cli(database_url, "versions", "--org", "acme")

    assert minor.returncode == 0, minor.stderr
    assert minor.stdout.splitlines()[1] == "1 change, none significant"
    assert major.returncode == 1, major.stderr
    assert "  ! Added: Mail house  [significant: new recipient]" in major.stdout
    assert missing.returncode == 2
    assert missing.stderr.splitlines() == [
        "error [notice_version_not_found]: organisation 'acme' has no notice version 9",
        "versions: 1, 2, 3",
    ]
    assert [line.split("\t")[0] for line in listed.stdout.splitlines()] == ["3", "2", "1"]


# Pages


@pytest.fixture
def web(database_url: str, clock: FixedClock) -> Iterator[FastAPI]:
    import_all_models()
    app = create_app(web_settings(database_url, Path("examples")), clock)
    with UnitOfWork(app.state.session_factory, clock) as uow:
        store_register(uow, variant())
        uow.commit()
    clock.advance(timedelta(days=2))
    with UnitOfWork(app.state.session_factory, clock) as uow:
        store_register(uow, variant(add_recipient))
        uow.commit()
    yield app
    with app.state.session_factory() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
        session.commit()
    app.state.engine.dispose()


def test_the_served_notice_shows_its_version_date_and_history(web: FastAPI) -> None:
    with TestClient(web) as client:
        page = client.get("/orgs/acme/notice")
        history = client.get("/orgs/acme/notice/versions")
        earlier = client.get("/orgs/acme/notice/versions/1")
        missing = client.get("/orgs/acme/notice/versions/5")

    assert page.status_code == 200
    assert "Published as notice version 2 on 27 November 2026." in page.text
    assert 'href="/orgs/acme/notice/versions"' in page.text
    assert history.status_code == 200
    assert "2 changes" not in history.text
    assert "1 change, 1 significant (new recipient)" in history.text
    assert earlier.status_code == 200
    assert "This is an earlier version of the notice" in earlier.text
    assert "Mail house" not in earlier.text
    assert "Mail house" in page.text
    assert missing.status_code == 404
    assert "has no notice version 5" in missing.text


def test_the_console_shows_the_diff_to_staff_only(web: FastAPI) -> None:
    with TestClient(web, follow_redirects=False) as anonymous:
        refused = anonymous.get("/orgs/acme/notice/diff")
    with signed_in(web, "dpo@acme.example", "dpo") as staff:
        page = staff.get("/orgs/acme/notice/diff?from=1&to=2")

    assert refused.status_code in {302, 303, 401, 403}
    assert page.status_code == 200
    assert "1 change, 1 significant (new recipient)" in page.text
    assert "change--significant" in page.text
    # Issue 14, item 9: the page says what was really sent; no campaign, nothing sent.
    assert "nothing has been sent to subjects" in page.text
    assert "subjects were told" not in page.text
