"""Request bodies are read only after the caller is authorised, and never past their cap.

Issue 14, item 3: two anonymous 300 MB bodies took the server to 1.38 GB, because
``POST /api/v1/subjects`` and ``/search`` read and parsed the whole body before the token
was checked. These tests drive the app at the ASGI level with a ``receive`` that counts the
bytes pulled from the "connection", so "never buffered" is measured, not assumed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import select
from web_support import ORG, add_user, api_token, console_app, session_cookie

from dataward.accounts.permissions import Permission
from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.crypto.keystore import Vault
from dataward.errors import ConfigurationError
from dataward.uow import UnitOfWork
from dataward.web.auth import SESSION_COOKIE, api
from dataward.web.rule_first import check_body_routes

MIB = 1024 * 1024
CHUNK = 64 * 1024
CLIENT_ADDRESS = "203.0.113.9"


class Thing(BaseModel):
    name: str


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    pulled: int  # body bytes the app took from the connection

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Connection:
    """A client sending ``size`` bytes in chunks, counting what the server pulls."""

    size: int
    pulled: int = 0
    sent: list[dict[str, Any]] = field(default_factory=list)

    async def receive(self) -> dict[str, Any]:
        if self.size == 0 and not self.pulled:
            self.pulled = -1  # the one empty message of a request without a body
            return {"type": "http.request", "body": b"", "more_body": False}
        if self.pulled >= self.size or self.pulled < 0:
            await asyncio.sleep(3600)  # the client stays connected
            return {"type": "http.disconnect"}
        chunk = min(CHUNK, self.size - self.pulled)
        self.pulled += chunk
        return {"type": "http.request", "body": b"{" * chunk, "more_body": self.pulled < self.size}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)


def call(
    app: FastAPI,
    path: str,
    size: int,
    *,
    token: str | None = None,
    declared: bool = True,
    query: str = "",
    method: str = "POST",
    spec_version: str = "2.4",
    cookie: str | None = None,
) -> Answer:
    """Send ``size`` bytes to ``path`` through the whole ASGI stack."""
    headers = [(b"content-type", b"application/json")]
    if declared and size:
        headers.append((b"content-length", str(size).encode()))
    elif size:
        headers.append((b"transfer-encoding", b"chunked"))
    if token is not None:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    if cookie is not None:
        headers.append((b"cookie", f"{SESSION_COOKIE}={cookie}".encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": spec_version},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": (CLIENT_ADDRESS, 50000),
        "server": ("testserver", 80),
    }
    connection = Connection(size)
    asyncio.run(asyncio.wait_for(app(scope, connection.receive, connection.send), 60))
    start = next(m for m in connection.sent if m["type"] == "http.response.start")
    body = b"".join(
        m.get("body", b"") for m in connection.sent if m["type"] == "http.response.body"
    )
    names = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return Answer(start["status"], names, body, connection.pulled)


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: Vault, uow: UnitOfWork) -> Iterator[FastAPI]:
    web = console_app(database_url, clock, vault)
    yield web
    web.state.engine.dispose()


def _token(app: FastAPI, scopes: list[str]) -> str:
    return api_token(app, add_user(app, "engine", "dpo"), scopes)


@pytest.mark.parametrize("path", ["/api/v1/subjects", "/api/v1/subjects/search"])
def test_it_refuses_an_anonymous_5_mb_body_without_reading_a_byte(app: FastAPI, path: str) -> None:
    """Issue 14, item 3: 401 before the body is read, declared or chunked."""
    for declared in (True, False):
        answer = call(app, path, 5 * MIB, declared=declared)

        assert answer.status == 401
        assert answer.headers["content-type"] == "application/problem+json"
        assert answer.json()["code"] == "login_required"
        assert answer.pulled == 0


def test_it_refuses_a_made_up_token_with_a_big_body_without_reading_it(app: FastAPI) -> None:
    """Issue 14, item 3: a token that is not accepted is as good as none."""
    answer = call(app, "/api/v1/subjects", 5 * MIB, token="dw_made_up_token")

    assert (answer.status, answer.json()["code"]) == (401, "token_invalid")
    assert answer.pulled == 0


def test_it_reads_no_body_of_an_anonymous_batch_or_form(app: FastAPI) -> None:
    """Issue 14, item 3: every route with a body, not only the subjects API."""
    batch = call(app, "/api/v1/decisions/batch", 5 * MIB, query=f"organisation={ORG}")
    form = call(app, "/console/users", 5 * MIB)

    assert (batch.status, batch.pulled) == (401, 0)
    assert (form.status, form.pulled) == (303, 0)  # sent to sign in


def test_it_answers_413_at_once_for_a_declared_length_over_the_cap(app: FastAPI) -> None:
    """Issue 14, item 3: with a good token, an announced 5 MB is refused unread."""
    token = _token(app, ["subjects:write", "subjects:read"])

    answer = call(app, "/api/v1/subjects", 5 * MIB, token=token)

    assert answer.status == 413
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["code"] == "body_too_large"
    assert problem["detail"] == "the request body is larger than 1 MiB"
    assert answer.pulled == 0


def test_it_stops_reading_a_chunked_body_at_the_cap(app: FastAPI) -> None:
    """Issue 14, item 3: no Content-Length, so the gate counts and cuts off at 1 MiB."""
    token = _token(app, ["subjects:read"])

    answer = call(app, "/api/v1/subjects/search", 5 * MIB, token=token, declared=False)

    assert (answer.status, answer.json()["code"]) == (413, "body_too_large")
    assert MIB < answer.pulled <= MIB + CHUNK


def test_it_audits_a_body_refused_as_too_large_without_the_address(app: FastAPI) -> None:
    """Issue 14, item 3: the refusal is in the chain; the client only as a keyed digest."""
    token = _token(app, ["subjects:read"])

    call(app, "/api/v1/subjects/search", 2 * MIB, token=token, declared=False)

    with app.state.session_factory() as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "web.input_refused")
        ).all()
    assert [r.details["reason"] for r in rows] == ["too_large"]
    assert rows[0].actor.startswith("token:")
    assert len(str(rows[0].details["client"])) == 16
    assert CLIENT_ADDRESS not in json.dumps(rows[0].details)


def test_it_accepts_a_body_under_the_cap(app: FastAPI) -> None:
    """Issue 14, item 3: the caps change nothing for a normal call."""
    token = _token(app, ["subjects:write", "subjects:read"])
    client = TestClient(app)
    headers = {"Authorization": f"Bearer {token}"}
    body = {
        "organisation": ORG,
        "groups": ["customers"],
        "identities": [{"kind": "email", "value": "jo@example.com"}],
    }

    created = client.post("/api/v1/subjects", json=body, headers=headers)
    found = client.post(
        "/api/v1/subjects/search",
        json={"organisation": ORG, "kind": "email", "value": "JO@example.com"},
        headers=headers,
    )
    bad = client.post("/api/v1/subjects/search", content=b"{not json", headers=headers)

    assert created.status_code == 201
    assert found.status_code == 200
    assert found.json()["refs"] == created.json()["refs"]
    assert (bad.status_code, bad.json()["code"]) == (422, "validation_failed")


def test_it_takes_each_cap_from_its_setting(
    database_url: str, clock: FixedClock, vault: Vault, uow: UnitOfWork
) -> None:
    """Issue 14, item 3: DATAWARD_API_BODY_MAX_BYTES and the batch's own, larger cap."""
    web = console_app(
        database_url, clock, vault, api_body_max_bytes=4096, batch_body_max_bytes=64 * 1024
    )
    try:
        token = _token(web, ["subjects:read", "decisions:read"])
        query = f"organisation={ORG}"

        small = call(web, "/api/v1/subjects/search", 5000, token=token)
        batch_over = call(web, "/api/v1/decisions/batch", 100 * 1024, token=token, query=query)

        assert (small.status, small.json()["detail"]) == (
            413,
            "the request body is larger than 4 KiB",
        )
        assert (batch_over.status, batch_over.pulled) == (413, 0)
        assert batch_over.json()["detail"] == "the request body is larger than 64 KiB"
    finally:
        web.state.engine.dispose()


