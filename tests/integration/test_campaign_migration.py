"""Issue 14, item 9: upgrading to 0010, a campaign still queueing (no person ever decided
to send it) becomes a draft and its unsent messages are held; a campaign that had queued
everything stays as it was. On SQLite and PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

from dataward.db import make_engine
from dataward.migrate import upgrade
from dataward.scratch import scratch_databases

NOW = "2026-11-25 09:30:00+00:00"


@contextmanager
def _fresh(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'old.db'}"
        return
    with scratch_databases(os.environ["DATAWARD_TEST_DATABASE_URL"], "dataward_0010") as (url,):
        yield url


def _campaign(conn: sa.Connection, campaign_id: str, status: str, queued: int) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO notice_campaigns (id, organisation, from_version, to_version, summary,"
            " groups, notice_url, status, cursor, subjects_total, subjects_seen,"
            " messages_queued, without_email, created_by, created_at)"
            " VALUES (:id, 'acme', :v, :w, 's', '[]', 'http://x', :status, '', 3, 0, :q, 0,"
            " 'notice-change', :now)"
        ),
        {"id": campaign_id, "v": queued, "w": queued + 1, "status": status, "q": queued,
         "now": NOW},
    )  # fmt: skip


def _message(conn: sa.Connection, message_id: str, campaign_id: str, status: str) -> None:
    conn.execute(
        sa.text(
            "INSERT INTO outbox_messages (id, organisation, kind, key_id, message_id, sealed,"
            " status, campaign_id, created_at)"
            " VALUES (:id, 'acme', 'notice_change', 'k', :mid, :sealed, :status, :c, :now)"
        ),
        {"id": message_id, "mid": f"<{message_id}@x>", "sealed": b"x", "status": status,
         "c": campaign_id, "now": NOW},
    )  # fmt: skip


def test_a_campaign_still_queueing_becomes_a_draft_with_its_messages_held(
    backend: str, tmp_path: Path
) -> None:
    with _fresh(backend, tmp_path) as url:
        upgrade(url, "0007")
        engine = make_engine(url)
        try:
            with engine.begin() as conn:
                _campaign(conn, "running", "queueing", 1)
                _message(conn, "m-sent", "running", "sent")
                _message(conn, "m-waiting", "running", "queued")
                _campaign(conn, "finished", "queued", 2)
                _message(conn, "m-other", "finished", "queued")
            upgrade(url, "0010")
            with engine.connect() as conn:
                campaigns = dict(
                    conn.execute(sa.text("SELECT id, status FROM notice_campaigns")).all()
                )
                messages = dict(
                    conn.execute(sa.text("SELECT id, status FROM outbox_messages")).all()
                )
                generation = conn.execute(
                    sa.text("SELECT generation FROM notice_campaigns WHERE id = 'running'")
                ).scalar_one()
        finally:
            engine.dispose()
    assert campaigns == {"running": "draft", "finished": "queued"}
    assert messages == {"m-sent": "sent", "m-waiting": "held", "m-other": "queued"}
    assert generation == 0  # a batch job left from before the upgrade does nothing
