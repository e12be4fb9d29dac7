"""The console's panel for someone acting for the subject (issue 16): the authority, the
child's competence, where replies go, and the confirmed forms that record them.

Rules: SAR-10, SAR-05. The test clock is 25 November 2026; the fixture register is English.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import ORG, csrf_from, fresh_console_app, signed_in

from dataward.clock import FixedClock


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return signed_in(app, "case@acme.example", "caseworker")


def _enter(client: TestClient, kind: str) -> str:
    csrf = csrf_from(client.get("/console/requests/new").text)
    form = {
        "org": ORG,
        "rights": ["access"],
        "channel": "post",
        "received_on": "2026-11-02",
        "requester_kind": kind,
        "name": "Sam Law",
        "on_behalf_of": "Jane Doe",
        "authority": "" if kind == "self" else "a letter",
        "csrf_token": csrf,
    }
    answer = client.post("/console/requests/new", data=form)
    assert answer.status_code == 303
    return str(answer.headers["location"])


def _panel(client: TestClient, location: str) -> str:
    soup = BeautifulSoup(client.get(location).text, "html.parser")
    heading = soup.find("h2", id="authority")
    return heading.find_parent("section").get_text(" ", strip=True) if heading else ""


def _post(client: TestClient, location: str, path: str, **fields: str) -> None:
    csrf = csrf_from(client.get(location).text)
    data = {**fields, "csrf_token": csrf}
    asked = client.post(location + path, data=data)
    assert asked.status_code == 200  # asked to confirm first
    assert "confirm" in asked.text
    done = client.post(location + path, data={**data, "confirm": "yes"})
    assert done.status_code == 303


def test_the_authority_is_asked_for_then_accepted(client: TestClient) -> None:
    """SAR-05: the clock waits for the authority and runs from the day it is accepted."""
    location = _enter(client, "solicitor")
    assert "none recorded yet" in _panel(client, location)
    _post(client, location, "/authority/ask", on="2026-11-03")
    assert "the clock waits for it" in _panel(client, location)
    page = BeautifulSoup(client.get(location).text, "html.parser")
    clock = page.find("dl", class_="facts").get_text(" ")
    assert "not yet: waiting for the authority of the person acting for the subject" in clock
    _post(
        client,
        location,
        "/authority",
        on="2026-11-20",
        evidence="signed_authority",
        description="Signed by Jane Doe on 1 November 2026",
        outcome="accepted",
        replies_to="both",
    )
    panel = _panel(client, location)
    assert "accepted on 20 November 2026" in panel
    assert "Signed by Jane Doe" in panel  # unsealed for staff
    assert "Replies go to both" in panel
    assert "may not be answered" not in panel
    facts = BeautifulSoup(client.get(location).text, "html.parser").find("dl", class_="facts")
    assert "20 November 2026" in facts.get_text(" ")  # the clock runs from acceptance


def test_an_english_parent_is_refused_until_the_child_is_assessed(client: TestClient) -> None:
    """SAR-10: no presumption outside Scotland; the refusal changes nothing."""
    location = _enter(client, "parent")
    fields = {
        "on": "2026-11-20",
        "evidence": "parental_responsibility",
        "description": "Birth certificate seen",
        "outcome": "accepted",
        "child_age_band": "12_to_15",
    }
    _post(client, location, "/authority", **fields)
    page = client.get(location).text
    assert "no competence is presumed outside Scotland" in page
    assert "none recorded yet" in _panel(client, location)
    _post(client, location, "/authority", **fields, competence="assessed_competent")
    assert "must agree" in client.get(location).text
    competent = {**fields, "competence": "assessed_competent", "child_agreed": "yes"}
    _post(client, location, "/authority", **competent)
    panel = _panel(client, location)
    assert "assessed as competent" in panel
    assert "The child agrees yes" in panel


def test_the_subject_asking_for_themselves_has_no_panel(client: TestClient) -> None:
    location = _enter(client, "self")
    assert _panel(client, location) == ""