def test_it_lets_the_batch_read_more_than_the_api_cap(
    database_url: str, clock: FixedClock, vault: Vault, uow: UnitOfWork
) -> None:
    """Issue 14, item 3: the batch streams past DATAWARD_API_BODY_MAX_BYTES."""
    web = console_app(database_url, clock, vault, api_body_max_bytes=4096)
    try:
        token = _token(web, ["decisions:read"])
        lines = b"".join(b'{"subject_ref": "s_%06d"}\n' % n for n in range(400))
        assert len(lines) > 4096
        reply = TestClient(web).post(
            "/api/v1/decisions/batch",
            params={"organisation": ORG},
            content=lines,
            headers={"Authorization": f"Bearer {token}"},
        )
        rows = [json.loads(line) for line in reply.text.splitlines()]
        assert reply.status_code == 200
        assert rows[-1]["summary"]["lines"] == 400
    finally:
        web.state.engine.dispose()


def test_it_refuses_to_start_with_a_route_that_reads_its_body_first() -> None:
    """Issue 14, item 3: a body parameter is read by FastAPI before any dependency."""
    app = FastAPI()

    @app.post("/things", dependencies=[api(Permission.SUBJECTS_WRITE)])
    def make_thing(thing: Thing) -> dict[str, str]:
        return {"name": thing.name}

    with pytest.raises(ConfigurationError, match="/things"):
        check_body_routes(app)


def test_a_response_may_listen_for_a_disconnect_on_a_request_without_a_body(
    app: FastAPI,
) -> None:
    """Issue 14, item 3: the gate guards bodies only; a static file on a server before
    ASGI 2.4 receives while it sends, as it always could."""
    answer = call(app, "/static/dataward.css", 0, method="GET", spec_version="2.3")

    assert answer.status == 200
    assert answer.body


def test_a_signed_in_form_over_64_kib_is_refused_unread(app: FastAPI) -> None:
    """Issue 14, item 3: forms keep their 64 KiB, now refused before reading when announced."""
    cookie = session_cookie(app, add_user(app, "boss", "admin"))

    announced = call(app, "/console/users", 5 * MIB, cookie=cookie)
    chunked = call(app, "/console/users", 5 * MIB, cookie=cookie, declared=False)

    assert (announced.status, announced.pulled) == (413, 0)
    assert b"larger than 64 KiB" in announced.body
    assert chunked.status == 413
    assert 64 * 1024 < chunked.pulled <= 64 * 1024 + CHUNK


def test_the_cookie_beacon_reads_no_large_body(app: FastAPI) -> None:
    """Issue 14, item 3: the anonymous beacon is capped small, and refused unread."""
    answer = call(app, f"/api/v1/cookie-banner/{ORG}/consents", 5 * MIB)

    assert (answer.status, answer.json()["code"], answer.pulled) == (413, "body_too_large", 0)
