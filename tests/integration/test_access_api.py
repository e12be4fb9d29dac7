"""The API of issue 18: search a request's sources, queue its access package, read its
progress (SAR-07, ACC-01); problem+json with stable codes on every bad path; SQLite and
PostgreSQL.

The fixture organisation's one dataset (``crm``) is bound to a small SQLite database made in
the test. Dates are explicit: requests received 2026-11-20; the clock is 2026-11-25 09:30 UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from access_delivery_support import (
    CASE,
    EMAIL,
    ORG,
    PERSONAL,
    SOURCES_TEXT,
    ready_package,
    verified_request,
)
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text
from web_support import add_user, api_token, fresh_console_app

from dataward.access.models import AccessPackage
from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.jobs.models import Job
from dataward.publication.sources import store_sources
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.task_models import RequestTask
from dataward.sources.loader import parse_sources
from dataward.uow import UnitOfWork


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


@pytest.fixture
def crm(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """The organisation's customer database: the subject's row and someone else's."""
    url = f"sqlite:///{tmp_path / 'crm.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT, name TEXT)"))
        conn.execute(
            text("INSERT INTO customers VALUES (1, :a, 'Jane Doe'), (2, 'x@example.com', 'X')"),
            {"a": EMAIL},
        )
    engine.dispose()
    monkeypatch.setenv("ACME_CRM_URL", url)
    return url


def _uow(app: FastAPI) -> UnitOfWork:
    return UnitOfWork(app.state.session_factory, app.state.clock, app.state.vault)


def _client(app: FastAPI, scopes: list[str]) -> TestClient:
    name = "bot." + "-".join(s.replace(":", ".") for s in scopes)
    token = api_token(app, add_user(app, name, "caseworker"), scopes)
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return _client(app, ["requests:read", "requests:write"])


def _with_sources(app: FastAPI) -> None:
    with _uow(app) as uow:
        store_sources(
            uow, parse_sources(SOURCES_TEXT, "sources.yaml"), organisation=ORG, actor=CASE
        )
        uow.commit()


def _verified(app: FastAPI) -> str:
    with _uow(app) as uow:
        row, _ = verified_request(uow)
        uow.commit()
        return row.ref


def _problem(reply: Any, status: int, code: str) -> None:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert reply.json()["code"] == code


def _counts(app: FastAPI) -> tuple[int, int, int, int]:
    """Packages, jobs, done tasks and audit entries: what a refused call leaves alone."""
    with app.state.session_factory() as session:
        return (
            session.scalar(select(func.count()).select_from(AccessPackage)) or 0,
            session.scalar(select(func.count()).select_from(Job)) or 0,
            session.scalar(
                select(func.count()).select_from(RequestTask).where(RequestTask.state == "done")
            )
            or 0,
            session.scalar(select(func.count()).select_from(AuditEvent)) or 0,
        )


def test_it_searches_the_sources_and_records_the_search(
    app: FastAPI, client: TestClient, crm: str
) -> None:
    _with_sources(app)
    ref = _verified(app)
    got = client.post(f"/api/v1/requests/{ORG}/{ref}/search_sources")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["ref"] == ref
    assert body["sources_version"] == 1
    assert body["searched"] == [{"dataset": "crm", "rows": 1, "files": 0}]
    assert body["not_bound"] == []
    assert body["tasks_done"] >= 1
    assert not any(value in got.text for value in PERSONAL)
    # Searched: nothing left to search.
    _problem(
        client.post(f"/api/v1/requests/{ORG}/{ref}/search_sources"),
        409,
        "request_nothing_to_search",
    )


