"""The rights requests API for integrators (issue 16): scopes, problem+json, the clock.

Rules: SAR-01 (due a month from receipt), SAR-04 (extension once), SAR-10.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import ORG, add_user, api_token, fresh_console_app

from dataward.clock import FixedClock


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    owner = add_user(app, "portal.bot", "caseworker")
    token = api_token(app, owner, ["requests:read", "requests:write"])
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


BODY = {
    "organisation": ORG,
    "rights": ["access"],
    "channel": "email",
    "received_on": "2026-11-02",
    "requester": {"name": "Jane Doe", "email": "jane@example.com"},
}


def test_open_read_list_and_step(client: TestClient) -> None:
    made = client.post("/api/v1/requests", json=BODY)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["due_on"] == "2026-12-02"  # SAR-01
    assert body["requester"]["name"] == "Jane Doe"
    ref = body["ref"]
    listed = client.get("/api/v1/requests", params={"due": "due_soon"}).json()
    assert [r["ref"] for r in listed["requests"]] == [ref]
    assert "requester" not in listed["requests"][0]  # no personal data in lists
    step = {"step": "extend", "on": "2026-11-25", "note": "Many systems to search"}
    extended = client.post(f"/api/v1/requests/{ORG}/{ref}/steps", json=step)
    assert extended.status_code == 200
    assert extended.json()["due_on"] == "2027-02-02"  # SAR-04
    again = client.post(f"/api/v1/requests/{ORG}/{ref}/steps", json=step)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["code"] == "request_transition_refused"
    assert client.get(f"/api/v1/requests/{ORG}/{ref}").json()["state"] == "extended"


def test_bad_calls_get_problem_json_and_change_nothing(client: TestClient) -> None:
    future = client.post("/api/v1/requests", json={**BODY, "received_on": "2027-01-01"})
    assert future.status_code == 422
    assert future.json()["code"] == "request_invalid"
    unknown = client.post("/api/v1/requests", json={**BODY, "rights": ["teleport"]})
    assert unknown.status_code == 422
    missing = client.get(f"/api/v1/requests/{ORG}/q_0000000000000000")
    assert missing.status_code == 404
    assert missing.json()["code"] == "request_not_found"
    assert client.get("/api/v1/requests").json()["total"] == 0


def test_scopes_are_enforced(app: FastAPI) -> None:
    owner = add_user(app, "reader.bot", "caseworker")
    reader = TestClient(
        app, headers={"Authorization": f"Bearer {api_token(app, owner, ['requests:read'])}"}
    )
    assert reader.get("/api/v1/requests").status_code == 200
    assert reader.post("/api/v1/requests", json=BODY).status_code == 403
    assert TestClient(app).get("/api/v1/requests").status_code == 401
