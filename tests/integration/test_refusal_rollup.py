"""Refusals rolled up per client and window, and a flooding client throttled.

Issue 14, item 6: 1,000 anonymous requests with made-up tokens wrote 1,000 permanent chain
rows. Now the first refusal of a kind from a client in a window is written at once, the
rest are counted and written as one event when the window closes (or at shutdown), the
client is named only by a keyed digest, and past DATAWARD_REFUSALS_PER_CLIENT refusals the
client is answered 429 without any database work.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import ORG, add_user, api_token, console_app, session_cookie

from dataward.accounts.refusals import Refusal
from dataward.audit.models import AuditEvent
from dataward.audit.service import verify
from dataward.clock import FixedClock
from dataward.crypto.keystore import Vault
from dataward.uow import UnitOfWork
from dataward.web.auth import SESSION_COOKIE

ORGANISATIONS = "/api/v1/organisations"
ATTACKER = "198.51.100.7"
OTHER = "192.0.2.44"
LIMIT = 100


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: Vault, uow: UnitOfWork) -> Iterator[FastAPI]:
    web = console_app(
        database_url, clock, vault, refusal_window_seconds=60, refusals_per_client=LIMIT
    )
    yield web
    web.state.engine.dispose()


def _from(app: FastAPI, address: str) -> TestClient:
    return TestClient(app, client=(address, 40000))


def _forged(client: TestClient, n: int = 0) -> Any:
    return client.get(ORGANISATIONS, headers={"Authorization": f"Bearer dw_made_up_{n}"})


def _rows(app: FastAPI) -> list[AuditEvent]:
    with app.state.session_factory() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def _refusals(app: FastAPI) -> list[AuditEvent]:
    kinds = ("api_token.refused", "access.throttled", "access.refused", "portal.link_refused")
    return [row for row in _rows(app) if row.action in kinds]


def _total(rows: list[AuditEvent]) -> int:
    return sum(int(row.details["count"]) for row in rows)


def test_a_thousand_refused_requests_write_a_bounded_number_of_rows(
    app: FastAPI, clock: FixedClock
) -> None:
    """Issue 14, item 6: 1,000 made-up tokens, a handful of rows, every refusal counted."""
    client = _from(app, ATTACKER)

    statuses = [_forged(client, n).status_code for n in range(1000)]
    during = _refusals(app)
    clock.advance(timedelta(seconds=61))
    assert _forged(_from(app, OTHER)).status_code == 401

    assert statuses[:LIMIT] == [401] * LIMIT
    assert statuses[LIMIT:] == [429] * (1000 - LIMIT)
    assert len(during) == 1  # only the first, at once
    rows = [r for r in _refusals(app) if r.details["client"] == during[0].details["client"]]
    assert len(rows) <= 3
    assert _total(rows) == 1000
    assert sorted((r.action, r.details["count"]) for r in rows) == [
        ("access.throttled", 1000 - LIMIT),
        ("api_token.refused", 1),
        ("api_token.refused", LIMIT - 1),
    ]
    rollup = next(r for r in rows if r.details["count"] == LIMIT - 1)
    assert rollup.details["reason"] == "unknown"
    assert rollup.details["route"] == "api_organisations"
    assert (
        rollup.details["first_at"]
        == rollup.details["last_at"]
        == "2026-11-25T09:30:00.000000+00:00"
    )


def test_the_address_is_never_in_the_chain(app: FastAPI, clock: FixedClock) -> None:
    """Issue 14, item 6: the chain's rows cannot be erased; an address is personal data."""
    client = _from(app, ATTACKER)
    for n in range(LIMIT + 20):
        _forged(client, n)
    client.post("/api/v1/subjects/search", json={})  # no token: login required
    with client:  # shutdown writes the counts
        pass

    digest = _refusals(app)[0].details["client"]
    assert len(str(digest)) == 16
    for row in _rows(app):
        text = json.dumps([row.actor, row.entity_id, row.details])
        assert ATTACKER not in text
        assert "198.51.100" not in text


def test_a_second_clients_first_refusal_is_still_written_at_once(app: FastAPI) -> None:
    """Issue 14, item 6: a flood from one client hides no one else's refusal."""
    attacker = _from(app, ATTACKER)
    for n in range(LIMIT + 5):
        _forged(attacker, n)
    before = len(_refusals(app))

    other = _forged(_from(app, OTHER))

    assert other.status_code == 401
    after = _refusals(app)
    assert len(after) == before + 1
    assert after[-1].action == "api_token.refused"
    assert after[-1].details["client"] != after[0].details["client"]