def test_a_source_that_is_down_fails_the_search_and_records_nothing(
    app: FastAPI, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_sources(app)
    ref = _verified(app)
    monkeypatch.delenv("ACME_CRM_URL", raising=False)
    before = _counts(app)
    _problem(client.post(f"/api/v1/requests/{ORG}/{ref}/search_sources"), 503, "source_unavailable")
    assert _counts(app) == before


def test_a_search_before_identity_is_proven_is_refused(
    app: FastAPI, client: TestClient, crm: str
) -> None:
    _with_sources(app)
    with _uow(app) as uow:
        requester = Requester(name="Jane Doe", email=EMAIL)
        row = open_request(
            uow, NewRequest(ORG, ("access",), "email", date(2026, 11, 20), requester), actor=CASE
        )
        uow.commit()
        ref = row.ref
    before = _counts(app)
    for path in ("search_sources", "package"):
        reply = client.post(f"/api/v1/requests/{ORG}/{ref}/{path}")
        _problem(reply, 409, "request_no_subject")
    assert _counts(app) == before


def test_it_queues_the_package_once_and_reports_its_progress(
    app: FastAPI, client: TestClient
) -> None:
    _with_sources(app)
    ref = _verified(app)
    base = f"/api/v1/requests/{ORG}/{ref}/package"
    _problem(client.get(base), 404, "package_not_found")
    queued = client.post(base)
    assert queued.status_code == 202, queued.text
    body = queued.json()
    assert (body["ref"], body["state"], body["sources_version"]) == (ref, "queued", 1)
    assert (body["parts"], body["expires_at"], body["downloads"]) == ([], None, 0)
    assert body["queued_at"].startswith("2026-11-25T09:30")
    assert _counts(app)[:2] == (1, 1)  # the package and its build job
    before = _counts(app)
    _problem(client.post(base), 409, "package_exists")
    assert _counts(app) == before
    read = client.get(base)
    assert read.status_code == 200
    assert read.json()["id"] == body["id"]


def test_a_ready_package_shows_its_expiry_and_downloads_without_personal_data(
    app: FastAPI, client: TestClient
) -> None:
    with _uow(app) as uow:
        ready = ready_package(uow)
        ref = ready.row.ref
    got = client.get(f"/api/v1/requests/{ORG}/{ref}/package")
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["state"], body["rows"], body["files"]) == ("ready", 1, 1)
    assert body["expires_at"].startswith("2026-12-25T09:30")
    assert body["size"] == len(ready.zip_bytes)
    assert not any(value in got.text for value in PERSONAL)


def test_a_package_for_a_request_not_asking_access_is_refused(
    app: FastAPI, client: TestClient
) -> None:
    _with_sources(app)
    with _uow(app) as uow:
        requester = Requester(name="Jane Doe", email=EMAIL)
        new = NewRequest(ORG, ("rectification",), "email", date(2026, 11, 20), requester)
        ref = open_request(uow, new, actor=CASE).ref
        uow.commit()
    before = _counts(app)
    _problem(client.post(f"/api/v1/requests/{ORG}/{ref}/package"), 409, "request_not_access")
    assert _counts(app) == before


def test_a_package_without_a_stored_sources_file_is_refused(
    app: FastAPI, client: TestClient
) -> None:
    ref = _verified(app)
    before = _counts(app)
    _problem(client.post(f"/api/v1/requests/{ORG}/{ref}/package"), 404, "sources_not_found")
    assert _counts(app) == before


def test_unknown_requests_and_missing_scopes_are_refused(app: FastAPI, client: TestClient) -> None:
    for method, path in (
        ("post", "search_sources"),
        ("post", "package"),
        ("get", "package"),
    ):
        reply = getattr(client, method)(f"/api/v1/requests/{ORG}/q_none/{path}")
        _problem(reply, 404, "request_not_found")
    reader = _client(app, ["requests:read"])
    _problem(reader.post(f"/api/v1/requests/{ORG}/q_none/package"), 403, "scope_missing")
    _problem(reader.post(f"/api/v1/requests/{ORG}/q_none/search_sources"), 403, "scope_missing")
    writer = _client(app, ["requests:write"])
    _problem(writer.get(f"/api/v1/requests/{ORG}/q_none/package"), 403, "scope_missing")
    _problem(TestClient(app).post(f"/api/v1/requests/{ORG}/q_none/package"), 401, "login_required")
