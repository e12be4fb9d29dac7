"""One request through the API, complete: the authority of someone acting for the subject,
the identity checks, the open tasks, the split and the letters sent (issue 16).

Rules: SAR-10 (a representative's authority, where replies go), SAR-05 (identity), SAR-07
(tasks), SAR-04/08 (letters). The test clock is 25 November 2026.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import ORG, add_user, api_token, fresh_console_app

from dataward.clock import FixedClock
from dataward.requests.service import get_request
from dataward.requests.verification import record_check
from dataward.uow import UnitOfWork

SIGNED = "Form of authority signed by Jane Doe on 1 November 2026"
SOLICITOR: dict[str, Any] = {
    "organisation": ORG,
    "rights": ["access", "erasure"],
    "channel": "email",
    "received_on": "2026-11-02",
    "requester_kind": "solicitor",
    "requester": {"name": "Sam Law", "email": "sam@firm.example", "on_behalf_of": "Jane Doe"},
    "authority": {"evidence": "signed_authority", "description": SIGNED, "replies_to": "both"},
    "reply_by": "post",
}


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


def _client(app: FastAPI, scopes: list[str]) -> TestClient:
    owner = add_user(app, f"bot{len(scopes)}", "caseworker")
    token = api_token(app, owner, scopes)
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return _client(app, ["requests:read", "requests:write"])


def test_it_opens_with_the_authority_and_reply_by_and_reads_it_all_back(
    app: FastAPI, client: TestClient
) -> None:
    made = client.post("/api/v1/requests", json=SOLICITOR)
    assert made.status_code == 201, made.text
    body = made.json()
    ref = body["ref"]
    # RULES: SAR-10: recorded as received, not yet checked.
    assert body["authority"] == {
        "evidence": "signed_authority",
        "outcome": None,
        "replies_to": "both",
        "competence": None,
        "asked_on": None,
        "checked_on": None,
        "description": SIGNED,
    }
    assert body["requester"]["reply_by"] == "post"  # the top-level field reached the requester
    assert body["requester"]["authority"] == "signed authority"
    assert body["open_tasks"] > 0
    assert (body["parent"], body["split_into"], body["letters"]) == (None, [], [])
    assert body["identity_checks"] == []
    with UnitOfWork(app.state.session_factory, app.state.clock, app.state.vault) as uow:
        record_check(uow, get_request(uow, ORG, ref), "knowledge_check", "matched", "user:u_c")
        uow.commit()
    split = client.post(
        f"/api/v1/requests/{ORG}/{ref}/split",
        json={"rights": ["erasure"], "on": "2026-11-20", "note": "Apart"},
    )
    assert split.status_code == 201, split.text
    new_ref = split.json()["split_into"]
    withdrawn = client.post(
        f"/api/v1/requests/{ORG}/{ref}/steps", json={"step": "withdraw", "on": "2026-11-24"}
    )
    assert withdrawn.status_code == 200, withdrawn.text
    read = client.get(f"/api/v1/requests/{ORG}/{ref}").json()
    assert read["identity_checks"] == [
        {"method": "knowledge_check", "outcome": "matched", "on": "2026-11-25"}
    ]
    assert read["split_into"] == [new_ref]
    assert read["open_tasks"] == 0  # withdrawn: its tasks were cancelled
    # Asked to be answered by post: the letter is marked for post, no email queued.
    assert [(x["kind"], x["delivery"]) for x in read["letters"]] == [("withdrawn", "post")]
    other = client.get(f"/api/v1/requests/{ORG}/{new_ref}").json()
    assert other["parent"] == ref
    assert other["open_tasks"] > 0
    assert other["authority"] is None  # the authority stays with the original request


def test_a_write_only_token_never_sees_the_sealed_description(app: FastAPI) -> None:
    writer = _client(app, ["requests:write"])
    made = writer.post("/api/v1/requests", json=SOLICITOR)
    assert made.status_code == 201, made.text
    assert made.json()["authority"]["description"] is None
    assert made.json()["authority"]["evidence"] == "signed_authority"
    assert SIGNED not in made.text


def test_a_letter_sent_by_email_shows_its_delivery(client: TestClient) -> None:
    body = {**SOLICITOR, "reply_by": None, "rights": ["access"]}
    ref = client.post("/api/v1/requests", json=body).json()["ref"]
    step = {
        "step": "refuse",
        "on": "2026-11-24",
        "note": "Manifestly excessive",
        "reason": "manifestly_excessive",
    }
    answer = client.post(f"/api/v1/requests/{ORG}/{ref}/steps", json=step)
    assert answer.status_code == 200, answer.text
    [letter] = answer.json()["letters"]
    assert (letter["kind"], letter["delivery"], letter["on"]) == ("refusal", "email", "2026-11-24")
    assert letter["message_status"] == "queued"


def test_a_bad_authority_is_refused_and_opens_nothing(client: TestClient) -> None:
    # The schema refuses these before any service runs.
    for authority, code in [
        ({"evidence": "a_hunch", "description": "x"}, "validation_failed"),
        ({"evidence": "signed_authority", "description": ""}, "validation_failed"),
        ({"evidence": "other", "description": "ok\u0000"}, "validation_failed"),
    ]:
        refused = client.post("/api/v1/requests", json={**SOLICITOR, "authority": authority})
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == code
    itself = {**SOLICITOR, "requester_kind": "self"}  # the subject has no authority to record
    refused = client.post("/api/v1/requests", json=itself)
    assert refused.status_code == 422
    assert refused.json()["code"] == "request_invalid"
    adult = {
        **SOLICITOR,
        "requester_kind": "parent",
        "authority": {
            "evidence": "parental_responsibility",
            "description": "Birth certificate",
            "child_born_on": "1990-01-01",
        },
    }
    refused = client.post("/api/v1/requests", json=adult)  # SAR-10: not a child
    assert refused.status_code == 422
    assert refused.json()["code"] == "request_invalid"
    bad_reply = client.post("/api/v1/requests", json={**SOLICITOR, "reply_by": "pigeon"})
    assert bad_reply.status_code == 422
    assert client.get("/api/v1/requests").json()["total"] == 0
