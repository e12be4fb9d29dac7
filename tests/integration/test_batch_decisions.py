"""Batch decisions that answer every line and every kind of client (issue 14, item 7).

A line that breaks the parser or the lookup is answered with its error and the rest carry
on; a client that writes its whole body before it reads gets its answers (the body is read
first, in memory, capped), and a client that asks for ``stream=true`` is answered while it
writes. The HTTP tests run a real uvicorn server: the stall lives in the sockets.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import h11
import httpx
import pytest
import uvicorn
from consent_support import SHOP, customer, load_shop
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import add_user, api_token, console_app

from dataward.audit.models import AuditEvent
from dataward.consent import batch
from dataward.consent.records import give_consent
from dataward.crypto.keystore import Vault
from dataward.uow import UnitOfWork

PARAMS = {"organisation": SHOP, "purpose": "offers", "channel": "sms"}
# Long enough that answers and lines outgrow what the sockets buffer on this machine.
ID = "x" * 100


@pytest.fixture
def app(database_url: str, clock: Any, vault: Vault, uow: UnitOfWork) -> Iterator[FastAPI]:
    app = console_app(database_url, clock, vault)
    with UnitOfWork(app.state.session_factory, app.state.clock, app.state.vault) as unit:
        load_shop(unit)
        ann = customer(unit, "ann@example.com")
        give_consent(unit, SHOP, ann, "offers", channel="sms", method="web_form", evidence="x")
        unit.commit()
    yield app
    app.state.engine.dispose()


@pytest.fixture
def token(app: FastAPI) -> str:
    return api_token(app, add_user(app, "admin", "admin"), ["decisions:read"])


@pytest.fixture
def client(app: FastAPI, token: str) -> TestClient:
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def _line(number: int) -> bytes:
    value = "ann@example.com" if number % 2 else f"stranger.{number}@example.com"
    return json.dumps({"identity": {"kind": "email", "value": value}, "id": ID}).encode()


def _rows(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize("stream", [False, True])
def test_a_deeply_nested_line_is_answered_and_the_lines_after_it_too(
    client: TestClient, stream: bool
) -> None:
    """issue 14, item 7: 6 KB of brackets raised RecursionError and cut the stream."""
    body = b"\n".join(
        [
            _line(1),
            b"[" * 6000,
            b'{"a":' * 1200,
            json.dumps({"id": "[" * 90, "subject_ref": "s_0000000000000000"}).encode(),
            _line(5),
        ]
    )
    response = client.post(
        "/api/v1/decisions/batch", params={**PARAMS, "stream": stream}, content=body
    )
    assert response.status_code == 200
    rows = _rows(response.text)
    by_line = {r["line"]: r for r in rows if "line" in r}
    assert by_line[1]["allow"] is True
    for nested in (2, 3):
        assert by_line[nested]["error"]["code"] == "batch_line_invalid"
        assert "nests deeper than 32" in by_line[nested]["error"]["detail"]
    # Brackets inside a string do not nest: the line is read, and its subject is unknown.
    assert by_line[4]["error"]["code"] == "subject_not_found"
    assert by_line[5]["allow"] is True
    assert rows[-1] == {"summary": {"lines": 5, "allowed": 2, "refused": 0, "errors": 3}}


def test_values_the_database_cannot_hold_are_answered_on_their_own_line(
    client: TestClient,
) -> None:
    """issue 14, item 7: an unpaired surrogate or a NUL failed the lookup of the whole
    chunk (the blind index cannot encode it, PostgreSQL text cannot hold it)."""
    body = b"\n".join(
        [
            _line(1),
            b'{"identity": {"kind": "name", "value": "\\ud800"}}',
            b'{"subject_ref": "s_\\u0000"}',
            b'{"identity": {"kind": "email", "value": "ann@example.com"}, "id": "\\udfff"}',
            _line(5),
        ]
    )
    response = client.post("/api/v1/decisions/batch", params=PARAMS, content=body)
    rows = _rows(response.text)
    assert [r["error"]["code"] for r in rows[1:4]] == ["batch_line_invalid"] * 3
    assert "unpaired surrogate" in rows[1]["error"]["detail"]
    assert rows[0]["allow"] is True
    assert rows[4]["allow"] is True
    assert rows[-1]["summary"]["lines"] == 5


def test_a_line_whose_lookup_fails_alone_is_answered_with_its_error(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue 14, item 7: any other failure of one line is that line's answer; the chunk
    is looked up again a line at a time and the other lines get their answers."""
    real = batch.gather

    def gather_failing_on_strangers(uow: Any, organisation: str, asks: Any) -> Any:
        if any(a.identity and a.identity[1].startswith("stranger") for a in asks):
            raise RuntimeError("a failure nobody foresaw")
        return real(uow, organisation, asks)

    monkeypatch.setattr(batch, "gather", gather_failing_on_strangers)
    body = b"\n".join(_line(n) for n in range(1, 6))
    response = client.post("/api/v1/decisions/batch", params=PARAMS, content=body)
    rows = _rows(response.text)
    assert [r.get("allow") for r in rows[:5]] == [True, None, True, None, True]
    assert rows[1]["error"]["code"] == "batch_line_failed"
    assert rows[1]["line"] == 2
    assert rows[-1] == {"summary": {"lines": 5, "allowed": 3, "refused": 0, "errors": 2}}


