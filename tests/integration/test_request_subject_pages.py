"""The console: finding and linking a request's subject, and the DPO's dashboard (issue 16).

Rules: SAR-10 (the request opens whoever asked; linked later), SAR-01 (on time or late).
The test clock is 25 November 2026.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date

import pytest
from bs4 import BeautifulSoup
from consent_support import SHOP, customer, load_shop
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
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

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.consent.records import give_consent
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


def _request(app: FastAPI, requester: Requester, received: date = date(2026, 11, 20)) -> str:
    """A request entered by post; returns its page's address."""
    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        row = open_request(
            uow, NewRequest(ORG, ["access"], "post", received, requester), actor="user:u_t"
        )
        uow.commit()
    return f"/console/requests/{ORG}/{row.ref}"


def _person(app: FastAPI, *identities: tuple[str, str]) -> str:
    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        ref = add_subject(uow, ORG, ["customers"], list(identities), actor="test").ref
        uow.commit()
    return ref


def _panel(page: str) -> BeautifulSoup:
    soup = BeautifulSoup(page, "html.parser")
    heading = soup.find("h2", id="candidates")
    assert heading is not None, "no candidates panel"
    return heading.parent


def test_the_request_page_shows_candidates_and_links_one_after_confirming(
    app: FastAPI,
) -> None:
    jane = add_person(app, "jane.doe@example.com")  # email and the name "Jane Doe"
    location = _request(app, Requester(name="Jane Doe", email="jane.doe@example.com"))
    client = signed_in(app, "case@acme.example", "caseworker")
    page = client.get(location)
    panel = _panel(page.text)
    cells = [td.get_text(" ", strip=True) for td in panel.find("tbody").find_all("td")]
    assert jane in cells[0]
    assert cells[1] == "email name"  # what matched, strongest first
    assert cells[2] == "94%"  # 1 - (1 - 0.9)(1 - 0.4)
    assert "Conflicting" not in panel.get_text()
    fields = {"subject_ref": jane, "csrf_token": csrf_from(page.text)}
    link = location + "/subject/link"
    asked = client.post(link, data=fields)
    assert asked.status_code == 200  # the confirmation: nothing linked yet
    assert "Link this subject" in asked.text
    assert "request.subject_linked" not in audit_actions(app)
    done = client.post(link, data={**fields, "confirm": "yes"})
    assert done.status_code == 303
    linked = client.get(location)
    facts = BeautifulSoup(linked.text, "html.parser").find("h2", id="who").find_next_sibling("dl")
    assert jane in facts.get_text()
    assert 'id="candidates"' not in linked.text  # linked: the panel has gone
    with app.state.session_factory() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "request.subject_linked")
        ).one()
    assert event.subject_ref == jane
    assert event.actor.startswith("user:")


def test_a_candidate_shows_other_identities_as_kinds_never_values(app: FastAPI) -> None:
    _person(app, ("name", "Jane Doe"), ("email", "private.address@example.com"))
    location = _request(app, Requester(name="Jane Doe", email="jane@elsewhere.example"))
    client = signed_in(app, "case@acme.example", "caseworker")
    page = client.get(location)
    panel = _panel(page.text).get_text(" ")
    assert "private.address" not in page.text
    assert "email" in panel  # the kind the candidate holds, not its value


def test_conflicting_identities_are_flagged(app: FastAPI) -> None:
    ann = _person(app, ("email", "ann@example.com"))
    bob = _person(app, ("phone", "07400 123456"))
    location = _request(app, Requester(email="ann@example.com", phone="07400123456"))
    client = signed_in(app, "case@acme.example", "caseworker")
    panel = _panel(client.get(location).text)
    assert "Conflicting identities" in panel.find(role="alert").get_text()
    assert ann in panel.get_text()
    assert bob in panel.get_text()


def test_nobody_found_still_opens_and_the_caseworker_searches_and_links_later(
    app: FastAPI,
) -> None:
    location = _request(app, Requester(name="Unknown Person", email="who@example.com"))
    client = signed_in(app, "case@acme.example", "caseworker")
    page = client.get(location)
    panel = _panel(page.text)
    assert "Not found" in panel.get_text()
    assert panel.find("table") is None
    ref = _person(app, ("customer_ref", "ACME-77"))
    search = location + "/subject/search"
    token = csrf_from(page.text)
    found = client.post(
        search, data={"kind": "customer_ref", "value": "acme-77", "csrf_token": token}
    )
    assert found.status_code == 200
    results = BeautifulSoup(found.text, "html.parser").find("ul", class_="plain-list")
    assert ref in results.get_text()
    assert "matched by customer ref" in results.get_text(" ")
    assert results.find("input", attrs={"name": "subject_ref"})["value"] == ref
    by_ref = client.post(search, data={"kind": "ref", "value": ref, "csrf_token": token})
    assert ref in by_ref.text
    nobody = client.post(search, data={"kind": "ref", "value": "s_00", "csrf_token": token})
    assert "0 subjects found" in nobody.text


