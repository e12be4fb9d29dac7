"""The console's rights requests: enter, queue, a request's page and its steps (issue 16).

Rules: SAR-01 (due a month from receipt), SAR-04 (extension), SAR-10 (any channel, the day
it arrived). The test clock is 25 November 2026.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup, Tag
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import ORG, csrf_from, fresh_console_app, signed_in

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


FORM = {
    "org": ORG,
    "rights": ["access", "erasure"],
    "channel": "post",
    "received_on": "2026-10-20",
    "requester_kind": "self",
    "name": "Jane Doe",
    "email": "jane@example.com",
    "words": "Send me everything and then delete it.",
}


def _enter(client: TestClient, **changes: object) -> object:
    csrf = csrf_from(client.get("/console/requests/new").text)
    return client.post("/console/requests/new", data={**FORM, **changes, "csrf_token": csrf})


def test_a_caseworker_enters_a_postal_request_and_finds_it_in_the_queue(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    answer = _enter(client)
    assert answer.status_code == 303  # POST, then redirect to the request's page
    page = client.get(answer.headers["location"])
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    facts = soup.find("dl", class_="facts").get_text(" ")
    # SAR-01: received 20 October 2026 -> due 20 November 2026, before the test's today.
    assert "20 November 2026" in facts
    assert "overdue" in soup.find("p", class_="lead").get_text()
    assert "Jane Doe" in page.text  # decrypted for staff on the request's page
    messages = soup.find("h2", id="messages").find_next_sibling()
    # The form was sent without "Email an acknowledgement" ticked: nothing is queued.
    assert "None yet" in messages.get_text()
    queue = client.get("/console/requests?due=overdue")
    ref = answer.headers["location"].rsplit("/", 1)[1]
    assert ref in queue.text
    assert ref not in client.get("/console/requests?due=on_time").text
    with app.state.session_factory() as session:
        details = session.scalars(
            select(AuditEvent.details).where(AuditEvent.entity_id == ref)
        ).one()
    assert "Jane" not in str(details)


def test_bad_input_keeps_what_was_typed(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    answer = _enter(client, received_on="2026-12-25")  # after today
    assert answer.status_code == 422
    soup = BeautifulSoup(answer.text, "html.parser")
    assert "after today" in answer.text
    assert soup.find("input", id="r-name")["value"] == "Jane Doe"
    assert soup.find("input", attrs={"value": "erasure"}).has_attr("checked")
    representative = _enter(client, requester_kind="solicitor")
    assert representative.status_code == 422
    assert "authority" in representative.text


def test_extending_is_confirmed_then_moves_the_due_date(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    location = _enter(client, received_on="2026-11-02").headers["location"]
    page = client.get(location)
    assert "2 December 2026" in page.text  # SAR-01
    step = location + "/steps/extend"
    fields = {
        "on": "2026-11-25",
        "note": "Many years of records",
        "csrf_token": csrf_from(page.text),
    }
    asked = client.post(step, data=fields)
    assert asked.status_code == 200
    assert "Extend by two months" in asked.text
    done = client.post(step, data={**fields, "confirm": "yes"})
    assert done.status_code == 303
    page = client.get(location)
    assert "2 February 2027" in page.text  # SAR-04: three months from 2 November
    assert "Many years of records" in page.text  # the reason, unsealed for staff
    # A second extension is refused with the reason, nothing changes.
    again = client.post(step, data={**fields, "confirm": "yes"})
    assert again.status_code == 303
    assert "only once" in client.get(location).text


def test_roles_without_requests_permissions_are_refused(app: FastAPI) -> None:
    auditor = signed_in(app, "audit@acme.example", "auditor")
    assert auditor.get("/console/requests").status_code == 403
    assert auditor.get("/console/requests/new").status_code == 403


def test_assigning_is_a_confirmed_step(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    location = _enter(client).headers["location"]
    page = client.get(location)
    fields = {"on": "2026-11-25", "assignee": "user:u_jo", "csrf_token": csrf_from(page.text)}
    assert client.post(location + "/steps/assign", data=fields).status_code == 200
    done = client.post(location + "/steps/assign", data={**fields, "confirm": "yes"})
    assert done.status_code == 303
    assert "user:u_jo" in client.get(location).text
    ref = location.rsplit("/", 1)[1]
    assert ref in client.get("/console/requests?assignee=user:u_jo").text


def test_the_request_log_export_has_dates_and_outcomes_but_no_requester(app: FastAPI) -> None:
    """Issue 16: the CSV of the request log a DPO hands to an ICO audit."""
    client = signed_in(app, "dpo@acme.example", "dpo")
    ref = _enter(client).headers["location"].rsplit("/", 1)[1]
    answer = client.get("/console/requests/export.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [(r["ref"], r["received_on"], r["due_on"], r["rights"]) for r in rows] == [
        (ref, "2026-10-20", "2026-11-20", "access erasure")
    ]
    assert "Jane" not in answer.text
    assert "jane@" not in answer.text
    auditor = signed_in(app, "audit@acme.example", "auditor")
    assert auditor.get("/console/requests/export.csv").status_code == 403


def test_identity_steps_are_offered_only_until_identity_is_proven(app: FastAPI) -> None:
    """SAR-05: once the requester's identity is verified, neither asking for it nor
    recording it again is offered (the service would refuse both)."""
    client = signed_in(app, "case@acme.example", "caseworker")
    location = _enter(client, received_on="2026-11-02").headers["location"]
    page = client.get(location)
    offered = {f["action"].rsplit("/", 1)[1] for f in _step_forms(page.text)}
    assert {"verify_identity", "ask_identity"} <= offered
    fields = {"on": "2026-11-03", "method": "document", "csrf_token": csrf_from(page.text)}
    done = client.post(location + "/steps/verify_identity", data={**fields, "confirm": "yes"})
    assert done.status_code == 303
    after = {f["action"].rsplit("/", 1)[1] for f in _step_forms(client.get(location).text)}
    assert after & {"verify_identity", "ask_identity"} == set()
    assert "ready_for_review" in after


def _step_forms(html: str) -> list[Tag]:
    soup = BeautifulSoup(html, "html.parser")
    return [f for f in soup.find_all("form") if "/steps/" in str(f.get("action", ""))]
