"""Applying a restriction (RES-01) or objection (OBJ-01) from a request's "make the change"
task, in the console and through the API (issue 19). The fixture register's ``sales``
rests on contract. The test clock is 25 November 2026.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import (
    ORG,
    add_person,
    add_user,
    api_token,
    audit_actions,
    csrf_from,
    fresh_console_app,
    signed_in,
)

from dataward.clock import FixedClock


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    owner = add_user(app, "portal.bot", "admin")
    token = api_token(app, owner, ["requests:read", "requests:write"])
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def _verified(client: TestClient, app: FastAPI, right: str) -> tuple[str, str]:
    """A request for ``right`` linked to a new subject, identity proven: (ref, task id)."""
    body = {
        "organisation": ORG,
        "rights": [right],
        "channel": "email",
        "received_on": "2026-11-20",
        "requester": {"name": "Jane Doe", "email": "jane.doe@example.com"},
        "subject_ref": add_person(app),
    }
    made = client.post("/api/v1/requests", json=body)
    assert made.status_code == 201, made.text
    ref = made.json()["ref"]
    step = {"step": "verify_identity", "on": "2026-11-21", "method": "document"}
    assert client.post(f"/api/v1/requests/{ORG}/{ref}/steps", json=step).status_code == 200
    tasks = client.get(f"/api/v1/requests/{ORG}/{ref}/tasks").json()["tasks"]
    assert [t["kind"] for t in tasks] == ["execute", "notify"]
    return ref, tasks[0]["id"]


def test_the_api_applies_a_restriction_and_refuses_finishing_it_unapplied(
    client: TestClient, app: FastAPI
) -> None:
    ref, task = _verified(client, app, "restriction")
    base = f"/api/v1/requests/{ORG}/{ref}/tasks/{task}"
    finished = client.post(base, json={"action": "finish", "note": "done"})
    assert finished.status_code == 409
    assert "apply the restriction" in finished.json()["detail"]
    groundless = client.post(base, json={"action": "apply"})
    assert groundless.status_code == 422
    assert groundless.headers["content-type"].startswith("application/problem+json")
    assert "restriction.started" not in audit_actions(app)
    applied = client.post(base, json={"action": "apply", "ground": "unlawful"})
    assert applied.status_code == 200, applied.text
    assert applied.json()["state"] == "done"
    assert audit_actions(app)[-2:] == ["restriction.started", "request.task_done"]


def test_the_console_applies_an_objection_after_confirming(
    client: TestClient, app: FastAPI
) -> None:
    ref, task = _verified(client, app, "objection")
    case = signed_in(app, "case@acme.example", "caseworker")
    page = case.get(f"/console/requests/{ORG}/{ref}")
    form = BeautifulSoup(page.text, "html.parser").find(
        "form", action=f"/console/requests/{ORG}/{ref}/tasks/{task}/apply"
    )
    assert form is not None
    assert form.find("select", attrs={"name": "ground"}) is None  # restrictions only
    url = f"/console/requests/{ORG}/{ref}/tasks/{task}/apply"
    fields = {"purposes": "", "csrf_token": csrf_from(page.text)}
    asked = case.post(url, data=fields)
    assert asked.status_code == 200
    assert "Apply the restriction or objection" in asked.text
    assert "objection.legitimate_interests" not in audit_actions(app)
    assert case.post(url, data={**fields, "confirm": "yes"}).status_code == 303
    assert audit_actions(app)[-2:] == ["objection.legitimate_interests", "request.task_done"]
    row = case.get(f"/console/requests/{ORG}/{ref}").text
    assert "processing stops until it is decided" in row
