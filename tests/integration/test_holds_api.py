"""The legal holds API for integrators (issue 17): place, list, read, review, close.

Rules: RET-02 (a hold keeps what it covers from deletion until it closes; it is reviewed),
ERA-02 (erasure waits for a hold). The clock is the test's (2026-11-25, 09:30 UTC).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_support import ORG, add_person, add_user, api_token, fresh_console_app

from dataward.accounts.models import User
from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.holds.models import LegalHold

CASE_HOLD: dict[str, Any] = {
    "organisation": ORG,
    "scope": "case",
    "case_ref": "CLAIM-2026-041",
    "reason": "litigation",
    "datasets": ["crm"],
    "owner": "dpo@acme.example",
    "review_on": "2027-02-01",
}


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


def _client(app: FastAPI, username: str, role: str, scopes: list[str]) -> TestClient:
    token = api_token(app, add_user(app, username, role), scopes)
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return _client(app, "dms.bot", "caseworker", ["holds:read", "holds:write"])


def _place(client: TestClient, **changes: Any) -> dict[str, Any]:
    made = client.post("/api/v1/holds", json={**CASE_HOLD, **changes})
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def _problem(reply: Any, status: int, code: str) -> None:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert reply.json()["code"] == code


def _counts(app: FastAPI) -> tuple[int, int]:
    with app.state.session_factory() as session:
        return (
            session.scalar(select(func.count(LegalHold.id))) or 0,
            session.scalar(select(func.count(AuditEvent.id))) or 0,
        )


def test_ret02_place_read_review_and_close_a_hold(client: TestClient) -> None:
    """RET-02: a hold is placed today, reviewed by its owner, and closed."""
    made = _place(client)
    ref = made["ref"]
    assert ref.startswith("h_")
    assert (made["scope"], made["reason"], made["datasets"], made["case_ref"]) == (
        "case",
        "litigation",
        ["crm"],
        "CLAIM-2026-041",
    )
    assert (made["placed_on"], made["review_on"], made["open"]) == (
        "2026-11-25",
        "2027-02-01",
        True,
    )
    assert made["on_close"] == "unspecified"  # a hold the register does not describe
    one = f"/api/v1/holds/{ORG}/{ref}"
    assert client.get(one).json() == made
    reviewed = client.post(f"{one}/review", json={"review_on": "2027-05-01"})
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["review_on"] == "2027-05-01"
    closed = client.post(f"{one}/close")
    assert closed.status_code == 200, closed.text
    assert (closed.json()["open"], closed.json()["closed_on"]) == (False, "2026-11-25")
    assert closed.json()["closed_by"].startswith("token:")


def test_ret02_a_closed_hold_is_history_409(app: FastAPI, client: TestClient) -> None:
    """RET-02: a released hold is not reviewed or closed again; nothing changes."""
    one = f"/api/v1/holds/{ORG}/{_place(client)['ref']}"
    assert client.post(f"{one}/close").status_code == 200
    before = _counts(app)
    _problem(client.post(f"{one}/close"), 409, "hold_closed")
    _problem(client.post(f"{one}/review", json={"review_on": "2027-05-01"}), 409, "hold_closed")
    assert _counts(app) == before


def test_ret02_bad_holds_are_422_hold_invalid_and_place_nothing(
    app: FastAPI, client: TestClient
) -> None:
    refused = [
        {"review_on": "2026-11-25"},  # a review is after today
        {"scope": "everything"},
        {"case_ref": None},  # a case hold names its case
        {"datasets": ["payroll"]},  # not a dataset of the register
        {"datasets": []},  # no register hold to take them from
        {"reason": "whim"},
        {"hold_id": "no_such_hold"},
        {"complaint_ref": "c_0000000000000000"},
        {"scope": "subject", "case_ref": None},  # a subject hold names the subject
    ]
    for changes in refused:
        _problem(client.post("/api/v1/holds", json={**CASE_HOLD, **changes}), 422, "hold_invalid")
    _problem(client.post("/api/v1/holds", json={"scope": "case"}), 422, "validation_failed")
    assert _counts(app)[0] == 0
    one = f"/api/v1/holds/{ORG}/{_place(client)['ref']}"
    _problem(client.post(f"{one}/review", json={"review_on": "2026-11-25"}), 422, "hold_invalid")
    _problem(client.get("/api/v1/holds", params={"subject_ref": "s_x"}), 422, "hold_invalid")


def test_unknown_holds_are_404(client: TestClient) -> None:
    missing = f"/api/v1/holds/{ORG}/h_0000000000000000"
    _problem(client.get(missing), 404, "hold_not_found")
    _problem(client.post(f"{missing}/close"), 404, "hold_not_found")
    _problem(
        client.post(f"{missing}/review", json={"review_on": "2027-01-01"}), 404, "hold_not_found"
    )


def test_era02_a_subject_hold_placed_by_a_complaint_is_listed_by_its_subject(
    app: FastAPI, client: TestClient
) -> None:
    """ERA-02 / RET-02: a hold on a subject's data, placed for a complaint, found by the
    subject's ref; the list filters by open or closed and by case."""
    subject = add_person(app)
    writer = _client(app, "crm.bot", "caseworker", ["complaints:write"])
    complaint = writer.post(
        "/api/v1/complaints",
        json={
            "organisation": ORG,
            "channel": "email",
            "received_on": "2026-11-20",
            "complainant": {"words": "You kept my data too long."},
        },
    ).json()["ref"]
    held = _place(
        client, scope="subject", subject_ref=subject, case_ref=None, complaint_ref=complaint
    )
    assert (held["subject_ref"], held["complaint_ref"]) == (subject, complaint)
    case = _place(client)["ref"]
    closed = _place(client, case_ref="OLD-1")["ref"]
    client.post(f"/api/v1/holds/{ORG}/{closed}/close")

    def refs(**params: Any) -> list[str]:
        found = client.get("/api/v1/holds", params=params)
        assert found.status_code == 200, found.text
        return [h["ref"] for h in found.json()["holds"]]

    assert refs(organisation=ORG, subject_ref=subject) == [held["ref"]]
    assert refs(organisation=ORG, subject_ref="s_0000000000000000") == []
    assert refs(case_ref="CLAIM-2026-041") == [case]
    assert refs(open="false") == [closed]
    assert set(refs(open="true")) == {held["ref"], case}
    assert refs()[-1] == closed  # open ones first
    assert refs(organisation="other_org") == []


