"""The bulk endpoint for a portal's batch of requests (issue 16): one bad line is refused
with its reason and the rest open; scopes, caps and problem+json.

Rules: SAR-10 (a portal acts for many people: authority checked per person), SAR-01 (each
due a month from receipt). The test clock is 25 November 2026.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_support import ORG, add_user, api_token, console_app, fresh_console_app

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.crypto.keystore import DataKey
from dataward.requests.authority_models import RequestAuthority
from dataward.requests.models import RightsRequest

BATCH = "/api/v1/requests/batch"


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


def _client(app: FastAPI, scopes: list[str]) -> TestClient:
    owner = add_user(app, f"portal.bot.{len(scopes)}", "caseworker")
    token = api_token(app, owner, scopes)
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return _client(app, ["requests:read", "requests:write"])


def _item(n: int, **changes: Any) -> dict[str, Any]:
    return {
        "organisation": ORG,
        "rights": ["access"],
        "channel": "batch",
        "received_on": "2026-11-02",
        "requester_kind": "third_party_portal",
        "requester": {
            "name": "Rights Portal Ltd",
            "email": "cases@portal.example",
            "on_behalf_of": f"Person Number{n}",
        },
        "authority": {
            "evidence": "signed_authority",
            "description": f"Mandate signed by Person Number{n} on 1 November 2026",
        },
        **changes,
    }


def _count(app: FastAPI, model: Any) -> int:
    with app.state.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _keys(app: FastAPI) -> int:
    with app.state.vault.session() as session:
        return int(session.scalar(select(func.count()).select_from(DataKey)) or 0)


def _audit(app: FastAPI) -> list[AuditEvent]:
    with app.state.session_factory() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action.like("request.%"))))


def test_a_batch_of_five_with_a_bad_third_line_opens_the_other_four(
    app: FastAPI, client: TestClient
) -> None:
    keys_before = _keys(app)
    items = [_item(n) for n in range(5)]
    items[2] = _item(2, rights=["teleport"])  # line 3: a right that does not exist
    answer = client.post(BATCH, json=items)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["opened"], body["refused"]) == (4, 1)
    results = body["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4]  # in order
    assert results[2]["error"]["code"] == "request_invalid"
    assert "teleport" in results[2]["error"]["detail"]
    assert "ref" not in results[2]
    opened = [r for i, r in enumerate(results) if i != 2]
    assert all(r["ref"].startswith("q_") and "error" not in r for r in opened)
    assert {r["due_on"] for r in opened} == {"2026-12-02"}  # SAR-01
    # Nothing of line 3 is stored: four requests, four authorities, four keys.
    assert _count(app, RightsRequest) == 4
    assert _count(app, RequestAuthority) == 4
    assert _keys(app) - keys_before == 4
    events = _audit(app)
    refs = {r["ref"] for r in opened}
    received = [e for e in events if e.action == "request.received"]
    assert {e.entity_id for e in received} == refs
    assert len([e for e in events if e.action == "request.authority_received"]) == 4
    (batch,) = [e for e in events if e.action == "request.batch_received"]
    assert batch.entity_id == body["batch"]
    assert batch.details == {"lines": 5, "opened": 4, "refused": 1}
    assert "Person" not in str([e.details for e in events])
    # Each opened request is a whole request, with its representative and authority.
    one = client.get(f"/api/v1/requests/{ORG}/{opened[0]['ref']}").json()
    assert one["requester_kind"] == "third_party_portal"
    assert one["requester"]["on_behalf_of"] == "Person Number0"


def test_a_line_without_authority_or_unreadable_is_refused_alone(
    app: FastAPI, client: TestClient
) -> None:
    """SAR-10: authority is checked per person; a line the edge cannot read is one line."""
    no_authority = _item(1)
    del no_authority["authority"]
    items: list[Any] = [
        _item(0),
        no_authority,
        _item(2, received_on="not a day"),
        42,
        _item(4, requester_kind="self"),  # the subject themselves: no authority to hold
        _item(5, authority={"evidence": "a hunch", "description": "trust me"}),
    ]
    answer = client.post(BATCH, json=items)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert "ref" in results[0]
    codes = [r.get("error", {}).get("code") for r in results[1:]]
    assert codes == ["request_invalid"] * 5
    assert "authority" in results[1]["error"]["detail"]
    assert "received_on" in results[2]["error"]["detail"]
    assert "asked themselves" in results[4]["error"]["detail"]
    assert "evidence" in results[5]["error"]["detail"]
    assert _count(app, RightsRequest) == 1
    assert _count(app, RequestAuthority) == 1


def test_an_unknown_organisation_is_refused_on_each_of_its_lines(
    app: FastAPI, client: TestClient
) -> None:
    items = [_item(0, organisation="nobody_ltd"), _item(1), _item(2, organisation="nobody_ltd")]
    results = client.post(BATCH, json=items).json()["results"]
    assert [r.get("error", {}).get("code") for r in results] == [
        "register_not_found",
        None,
        "register_not_found",
    ]
    assert _count(app, RightsRequest) == 1


def test_an_empty_batch_opens_nothing_and_says_so(app: FastAPI, client: TestClient) -> None:
    answer = client.post(BATCH, json=[])
    assert answer.status_code == 200
    body = answer.json()
    assert (body["opened"], body["refused"], body["results"]) == (0, 0, [])
    (batch,) = [e for e in _audit(app) if e.action == "request.batch_received"]
    assert batch.details == {"lines": 0, "opened": 0, "refused": 0}


def test_a_batch_over_the_cap_is_refused_whole(app: FastAPI, client: TestClient) -> None:
    too_many = client.post(BATCH, json=[_item(0)] * 1001)
    assert too_many.status_code == 413
    assert too_many.headers["content-type"].startswith("application/problem+json")
    assert too_many.json()["code"] == "request_batch_too_large"
    assert "1000" in too_many.json()["detail"]
    assert _count(app, RightsRequest) == 0
    not_a_list = client.post(BATCH, json={"organisation": ORG})
    assert not_a_list.status_code == 422
    assert not_a_list.headers["content-type"].startswith("application/problem+json")
    assert [e.action for e in _audit(app)] == []


def test_a_token_without_the_write_scope_is_refused(app: FastAPI) -> None:
    reader = _client(app, ["requests:read"])
    refused = reader.post(BATCH, json=[_item(0)])
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert TestClient(app).post(BATCH, json=[_item(0)]).status_code == 401
    assert _count(app, RightsRequest) == 0


def test_the_batch_is_described_in_the_openapi_document(client: TestClient) -> None:
    operation = client.get("/openapi.json").json()["paths"][BATCH]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert (schema["type"], schema["maxItems"]) == ("array", 1000)
    assert "authority" in schema["items"]["properties"]
    assert "$ref" not in str(schema)  # written in place: no dangling local references
    assert {"200", "401", "403", "413", "422"} <= set(operation["responses"])


def test_a_body_over_the_api_cap_is_refused_before_it_is_read(
    database_url: str, clock: FixedClock, vault: object, uow: object
) -> None:
    """The batch shares the API's body cap (DATAWARD_API_BODY_MAX_BYTES): 413 body_too_large.
    (``uow`` empties the tables afterwards.)"""
    small = console_app(database_url, clock, vault, api_body_max_bytes=4096)
    try:
        client = _client(small, ["requests:write"])
        fits = client.post(BATCH, json=[_item(0)])
        assert fits.status_code == 200
        too_big = client.post(BATCH, json=[_item(n) for n in range(40)])
        assert too_big.status_code == 413
        assert too_big.json()["code"] == "body_too_large"
        assert _count(small, RightsRequest) == 1
    finally:
        small.state.engine.dispose()
