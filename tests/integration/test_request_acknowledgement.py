"""The acknowledgement from every channel: the console (a box to tick), the API (single and
batch, by default where there is an email address) and the portal all send the same
``request_acknowledged`` message through ``requests.acknowledgement`` (issue 16).

Rules: SAR-10 (any channel; replies where the authority allows). The test clock is 25
November 2026.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import ORG, add_user, api_token, csrf_from, fresh_console_app, signed_in

from dataward.clock import FixedClock
from dataward.outbox.config import MailSettings
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import open_message
from dataward.requests.models import RightsRequest
from dataward.uow import UnitOfWork

MAIL = MailSettings(mail_from="privacy@acme.example")
FORM = {
    "org": ORG,
    "rights": ["access"],
    "channel": "post",
    "received_on": "2026-11-20",
    "requester_kind": "self",
    "name": "Jane Doe",
    "email": "jane@example.com",
}
BODY: dict[str, Any] = {
    "organisation": ORG,
    "rights": ["access"],
    "channel": "email",
    "received_on": "2026-11-02",
    "requester": {"name": "Jane Doe", "email": "jane@example.com"},
}
SOLICITOR: dict[str, Any] = {
    **BODY,
    "requester_kind": "solicitor",
    "requester": {"name": "Sam Law", "email": "sam@firm.example", "on_behalf_of": "Jane Doe"},
    "authority": {
        "evidence": "signed_authority",
        "description": "Signed by Jane Doe on 1 November 2026",
        "replies_to": "subject",
    },
}


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


@pytest.fixture
def api(app: FastAPI) -> TestClient:
    owner = add_user(app, "portal.bot", "caseworker")
    token = api_token(app, owner, ["requests:read", "requests:write"])
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def _unit(app: FastAPI) -> UnitOfWork:
    return UnitOfWork(app.state.session_factory, app.state.clock, app.state.vault)


def _acknowledgements(app: FastAPI) -> list[tuple[str, str, str]]:
    """(request ref, addressee, status link) of every acknowledgement queued."""
    found = []
    with _unit(app) as uow:
        for message in uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.kind == "request_acknowledged")
        ):
            row = uow.session.get(RightsRequest, message.request_id)
            assert row is not None
            mime = open_message(uow, message, MAIL)
            body = mime.get_body(("plain",)).get_content()
            assert row.ref in body
            link = next(w for w in body.split() if "/requests/status/" in w)
            found.append((row.ref, str(mime["To"]), link))
    return found


def _enter(client: TestClient, **changes: object) -> Any:
    page = client.get("/console/requests/new")
    form = {**FORM, **changes, "csrf_token": csrf_from(page.text)}
    return client.post("/console/requests/new", data={k: v for k, v in form.items() if v})


def test_the_console_form_offers_the_box_ticked(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    page = client.get("/console/requests/new").text
    assert 'name="acknowledge" type="checkbox" value="yes" checked' in page


def test_a_console_request_is_acknowledged_when_the_box_is_ticked(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    answer = _enter(client, acknowledge="yes")
    assert answer.status_code == 303
    ref = answer.headers["location"].rsplit("/", 1)[1]
    [(acked, to, link)] = _acknowledgements(app)
    assert (acked, to) == (ref, "jane@example.com")
    assert link.startswith("http://127.0.0.1:8000/requests/status/")
    # The link opens the requester's status page for that request.
    status = TestClient(app).get(link.removeprefix("http://127.0.0.1:8000"))
    assert status.status_code == 200
    assert ref in status.text
    page = client.get(answer.headers["location"]).text
    assert "Acknowledgement emailed." in page


def test_the_console_sends_nothing_unticked_or_without_an_email(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    assert _enter(client).status_code == 303  # unticked
    no_email = _enter(client, acknowledge="yes", email="", address="1 High St")
    assert no_email.status_code == 303
    assert "Not emailed: answer by post" in client.get(no_email.headers["location"]).text
    by_post = _enter(client, acknowledge="yes", reply_by="post")  # they asked for post
    assert "Not emailed: answer by post" in client.get(by_post.headers["location"]).text
    refused = _enter(client, acknowledge="yes", received_on="2026-12-25")  # after today
    assert refused.status_code == 422
    assert _acknowledgements(app) == []


def test_the_api_acknowledges_by_default_and_not_when_told(app: FastAPI, api: TestClient) -> None:
    made = api.post("/api/v1/requests", json=BODY)
    assert made.status_code == 201, made.text
    quiet = api.post("/api/v1/requests", json={**BODY, "acknowledge": False})
    assert quiet.status_code == 201
    no_email = {**BODY, "requester": {"name": "Jo Post", "address": "1 High St"}}
    assert api.post("/api/v1/requests", json={**no_email, "acknowledge": True}).status_code == 201
    by_post = {**BODY, "reply_by": "post", "acknowledge": True}  # JTR rights.g7
    assert api.post("/api/v1/requests", json=by_post).status_code == 201
    acks = _acknowledgements(app)
    assert [(ref, to) for ref, to, _ in acks] == [(made.json()["ref"], "jane@example.com")]


def test_the_api_sends_nothing_when_a_request_is_refused(app: FastAPI, api: TestClient) -> None:
    bad = api.post("/api/v1/requests", json={**BODY, "rights": ["teleport"]})
    assert bad.status_code == 422
    assert bad.json()["code"] == "request_invalid"
    assert _acknowledgements(app) == []


def test_an_authority_sending_replies_to_the_subject_stops_the_email(
    app: FastAPI, api: TestClient
) -> None:
    # RULES: SAR-10: the representative is told nothing directly.
    made = api.post("/api/v1/requests", json=SOLICITOR)
    assert made.status_code == 201, made.text
    assert made.json()["authority"]["replies_to"] == "subject"
    assert _acknowledgements(app) == []
    both = {**SOLICITOR, "authority": {**SOLICITOR["authority"], "replies_to": "both"}}
    again = api.post("/api/v1/requests", json=both)
    assert [(r, to) for r, to, _ in _acknowledgements(app)] == [
        (again.json()["ref"], "sam@firm.example")
    ]


def test_a_batch_acknowledges_each_opened_line_unless_told_not_to(
    app: FastAPI, api: TestClient
) -> None:
    items = [
        BODY,
        {**BODY, "rights": ["teleport"]},
        {**BODY, "acknowledge": False},
        {**SOLICITOR, "authority": {**SOLICITOR["authority"], "replies_to": "representative"}},
    ]
    answer = api.post("/api/v1/requests/batch", json=items)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r.get("error", {}).get("code") for r in results] == [
        None,
        "request_invalid",
        None,
        None,
    ]
    acks = {(ref, to) for ref, to, _ in _acknowledgements(app)}
    assert acks == {
        (results[0]["ref"], "jane@example.com"),
        (results[3]["ref"], "sam@firm.example"),
    }
