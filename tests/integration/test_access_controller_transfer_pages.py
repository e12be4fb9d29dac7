"""Recording where a portability package goes (POR-01, Art 20(2); issue 19), in the
console (confirmed first) and through the API (problem+json for a bad address). The
service and its emails are tested in ``test_access_controller_transfer``.
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

ENERGY = "data.moves@example-energy.co.uk"


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    owner = add_user(app, "portal.bot", "admin")
    token = api_token(app, owner, ["requests:read", "requests:write"])
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def _portability(client: TestClient, app: FastAPI) -> str:
    body = {
        "organisation": ORG,
        "rights": ["portability"],
        "channel": "email",
        "received_on": "2026-11-20",
        "requester": {"name": "Jane Doe", "email": "jane.doe@example.com"},
        "subject_ref": add_person(app),
    }
    made = client.post("/api/v1/requests", json=body)
    assert made.status_code == 201, made.text
    return str(made.json()["ref"])


def test_the_api_records_the_destination_and_refuses_a_bad_address(
    client: TestClient, app: FastAPI
) -> None:
    ref = _portability(client, app)
    url = f"/api/v1/requests/{ORG}/{ref}/portability_destination"
    bad = client.post(url, json={"organisation_name": "Example Energy Ltd", "email": "energy"})
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith("application/problem+json")
    assert bad.json()["code"] == "portability_destination_invalid"
    assert "access.destination_recorded" not in audit_actions(app)
    good = client.post(url, json={"organisation_name": "Example Energy Ltd", "email": ENERGY})
    assert good.status_code == 200, good.text
    assert good.json()["ref"] == ref
    assert good.json()["sent_at"] is None  # no package yet: sent when it is ready
    assert "example" not in str(good.json()).replace("example.com", "")
    assert audit_actions(app)[-1] == "access.destination_recorded"


def test_the_console_records_the_destination_after_confirming(
    client: TestClient, app: FastAPI
) -> None:
    ref = _portability(client, app)
    case = signed_in(app, "case@acme.example", "caseworker")
    page = case.get(f"/console/requests/{ORG}/{ref}")
    action = f"/console/requests/{ORG}/{ref}/portability_destination"
    form = BeautifulSoup(page.text, "html.parser").find("form", action=action)
    assert form is not None
    assert form.find("input", attrs={"name": "controller_email", "type": "email"}) is not None
    fields = {
        "controller_name": "Example Energy Ltd",
        "controller_email": "not an address",
        "csrf_token": csrf_from(page.text),
    }
    asked = case.post(action, data=fields)
    assert asked.status_code == 200
    assert "the one-time code the download needs still goes to the subject" in asked.text.lower()
    refused = case.post(action, data={**fields, "confirm": "yes"})
    assert refused.status_code == 303
    assert "not an email address" in case.get(refused.headers["location"]).text
    assert "access.destination_recorded" not in audit_actions(app)
    done = case.post(action, data={**fields, "controller_email": ENERGY, "confirm": "yes"})
    assert done.status_code == 303
    page = case.get(f"/console/requests/{ORG}/{ref}").text
    assert "To go to <strong>Example Energy Ltd</strong>" in page
    assert ENERGY in page
    assert audit_actions(app)[-1] == "access.destination_recorded"
