"""A request's tasks and splitting it, in the console and through the API (issue 16).

Rules: SAR-07 (the search record: each dataset searched, or the DPO's reason), ADM-01. The
fixture register declares one dataset, ``crm``. The test clock is 25 November 2026.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import ORG, add_user, api_token, csrf_from, fresh_console_app, signed_in

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


FORM = {
    "org": ORG,
    "rights": ["access", "erasure"],
    "channel": "post",
    "received_on": "2026-11-20",
    "requester_kind": "self",
    "name": "Jane Doe",
    "email": "jane@example.com",
}


def _enter(client: TestClient, **changes: object) -> str:
    csrf = csrf_from(client.get("/console/requests/new").text)
    answer = client.post("/console/requests/new", data={**FORM, **changes, "csrf_token": csrf})
    assert answer.status_code == 303
    return str(answer.headers["location"])


def _tasks(html: str) -> list[tuple[str, str]]:
    """(task id, text of its row) for every row of the tasks table."""
    soup = BeautifulSoup(html, "html.parser")
    rows = soup.find("section", class_="request-tasks").find_all("tr", id=re.compile("^task-"))
    return [(r["id"].removeprefix("task-"), " ".join(r.get_text(" ").split())) for r in rows]


def _confirmed(client: TestClient, url: str, fields: dict[str, object]) -> None:
    asked = client.post(url, data=fields)
    assert asked.status_code == 200, asked.text  # the confirmation page, nothing done yet
    assert client.post(url, data={**fields, "confirm": "yes"}).status_code == 303


def test_the_tasks_panel_records_searches_and_only_the_dpo_sets_one_aside(app: FastAPI) -> None:
    """SAR-07: a search recorded with what was found; a caseworker cannot set one aside."""
    case = signed_in(app, "case@acme.example", "caseworker")
    location = _enter(case)
    page = case.get(location)
    tasks = _tasks(page.text)
    assert [text.split(" Search by hand")[0] for _, text in tasks[:1]] == [
        "Search Customer records"
    ]
    # access: search, package, notify; erasure: search, plan, execute, notify
    assert len(tasks) == 7
    assert "(7 open)" in page.text
    access_search, erasure_search = tasks[0][0], tasks[3][0]
    csrf = csrf_from(page.text)
    _confirmed(
        case,
        f"{location}/tasks/{access_search}/search",
        {"found": "yes", "note": "Account and 3 emails", "csrf_token": csrf},
    )
    row = dict(_tasks(case.get(location).text))[access_search]
    assert "done" in row
    assert "data found" in row
    assert "Account and 3 emails" in row
    assert "(6 open)" in case.get(location).text
    queue = BeautifulSoup(case.get("/console/requests").text, "html.parser")
    assert "6 tasks open" in queue.find("td", attrs={"data-label": "State"}).get_text()
    # The caseworker sees no form to set a search aside, and the route refuses them.
    assert f"{erasure_search}/not_reasonable" not in case.get(location).text
    refused = case.post(
        f"{location}/tasks/{erasure_search}/not_reasonable",
        data={"reason": "Too hard", "csrf_token": csrf, "confirm": "yes"},
    )
    assert refused.status_code == 403
    # A search recorded as "found" without saying what is refused, nothing changes.
    _confirmed(
        case,
        f"{location}/tasks/{erasure_search}/search",
        {"found": "yes", "note": "", "csrf_token": csrf},
    )
    page = case.get(location)
    assert "Say what was found" in page.text
    assert "open" in dict(_tasks(page.text))[erasure_search]
    dpo = signed_in(app, "dpo@acme.example", "dpo")
    page = dpo.get(location)
    assert f"{erasure_search}/not_reasonable" in page.text
    _confirmed(
        dpo,
        f"{location}/tasks/{erasure_search}/not_reasonable",
        {"reason": "Backups only, overwritten in 30 days", "csrf_token": csrf_from(page.text)},
    )
    row = dict(_tasks(dpo.get(location).text))[erasure_search]
    assert "not needed" in row
    assert "Backups only" in row
    with app.state.session_factory() as session:
        details = session.scalars(
            select(AuditEvent.details).where(AuditEvent.action.like("request.task_%"))
        ).all()
    assert len(details) == 2
    assert "emails" not in str(details)
    assert "Backups" not in str(details)


def test_splitting_from_the_console_links_both_requests(app: FastAPI) -> None:
    case = signed_in(app, "case@acme.example", "caseworker")
    location = _enter(case)
    page = case.get(location)
    fields = {"rights": ["erasure"], "on": "2026-11-25", "csrf_token": csrf_from(page.text)}
    asked = case.post(f"{location}/split", data=fields)
    assert asked.status_code == 200
    assert "Split this request" in asked.text
    assert case.post(f"{location}/split", data={**fields, "confirm": "yes"}).status_code == 303
    page = case.get(location)
    soup = BeautifulSoup(page.text, "html.parser")
    link = soup.find("p", id="split").find("a")
    assert link.get_text() != location.rsplit("/", 1)[1]
    assert len(_tasks(page.text)) == 3  # access's tasks stay
    new = case.get(link["href"])
    assert new.status_code == 200
    assert f'Split from <a href="{location}">' in new.text
    assert len(_tasks(new.text)) == 4  # erasure's tasks moved
    # The same clock: received 20 November, due Monday 21 December (SAR-01, SAR-03).
    for html in (page.text, new.text):
        facts = BeautifulSoup(html, "html.parser").find("dl", class_="facts").get_text(" ")
        assert "21 December 2026" in facts
    # Moving every right would leave the original empty: refused, nothing changes.
    again = {"rights": ["access"], "on": "2026-11-25", "csrf_token": csrf_from(page.text)}
    _confirmed(case, f"{location}/split", again)
    assert "no right: keep one" in case.get(location).text
    assert len(_tasks(case.get(location).text)) == 3


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    owner = add_user(app, "portal.bot", "admin")
    token = api_token(app, owner, ["requests:read", "requests:write"])
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


BODY = {
    "organisation": ORG,
    "rights": ["access", "automated_decisions"],
    "channel": "email",
    "received_on": "2026-11-02",
    "requester": {"name": "Jane Doe", "email": "jane@example.com"},
}


def test_the_api_reads_and_records_tasks_and_splits(client: TestClient) -> None:
    ref = client.post("/api/v1/requests", json=BODY).json()["ref"]
    listed = client.get(f"/api/v1/requests/{ORG}/{ref}/tasks")
    assert listed.status_code == 200
    body = listed.json()
    assert [(t["kind"], t["dataset"]) for t in body["tasks"]] == [
        ("manual_search", "crm"),
        ("package", None),
        ("notify", None),
        ("human_review", None),
    ]
    search, review = body["tasks"][0]["id"], body["tasks"][3]["id"]
    base = f"/api/v1/requests/{ORG}/{ref}/tasks"
    done = client.post(f"{base}/{search}", json={"action": "search", "found": False})
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["found"]) == ("done", False)
    # SAR-07: a token never sets a search aside, even an administrator's.
    aside = client.post(f"{base}/{search}", json={"action": "not_reasonable", "reason": "x"})
    assert aside.status_code == 403
    assert aside.headers["content-type"].startswith("application/problem+json")
    assert aside.json()["code"] == "request_approval_required"
    again = client.post(f"{base}/{search}", json={"action": "search", "found": True})
    assert again.status_code == 409
    assert client.post(f"{base}/t_nope", json={"action": "start"}).status_code == 404
    unsaid = client.post(f"{base}/{review}", json={"action": "search"})
    assert unsaid.status_code == 422
    reviewed = client.post(
        f"{base}/{review}",
        json={"action": "review", "subject_view": "I was ill", "outcome": "Decision reversed"},
    )
    assert reviewed.status_code == 200
    assert reviewed.json()["subject_view"] == "I was ill"
    assert reviewed.json()["outcome"] == "Decision reversed"
    # Splitting: the human review moves to a request of its own.
    split = client.post(
        f"/api/v1/requests/{ORG}/{ref}/split",
        json={"rights": ["automated_decisions"], "on": "2026-11-20"},
    )
    assert split.status_code == 201, split.text
    new = split.json()["split_into"]
    assert (split.json()["rights"], split.json()["moved"]) == (["access"], ["automated_decisions"])
    assert client.get(f"/api/v1/requests/{ORG}/{ref}/tasks").json()["split_into"] == [new]
    moved = client.get(f"/api/v1/requests/{ORG}/{new}/tasks").json()
    assert moved["parent"] == ref
    assert [(t["kind"], t["outcome"]) for t in moved["tasks"]] == [
        ("human_review", "Decision reversed")
    ]
    assert client.get(f"/api/v1/requests/{ORG}/{new}").json()["due_on"] == "2026-12-02"
    empty = client.post(
        f"/api/v1/requests/{ORG}/{ref}/split", json={"rights": ["access"], "on": "2026-11-20"}
    )
    assert empty.status_code == 409
    other = client.post(
        f"/api/v1/requests/{ORG}/{ref}/split", json={"rights": ["erasure"], "on": "2026-11-20"}
    )
    assert other.status_code == 422
    assert other.json()["code"] == "request_invalid"


def test_the_task_routes_are_in_the_api_description(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "get" in paths["/api/v1/requests/{organisation}/{ref}/tasks"]
    assert "post" in paths["/api/v1/requests/{organisation}/{ref}/tasks/{task_id}"]
    assert "post" in paths["/api/v1/requests/{organisation}/{ref}/split"]


def test_reading_tasks_needs_the_read_scope(app: FastAPI) -> None:
    owner = add_user(app, "other.bot", "caseworker")
    wrong = TestClient(
        app, headers={"Authorization": f"Bearer {api_token(app, owner, ['decisions:read'])}"}
    )
    assert wrong.get(f"/api/v1/requests/{ORG}/q_none/tasks").status_code == 403
    assert TestClient(app).get(f"/api/v1/requests/{ORG}/q_none/tasks").status_code == 401