def test_a_line_whose_rules_fail_alone_is_answered_with_its_error(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue 14, item 7: the rules half (no database) failing for one line fails that
    line only."""
    real = batch.conclude

    def conclude_failing_on_strangers(gathered: Any) -> Any:
        if any(a.identity and a.identity[1].startswith("stranger") for a in gathered.asks):
            raise KeyError("a failure nobody foresaw")
        return real(gathered)

    monkeypatch.setattr(batch, "conclude", conclude_failing_on_strangers)
    body = b"\n".join(_line(n) for n in range(1, 6))
    response = client.post("/api/v1/decisions/batch", params=PARAMS, content=body)
    rows = _rows(response.text)
    assert [r.get("allow") for r in rows[:5]] == [True, None, True, None, True]
    assert rows[3]["error"]["code"] == "batch_line_failed"
    assert rows[-1] == {"summary": {"lines": 5, "allowed": 3, "refused": 0, "errors": 2}}


def test_a_batch_that_cannot_read_the_database_says_where_it_stopped(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """issue 14, item 7: when every line fails alone the fault is the database's: the
    answer ends with a ``batch_interrupted`` line and no summary, never a cut stream."""

    def gather_failing(*_args: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(batch, "gather", gather_failing)
    body = b"\n".join(_line(n) for n in range(1, 4))
    response = client.post("/api/v1/decisions/batch", params=PARAMS, content=body)
    assert response.status_code == 200
    rows = _rows(response.text)
    assert rows == [
        {
            "error": {
                "code": "batch_interrupted",
                "detail": "answering stopped at line 1: the database could not be read",
            }
        }
    ]


def test_a_body_over_the_cap_is_refused_unless_the_client_streams(
    database_url: str, clock: Any, vault: Vault, uow: UnitOfWork
) -> None:
    """issue 14, item 7: the body read before answering is held in memory, so it is
    capped (DATAWARD_BATCH_BODY_MAX_BYTES): 413 body_too_large, declared or not."""
    app = console_app(database_url, clock, vault, batch_body_max_bytes=2000)
    try:
        with UnitOfWork(app.state.session_factory, app.state.clock, app.state.vault) as unit:
            load_shop(unit)
            unit.commit()
        client = TestClient(app)
        client.headers["Authorization"] = "Bearer " + api_token(
            app, add_user(app, "admin", "admin"), ["decisions:read"]
        )
        big = b"\n".join(_line(n) for n in range(1, 40))
        assert len(big) > 2000
        url = "/api/v1/decisions/batch"
        declared = client.post(url, params=PARAMS, content=big)
        assert declared.status_code == 413
        assert declared.headers["content-type"] == "application/problem+json"
        assert declared.json()["code"] == "body_too_large"
        # Without a length the body is counted as it arrives and refused at the cap.
        chunked = client.post(url, params=PARAMS, content=iter([big[:1500], big[1500:]]))
        assert chunked.status_code == 413
        assert chunked.json()["code"] == "body_too_large"
        streamed = client.post(url, params={**PARAMS, "stream": True}, content=big)
        assert streamed.status_code == 200
        assert _rows(streamed.text)[-1]["summary"]["lines"] == 39
        under = client.post(url, params=PARAMS, content=big[:1900].rsplit(b"\n", 1)[0])
        assert under.status_code == 200
        # Each refusal is on the chain like a form refused as too large.
        with app.state.session_factory() as session:
            refusals = session.scalars(
                select(AuditEvent.details).where(AuditEvent.action == "web.input_refused")
            ).all()
        # One event per refusal here (web_support sets no roll-up window); the client is a
        # keyed digest, never its address (issue 14, item 6).
        assert [(r["route"], r["reason"], r["count"]) for r in refusals] == [
            ("api_decision_batch", "too_large", 1)
        ] * 2
        assert all(len(str(r["client"])) == 16 for r in refusals)
    finally:
        app.state.engine.dispose()


@contextmanager
def served(app: FastAPI) -> Iterator[int]:
    """The app behind a real uvicorn server on a free loopback port, in a thread."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = int(listener.getsockname()[1])
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the server did not start")
            thread.join(0.05)
        yield port
    finally:
        server.should_exit = True
        thread.join()
        listener.close()


LINES = 60_000


def test_a_client_that_sends_everything_before_reading_gets_every_answer(
    app: FastAPI, token: str
) -> None:
    """issue 14, item 7: httpx posting a whole list at once stalled until its timeout:
    the server answered while reading, nobody read the answers, both sides' buffers
    filled. Now the body is read first, then answered."""
    body = b"\n".join(_line(n) for n in range(1, LINES + 1))
    with served(app) as port:
        # The timeout only stops a stalled run from hanging the suite; it measures nothing.
        response = httpx.post(
            f"http://127.0.0.1:{port}/api/v1/decisions/batch",
            params=PARAMS,
            content=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=120,
        )
    assert response.status_code == 200
    rows = _rows(response.text)
    assert len(rows) == LINES + 1
    assert [r["line"] for r in rows[:-1]] == list(range(1, LINES + 1))
    assert rows[-1] == {
        "summary": {"lines": LINES, "allowed": LINES // 2, "refused": LINES // 2, "errors": 0}
    }


def test_a_streaming_client_is_answered_while_it_still_writes(app: FastAPI, token: str) -> None:
    """issue 14, item 7: with ``stream=true`` the first chunk's answers arrive before the
    rest of the body is sent (the client below waits for them before sending more)."""
    first = batch.CHUNK
    with served(app) as port, socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
        connection = h11.Connection(h11.CLIENT)
        query = "&".join(f"{k}={v}" for k, v in {**PARAMS, "stream": "true"}.items())
        request = h11.Request(
            method="POST",
            target=f"/api/v1/decisions/batch?{query}",
            headers=[
                ("Host", f"127.0.0.1:{port}"),
                ("Authorization", f"Bearer {token}"),
                ("Transfer-Encoding", "chunked"),
            ],
        )
        sock.sendall(connection.send(request) or b"")
        head = b"".join(_line(n) + b"\n" for n in range(1, first + 1))
        sock.sendall(connection.send(h11.Data(data=head)) or b"")

        received = bytearray()
        status = None

        def read_until(done: Any) -> None:
            nonlocal status
            while not done():
                event = connection.next_event()
                if event is h11.NEED_DATA:
                    connection.receive_data(sock.recv(65536))
                elif isinstance(event, h11.Response):
                    status = event.status_code
                elif isinstance(event, h11.Data):
                    received.extend(event.data)
                elif isinstance(event, h11.EndOfMessage):
                    return

        read_until(lambda: received.count(b"\n") >= first)
        assert status == 200
        early = _rows(received.decode())
        assert [r["line"] for r in early] == list(range(1, first + 1))

        tail = b"".join(_line(n) + b"\n" for n in range(first + 1, first + 11))
        sock.sendall(connection.send(h11.Data(data=tail)) or b"")
        sock.sendall(connection.send(h11.EndOfMessage()) or b"")
        read_until(lambda: False)
    rows = _rows(received.decode())
    assert len(rows) == first + 11
    assert rows[-1]["summary"]["lines"] == first + 10