def test_scopes_and_roles_are_enforced(app: FastAPI, client: TestClient) -> None:
    """A token needs holds:read or holds:write, and its owner's role the permission."""
    one = f"/api/v1/holds/{ORG}/{_place(client)['ref']}"
    reader = _client(app, "reader.bot", "caseworker", ["holds:read"])
    assert reader.get(one).status_code == 200
    _problem(reader.post("/api/v1/holds", json=CASE_HOLD), 403, "scope_missing")
    _problem(reader.post(f"{one}/close"), 403, "scope_missing")
    wrong = _client(app, "complaints.bot", "caseworker", ["complaints:read"])
    _problem(wrong.get("/api/v1/holds"), 403, "scope_missing")
    assert TestClient(app).get("/api/v1/holds").status_code == 401
    demoted = _client(app, "demoted.bot", "caseworker", ["holds:read", "holds:write"])
    with app.state.session_factory() as session:
        user = session.scalars(select(User).where(User.username == "demoted.bot")).one()
        user.role = "auditor"
        session.commit()
    assert demoted.get("/api/v1/holds").status_code == 403
    assert demoted.post(f"{one}/close").status_code == 403
    assert client.get(one).json()["open"] is True


def test_ret02_the_audit_chain_gets_refs_and_codes_only(app: FastAPI, client: TestClient) -> None:
    subject = add_person(app, "held.person@example.com")
    ref = _place(client, scope="subject", subject_ref=subject, case_ref=None)["ref"]
    client.post(f"/api/v1/holds/{ORG}/{ref}/review", json={"review_on": "2027-03-01"})
    client.post(f"/api/v1/holds/{ORG}/{ref}/close")
    with app.state.session_factory() as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.entity_id == ref).order_by(AuditEvent.seq)
        ).all()
        actions = [r.action for r in rows]
        subjects = {r.subject_ref for r in rows}
        dumped = json.dumps([[r.actor, r.details] for r in rows])
    assert actions == ["hold.placed", "hold.reviewed", "hold.closed"]
    assert subjects == {subject}
    assert "held.person@example.com" not in dumped
    assert "Jane Doe" not in dumped


def test_openapi_lists_the_hold_routes_with_their_problems(app: FastAPI) -> None:
    paths = TestClient(app).get("/openapi.json").json()["paths"]
    one = "/api/v1/holds/{organisation}/{ref}"
    expected = {
        ("/api/v1/holds", "post"): ("holds:write", {"401", "403", "422"}),
        ("/api/v1/holds", "get"): ("holds:read", {"401", "403", "422"}),
        (one, "get"): ("holds:read", {"401", "403", "404"}),
        (f"{one}/review", "post"): ("holds:write", {"401", "403", "404", "409", "422"}),
        (f"{one}/close", "post"): ("holds:write", {"401", "403", "404", "409"}),
    }
    for (path, method), (scope, statuses) in expected.items():
        operation = paths[path][method]
        assert operation["tags"] == ["holds"]
        assert operation["security"] == [{"bearerAuth": [scope]}]
        assert statuses <= set(operation["responses"]), (path, method)
        for status in statuses:
            assert set(operation["responses"][status]["content"]) == {"application/problem+json"}
