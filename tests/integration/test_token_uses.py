"""Accepted API token uses, rolled up into one audit event per token and route per window.

Refusals stay one event each, written at once (tests/integration/test_accounts_web.py).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event as sql_event
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker
from structlog.testing import capture_logs
from web_support import ORG, add_user, api_token, audit_actions, console_app

from dataward.accounts.models import ApiToken
from dataward.accounts.permissions import Permission
from dataward.accounts.token_uses import TokenUseLedger
from dataward.accounts.tokens import check_token
from dataward.audit.models import AuditEvent
from dataward.audit.service import verify
from dataward.clock import FixedClock
from dataward.crypto.keystore import Vault
from dataward.uow import UnitOfWork

ORGANISATIONS = "/api/v1/organisations"
LINT = f"/api/v1/organisations/{ORG}/lint"


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: Vault, uow: UnitOfWork) -> Iterator[FastAPI]:
    web = console_app(database_url, clock, vault)  # the default window, 10 seconds
    yield web
    web.state.engine.dispose()


def _reader(app: FastAPI) -> str:
    owner = add_user(app, "engine", "dpo")
    return api_token(app, owner, ["registers:read"])


def _get(client: TestClient, path: str, secret: str) -> int:
    return client.get(path, headers={"Authorization": f"Bearer {secret}"}).status_code


def _used(app: FastAPI) -> list[AuditEvent]:
    with app.state.session_factory() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action == "api_token.used")
                .order_by(AuditEvent.seq)
            )
        )


def _token(app: FastAPI) -> ApiToken:
    with app.state.session_factory() as session:
        return session.scalars(select(ApiToken)).one()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def test_it_accepts_a_token_with_one_query_and_writes_nothing(
    app: FastAPI, clock: FixedClock
) -> None:
    secret = _reader(app)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    sql_event.listen(app.state.engine, "before_cursor_execute", seen)
    try:
        with UnitOfWork(app.state.session_factory, clock) as uow:
            checked = check_token(uow, secret, Permission.REGISTERS_READ, "api_organisations")
            pending = list(uow.session.new) + list(uow.session.dirty)
    finally:
        sql_event.remove(app.state.engine, "before_cursor_execute", seen)

    assert checked.error is None
    assert pending == []
    assert [statement.split()[0] for statement in statements] == ["SELECT"]


def test_it_writes_the_uses_of_a_window_as_one_event_once_the_window_passes(
    app: FastAPI, clock: FixedClock
) -> None:
    secret = _reader(app)
    client = TestClient(app)
    first = clock.now()
    for _ in range(3):
        assert _get(client, ORGANISATIONS, secret) == 200
        clock.advance(timedelta(seconds=2))
    assert _used(app) == []

    clock.advance(timedelta(seconds=5))  # 11 s after the first use: the window has passed
    assert _get(client, ORGANISATIONS, secret) == 200

    [event] = _used(app)
    ref = _token(app).ref
    assert (event.actor, event.entity_type, event.entity_id) == (f"token:{ref}", "api_token", ref)
    assert event.details == {
        "route": "api_organisations",
        "count": 3,
        "first_at": _iso(first),
        "last_at": _iso(first + timedelta(seconds=4)),
    }
    assert app.state.token_uses.pending_uses() == 1  # the call that closed the window


def test_it_writes_one_event_per_route(app: FastAPI, clock: FixedClock) -> None:
    secret = _reader(app)
    client = TestClient(app)
    assert _get(client, ORGANISATIONS, secret) == 200
    assert _get(client, LINT, secret) == 200
    assert _get(client, ORGANISATIONS, secret) == 200

    clock.advance(timedelta(seconds=10))
    assert _get(client, ORGANISATIONS, secret) == 200

    counts = {event.details["route"]: event.details["count"] for event in _used(app)}
    assert counts == {"api_organisations": 2, "api_lint": 1}


def test_it_writes_the_pending_uses_when_the_app_shuts_down(app: FastAPI) -> None:
    secret = _reader(app)

    with TestClient(app) as client:
        assert _get(client, ORGANISATIONS, secret) == 200
        assert _get(client, ORGANISATIONS, secret) == 200
        assert _used(app) == []

    [event] = _used(app)
    assert event.details["count"] == 2
    assert app.state.token_uses.pending_uses() == 0


def test_it_logs_a_count_and_still_shuts_down_when_the_last_write_fails(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = _reader(app)
    with capture_logs() as logs, TestClient(app) as client:
        assert _get(client, ORGANISATIONS, secret) == 200
        monkeypatch.setattr("dataward.accounts.token_uses.record_many", _refuse)

    assert _used(app) == []
    [lost] = [entry for entry in logs if entry["event"] == "web.token_uses_lost"]
    assert lost == {
        "event": "web.token_uses_lost",
        "log_level": "error",
        "error": "RuntimeError",
        "uses": 1,
    }


def test_it_sets_last_used_at_when_it_writes_the_uses(app: FastAPI, clock: FixedClock) -> None:
    secret = _reader(app)
    client = TestClient(app)
    assert _get(client, ORGANISATIONS, secret) == 200
    clock.advance(timedelta(seconds=3))
    last = clock.now()
    assert _get(client, ORGANISATIONS, secret) == 200
    assert _token(app).last_used_at is None

    clock.advance(timedelta(seconds=30))
    assert _get(client, ORGANISATIONS, secret) == 200

    assert _token(app).last_used_at == last


def test_it_writes_each_use_at_once_with_a_zero_window(
    database_url: str, clock: FixedClock, vault: Vault, uow: UnitOfWork
) -> None:
    web = console_app(database_url, clock, vault, token_use_window_seconds=0)
    secret = _reader(web)
    client = TestClient(web)

    assert _get(client, ORGANISATIONS, secret) == 200
    assert [event.details["count"] for event in _used(web)] == [1]
    assert _get(client, LINT, secret) == 200

    assert [(e.details["route"], e.details["count"]) for e in _used(web)] == [
        ("api_organisations", 1),
        ("api_lint", 1),
    ]
    assert _token(web).last_used_at == clock.now()
    assert web.state.token_uses.pending_uses() == 0
    web.state.engine.dispose()


def test_it_keeps_the_counts_when_writing_them_fails(
    app: FastAPI, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = _reader(app)
    client = TestClient(app)
    assert _get(client, ORGANISATIONS, secret) == 200
    assert _get(client, ORGANISATIONS, secret) == 200
    clock.advance(timedelta(seconds=10))
    monkeypatch.setattr("dataward.accounts.token_uses.record_many", _refuse)

    with capture_logs() as logs:
        answered = _get(client, ORGANISATIONS, secret)  # due: the write is tried and fails

    assert answered == 200  # the call itself was allowed; only the rollup waits
    assert _used(app) == []
    assert "web.token_uses_not_written" in [entry["event"] for entry in logs]
    assert app.state.token_uses.pending_uses() == 3
    monkeypatch.undo()
    clock.advance(timedelta(seconds=10))
    assert _get(client, ORGANISATIONS, secret) == 200

    assert [event.details["count"] for event in _used(app)] == [3]


def test_it_keeps_the_counts_when_the_transaction_is_not_committed(
    app: FastAPI, clock: FixedClock
) -> None:
    _reader(app)
    token = _token(app)
    ledger = TokenUseLedger(timedelta(seconds=10))
    ledger.note(token.id, token.ref, "api_organisations", clock.now())
    ledger.note(token.id, token.ref, "api_organisations", clock.now())

    with UnitOfWork(app.state.session_factory, clock) as uow:
        assert ledger.flush(uow) == 1
        assert ledger.pending_uses() == 0  # taken, until the transaction ends
    # Left without a commit (as when the commit fails): the events are gone, not the counts.
    assert ledger.pending_uses() == 2
    with UnitOfWork(app.state.session_factory, clock) as uow:
        ledger.flush(uow)
        uow.commit()

    assert [event.details["count"] for event in _used(app)] == [2]
    assert ledger.pending_uses() == 0


def test_it_keeps_the_audit_chain_intact_across_rollups_and_refusals(
    app: FastAPI, clock: FixedClock
) -> None:
    secret = _reader(app)
    client = TestClient(app)
    for _ in range(4):
        assert _get(client, ORGANISATIONS, secret) == 200
        assert _get(client, LINT, secret) == 200
        assert _get(client, ORGANISATIONS, "dw_not_a_token") == 401
        clock.advance(timedelta(seconds=11))  # each round closes the window of the last

    with app.state.session_factory() as session:
        checked = verify(session)
    assert checked.intact
    assert checked.rows == len(audit_actions(app))
    assert len(_used(app)) == 6  # two routes, three closed windows
    assert audit_actions(app).count("api_token.refused") == 4


def test_it_counts_every_use_when_threads_note_and_flush_at_once(
    app: FastAPI, clock: FixedClock
) -> None:
    _reader(app)
    token = _token(app)
    ledger = TokenUseLedger(timedelta(seconds=10))
    factory: sessionmaker[Any] = app.state.session_factory
    failures: list[BaseException] = []

    def caller(route: str) -> None:
        try:
            for index in range(40):
                ledger.note(token.id, token.ref, route, clock.now())
                if index % 10 == 9:
                    with UnitOfWork(factory, clock) as uow:
                        ledger.flush(uow)
                        uow.commit()
        except BaseException as exc:  # reported below: a thread's error is otherwise lost
            failures.append(exc)

    threads = [threading.Thread(target=caller, args=(f"route_{i % 2}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with UnitOfWork(factory, clock) as uow:
        ledger.flush(uow)
        uow.commit()

    assert failures == []
    counts: dict[str, int] = {}
    for event in _used(app):
        counts[event.details["route"]] = (
            counts.get(event.details["route"], 0) + event.details["count"]
        )
    assert counts == {"route_0": 80, "route_1": 80}
    with factory() as session:
        assert verify(session).intact


def _refuse(*_args: Any, **_kwargs: Any) -> int:
    raise RuntimeError("the audit chain is unavailable")
