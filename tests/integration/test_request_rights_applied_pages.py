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


def _restricted(client: TestClient, app: FastAPI) -> tuple[str, str]:
    """A restriction request whose restriction is applied: (request ref, restriction ref)."""
    ref, task = _verified(client, app, "restriction")
    base = f"/api/v1/requests/{ORG}/{ref}/tasks/{task}"
    assert client.post(base, json={"action": "apply", "ground": "legal_claims"}).status_code == 200
    case = signed_in(app, "lift.case@acme.example", "caseworker")
    page = BeautifulSoup(case.get(f"/console/requests/{ORG}/{ref}").text, "html.parser")
    listed = page.select("#restrictions + p + ul li")
    assert len(listed) == 1
    return ref, str(listed[0]["id"]).removeprefix("restriction-")


def test_the_api_lifts_a_restriction_only_after_warning_the_requester(
    client: TestClient, app: FastAPI
) -> None:
    """RES-01, Art 18(3)."""
    ref, restriction = _restricted(client, app)
    url = f"/api/v1/requests/{ORG}/{ref}/restrictions/{restriction}"
    early = client.post(url, json={"action": "lift"})
    assert early.status_code == 422
    assert early.headers["content-type"].startswith("application/problem+json")
    assert early.json()["code"] == "restriction_invalid"
    assert "restriction.lifted" not in audit_actions(app)
    bad = client.post(url, json={"action": "drop"})
    assert bad.status_code == 422

    warned = client.post(url, json={"action": "warn"})
    assert warned.status_code == 200, warned.text
    assert warned.json()["subject_told_at"] is not None
    assert warned.json()["lifted_at"] is None
    assert "restriction.subject_told" in audit_actions(app)
    lifted = client.post(url, json={"action": "lift"})
    assert lifted.status_code == 200, lifted.text
    assert lifted.json()["lifted_at"] is not None
    assert audit_actions(app)[-1] == "restriction.lifted"
    again = client.post(url, json={"action": "lift"})
    assert again.status_code == 422  # no longer in force


def test_the_console_warns_then_lifts_each_step_confirmed(client: TestClient, app: FastAPI) -> None:
    """RES-01, Art 18(3): the Lift button shows only once the requester was told, and a
    post to lift before then is refused, changing nothing."""
    ref, restriction = _restricted(client, app)
    case = signed_in(app, "case@acme.example", "caseworker")
    page = case.get(f"/console/requests/{ORG}/{ref}")
    soup = BeautifulSoup(page.text, "html.parser")
    warn = f"/console/requests/{ORG}/{ref}/restrictions/{restriction}/warn"
    lift = f"/console/requests/{ORG}/{ref}/restrictions/{restriction}/lift"
    assert soup.find("form", action=warn) is not None
    assert soup.find("form", action=lift) is None
    token = csrf_from(page.text)

    refused = case.post(lift, data={"csrf_token": token, "confirm": "yes"})
    assert refused.status_code == 303
    assert "restriction.lifted" not in audit_actions(app)
    assert "Tell the subject before lifting" in case.get(refused.headers["location"]).text

    asked = case.post(warn, data={"csrf_token": token})
    assert asked.status_code == 200
    assert "Tell the requester it will be lifted" in asked.text
    assert "restriction.subject_told" not in audit_actions(app)
    assert case.post(warn, data={"csrf_token": token, "confirm": "yes"}).status_code == 303
    assert "restriction.subject_told" in audit_actions(app)
    page = case.get(f"/console/requests/{ORG}/{ref}")
    assert "restriction_lifting" in page.text or "restriction lifting" in page.text
    assert "Requester told it will be lifted" in page.text
    assert BeautifulSoup(page.text, "html.parser").find("form", action=lift) is not None
    assert case.post(lift, data={"csrf_token": token, "confirm": "yes"}).status_code == 303
    assert audit_actions(app)[-1] == "restriction.lifted"
    page = case.get(f"/console/requests/{ORG}/{ref}")
    assert f"restriction-{restriction}" not in page.text
