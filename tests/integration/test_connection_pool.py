"""The connection pool: sized for the web server's threads, pinging only idle connections.

The pings concern database servers (a restart kills pooled connections), so these tests
run against the PostgreSQL server the suite uses; SQLite has nothing to ping.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from dataward import db
from dataward.db import POOL_SIZE, make_engine


@pytest.fixture
def server() -> Iterator[Engine]:
    url = os.environ.get("DATAWARD_TEST_DATABASE_URL")
    if not url:
        pytest.fail("DATAWARD_TEST_DATABASE_URL is not set: run the suite with `make test`")
    engine = make_engine(url)
    yield engine
    engine.dispose()


def _pid(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _count_pings(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    pings: list[int] = []
    real = engine.dialect.do_ping

    def counting(dbapi_connection: Any) -> bool:
        pings.append(1)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counting)
    return pings


def test_a_connection_handed_back_a_moment_ago_is_not_pinged(
    server: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _pid(server)
    pings = _count_pings(server, monkeypatch)
    assert _pid(server) == first
    assert pings == []
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert _pid(server) == first
    assert pings == [1]
    assert server.pool.size() == POOL_SIZE  # type: ignore[attr-defined]


def test_a_connection_killed_while_idle_is_replaced_before_use(
    server: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = _pid(server)
    # A database restart, as the pool sees it: its idle connection is terminated.
    other = make_engine(server.url.render_as_string(hide_password=False))
    with other.connect() as admin:
        admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        admin.commit()
    other.dispose()
    monkeypatch.setattr(db, "PING_AFTER_IDLE_SECONDS", 0.0)
    assert _pid(server) != first