def test_the_429_comes_after_the_limit_without_the_database(app: FastAPI) -> None:
    """Issue 14, item 6: a throttled client costs no query, no body read, only a count."""
    client = _from(app, ATTACKER)
    for n in range(LIMIT):
        assert _forged(client, n).status_code == 401

    def no_database(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("a throttled request touched the database")

    app.state.session_factory = no_database
    throttled = _forged(client)
    page = client.get("/console")

    assert throttled.status_code == 429
    assert throttled.headers["content-type"] == "application/problem+json"
    assert throttled.json()["code"] == "too_many_requests"
    assert throttled.headers["retry-after"] == "60"
    assert page.status_code == 429
    assert page.headers["retry-after"] == "60"


def test_a_throttled_client_is_served_again_when_its_window_has_passed(
    app: FastAPI, clock: FixedClock
) -> None:
    """Issue 14, item 6: the throttle is per window, not a ban."""
    client = _from(app, ATTACKER)
    for n in range(LIMIT):
        _forged(client, n)
    clock.advance(timedelta(seconds=30))
    assert _forged(client).headers["retry-after"] == "30"

    clock.advance(timedelta(seconds=30))

    assert _forged(client).status_code == 401


def test_the_api_without_a_token_is_a_refusal_rolled_up_like_the_others(
    app: FastAPI, clock: FixedClock
) -> None:
    """Issue 14, item 6: login required on the API is audited, once per client and window."""
    client = _from(app, ATTACKER)
    for _ in range(10):
        assert client.get(ORGANISATIONS).status_code == 401
    assert len(_refusals(app)) == 1
    clock.advance(timedelta(minutes=1))
    with client:
        pass

    rows = _refusals(app)
    assert [(r.action, r.details["reason"], r.details["count"]) for r in rows] == [
        ("access.refused", "login_required", 1),
        ("access.refused", "login_required", 9),
    ]
    assert rows[0].details["needed"] == "registers:read"


def test_bad_preferences_links_are_rolled_up(app: FastAPI, clock: FixedClock) -> None:
    """Issue 14, item 6: bad links are refusals too; each kind of refusal counts apart."""
    client = _from(app, ATTACKER)
    for n in range(30):
        assert client.get(f"/preferences/forged.{n}").status_code == 404
    _forged(client)
    clock.advance(timedelta(minutes=2))
    _forged(_from(app, OTHER))  # a refusal written at once writes the closed window too

    links = [r for r in _refusals(app) if r.action == "portal.link_refused"]
    assert [r.details["count"] for r in links] == [1, 29]
    tokens = [r for r in _refusals(app) if r.action == "api_token.refused"]
    assert len(tokens) == 2  # the attacker's and the other client's first


def test_the_chain_stays_intact_with_rollups(app: FastAPI, clock: FixedClock) -> None:
    """Issue 14, item 6: rolled-up events are ordinary links of the chain."""
    reader = api_token(app, add_user(app, "engine", "dpo"), ["registers:read"])
    client = _from(app, ATTACKER)
    for round_ in range(3):
        for n in range(5):
            _forged(client, n)
        assert client.get(ORGANISATIONS, headers={"Authorization": f"Bearer {reader}"}).is_success
        clock.advance(timedelta(seconds=61 + round_))
    with client:
        pass

    with app.state.session_factory() as session:
        checked = verify(session)
    assert checked.intact
    assert _total([r for r in _refusals(app) if r.action == "api_token.refused"]) == 15


def test_a_zero_window_writes_each_refusal_at_once_and_throttles_no_one(
    database_url: str, clock: FixedClock, vault: Vault, uow: UnitOfWork
) -> None:
    """Issue 14, item 6: DATAWARD_REFUSAL_WINDOW_SECONDS=0 keeps one event per refusal."""
    web = console_app(database_url, clock, vault, refusal_window_seconds=0)
    try:
        client = _from(web, ATTACKER)
        statuses = {_forged(client, n).status_code for n in range(LIMIT + 5)}
        rows = _refusals(web)
        assert statuses == {401}
        assert len(rows) == LIMIT + 5
        assert {r.details["count"] for r in rows} == {1}
    finally:
        web.state.engine.dispose()


def test_the_organisation_is_still_served_to_a_good_token(app: FastAPI) -> None:
    """Issue 14, item 6: another client's flood does not throttle an honest one."""
    reader = api_token(app, add_user(app, "engine", "dpo"), ["registers:read"])
    attacker = _from(app, ATTACKER)
    for n in range(LIMIT + 1):
        _forged(attacker, n)

    served = _from(app, OTHER).get(ORGANISATIONS, headers={"Authorization": f"Bearer {reader}"})

    assert served.status_code == 200
    assert ORG in served.text


def test_counts_taken_by_a_flush_that_is_not_committed_are_kept(
    app: FastAPI, clock: FixedClock
) -> None:
    """Issue 14, item 6: a failed write loses no refusal (the counts are put back)."""
    ledger = app.state.refusals.ledger
    refusal = Refusal.of("api_token.refused", "token:unknown", "0123456789abcdef", {"route": "r"})
    for _ in range(4):
        ledger.note(refusal, clock.now())

    with UnitOfWork(app.state.session_factory, clock) as uow:
        assert ledger.flush(uow) == 1  # rolled back: never committed
    assert ledger.pending_refusals() == 3

    with UnitOfWork(app.state.session_factory, clock) as uow:
        ledger.flush(uow)
        uow.commit()
    assert ledger.pending_refusals() == 0
    assert [r.details["count"] for r in _refusals(app)] == [3]


def test_csrf_and_access_refusals_are_rolled_up_per_user_and_client(
    app: FastAPI, clock: FixedClock
) -> None:
    """Issue 14, item 6: CSRF refused and access refused, like every other refusal."""
    admin = _from(app, ATTACKER)
    admin.cookies.set(SESSION_COOKIE, session_cookie(app, add_user(app, "boss", "admin")))
    casey = _from(app, OTHER)
    casey.cookies.set(SESSION_COOKIE, session_cookie(app, add_user(app, "casey", "caseworker")))

    for n in range(5):
        forged = admin.post("/console/users", data={"username": f"x{n}", "csrf_token": "1.abc"})
        assert forged.status_code == 403
        assert casey.get("/console/users").status_code == 403
    clock.advance(timedelta(minutes=1))
    with admin:
        pass

    counts = [
        (r.action, r.details["count"])
        for r in _rows(app)
        if r.action in ("security.csrf_refused", "access.refused")
    ]
    assert sorted(counts) == [
        ("access.refused", 1),
        ("access.refused", 4),
        ("security.csrf_refused", 1),
        ("security.csrf_refused", 4),
    ]