def test_a_malformed_search_is_refused_with_the_reason(app: FastAPI) -> None:
    location = _request(app, Requester(name="Unknown Person"))
    client = signed_in(app, "case@acme.example", "caseworker")
    token = csrf_from(client.get(location).text)
    search = location + "/subject/search"
    bad = client.post(search, data={"kind": "email", "value": "not-an-email", "csrf_token": token})
    assert bad.status_code == 422
    assert "Email address is not valid" in bad.text
    assert 'value="not-an-email"' in bad.text  # what was typed is kept
    kind = client.post(search, data={"kind": "shoe_size", "value": "9", "csrf_token": token})
    assert kind.status_code == 422
    assert "web.input_refused" in audit_actions(app)


def test_linking_an_unknown_subject_changes_nothing(app: FastAPI) -> None:
    location = _request(app, Requester(name="Unknown Person"))
    client = signed_in(app, "case@acme.example", "caseworker")
    token = csrf_from(client.get(location).text)
    fields = {"subject_ref": "s_0000000000000000", "confirm": "yes", "csrf_token": token}
    done = client.post(location + "/subject/link", data=fields)
    assert done.status_code == 303
    page = client.get(location)
    assert "no subject" in page.text  # the error, flashed on the request's page
    assert "request.subject_linked" not in audit_actions(app)


# The DPO's dashboard --------------------------------------------------------------------


def _count(page: str, name: str) -> str:
    cell = BeautifulSoup(page, "html.parser").find(attrs={"data-count": name})
    assert cell is not None, name
    return str(cell.get_text(strip=True))


def test_the_dashboard_counts_the_month_and_links_its_csv(app: FastAPI) -> None:
    november = _request(app, Requester(name="A"), date(2026, 11, 3))
    _request(app, Requester(name="B"), date(2026, 11, 20))
    october = _request(app, Requester(name="C"), date(2026, 10, 1))  # due 2 November: overdue
    dpo = signed_in(app, "dpo@acme.example", "dpo")
    page = dpo.get(f"/console/requests/dashboard?month=2026-11&org={ORG}")
    assert page.status_code == 200
    assert _count(page.text, "outcome-open") == "2"
    assert _count(page.text, "overdue_now") == "0"  # November's are due in December
    assert _count(page.text, "overdue_all") == "1"
    assert _count(page.text, "on_time") == "0"
    assert "export.csv?month=2026-11" in page.text
    export = dpo.get(f"/console/requests/export.csv?month=2026-11&org={ORG}")
    refs = {r["ref"] for r in csv.DictReader(io.StringIO(export.text))}
    assert len(refs) == 2
    assert november.rsplit("/", 1)[1] in refs
    assert october.rsplit("/", 1)[1] not in refs
    assert "request-log-2026-11.csv" in export.headers["content-disposition"]
    october_page = dpo.get("/console/requests/dashboard?month=2026-10")
    assert _count(october_page.text, "outcome-open") == "1"
    assert _count(october_page.text, "overdue_now") == "1"


def test_the_dashboard_says_a_bad_month_and_shows_this_one(app: FastAPI) -> None:
    dpo = signed_in(app, "dpo@acme.example", "dpo")
    page = dpo.get("/console/requests/dashboard?month=2026-13")
    assert page.status_code == 200
    assert "Month must be YYYY-MM" in page.text
    assert "November 2026" in page.text  # the test clock's month
    assert dpo.get("/console/requests/export.csv?month=nope").status_code == 422


def test_the_dashboard_is_linked_from_the_queue_and_the_console(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    assert "/console/requests/dashboard" in client.get("/console/requests").text
    assert "/console/requests/dashboard" in client.get("/console").text
    auditor = signed_in(app, "audit@acme.example", "auditor")
    assert "/console/requests/dashboard" not in auditor.get("/console").text
    assert auditor.get("/console/requests/dashboard").status_code == 403


def test_an_auditor_may_not_search_for_a_subject(app: FastAPI) -> None:
    location = _request(app, Requester(name="Unknown Person"))
    auditor = signed_in(app, "audit@acme.example", "auditor")
    token = csrf_from(auditor.get("/console").text)
    fields = {"kind": "ref", "value": "s_1", "csrf_token": token}
    assert auditor.post(location + "/subject/search", data=fields).status_code == 403


def test_an_objection_opened_through_the_api_makes_the_decision_api_say_no(
    app: FastAPI,
) -> None:
    """OBJ-02 end to end over HTTP: the request and the objection in one unit of work."""
    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        load_shop(uow)
        ann = customer(uow, "ann@example.com")
        give_consent(uow, SHOP, ann, "offers", channel="sms", method="web_form", evidence="x")
        uow.commit()
    owner = add_user(app, "crm@acme.example", "admin")
    client = TestClient(app)
    token = api_token(app, owner, ["requests:write", "decisions:read"])
    client.headers["Authorization"] = f"Bearer {token}"
    ask = {"organisation": SHOP, "subject": ann, "purpose": "offers", "channel": "sms"}
    assert client.get("/api/v1/decisions", params=ask).json()["allow"] is True
    body = {
        "organisation": SHOP,
        "rights": ["objection_direct_marketing"],
        "channel": "api",
        "received_on": "2026-11-25",
        "subject_ref": ann,
    }
    assert client.post("/api/v1/requests", json=body).status_code == 201
    answer = client.get("/api/v1/decisions", params=ask).json()
    assert answer["allow"] is False
    assert answer["code"] == "objected_to_marketing"
    post = client.get("/api/v1/decisions", params={**ask, "channel": "post"}).json()
    assert post["allow"] is False
