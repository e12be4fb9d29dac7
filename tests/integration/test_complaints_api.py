"""The complaints API for integrators (issue 17): scopes, problem+json, CMP-01's clocks.

Rules: CMP-01 (a complaint by any channel, acknowledged within 30 days of receipt, an
outcome), SAR-10 (someone acting for the person). Dates are explicit; the clock is the
test's (2026-11-25, 09:30 UTC).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_support import ORG, add_person, add_user, api_token, fresh_console_app

from dataward.accounts.models import User
from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.complaints.models import Complaint, ComplaintEvent
from dataward.requests.service import NewRequest, open_request
from dataward.uow import UnitOfWork

BODY: dict[str, Any] = {
    "organisation": ORG,
    "channel": "phone",
    "received_on": "2026-11-20",
    "complainant": {
        "name": "Ann Smith",
        "email": "ann.smith@example.com",
        "words": "You sent my letter to my neighbour.",
    },
}
PERSONAL = ("Ann Smith", "ann.smith@example.com", "neighbour", "Called her back")


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


def _client(app: FastAPI, username: str, role: str, scopes: list[str]) -> TestClient:
    token = api_token(app, add_user(app, username, role), scopes)
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    return _client(app, "crm.bot", "caseworker", ["complaints:read", "complaints:write"])


def _open(client: TestClient, **changes: Any) -> dict[str, Any]:
    made = client.post("/api/v1/complaints", json={**BODY, **changes})
    assert made.status_code == 201, made.text
    body: dict[str, Any] = made.json()
    return body


def _rows(app: FastAPI) -> tuple[int, int, int]:
    """Complaints, their events and audit entries: what a refused call must leave alone."""
    with app.state.session_factory() as session:
        return (
            session.scalar(select(func.count(Complaint.id))) or 0,
            session.scalar(select(func.count(ComplaintEvent.id))) or 0,
            session.scalar(select(func.count(AuditEvent.id))) or 0,
        )


def _problem(reply: Any, status: int, code: str) -> None:
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert reply.json()["code"] == code


def test_cmp01_open_acknowledge_investigate_note_theme_and_close(client: TestClient) -> None:
    """CMP-01: opened on the day it arrived, acknowledged within 30 days, an outcome."""
    made = _open(client)
    ref = made["ref"]
    assert ref.startswith("c_")
    assert made["state"] == "received"
    assert made["acknowledge_by"] == "2026-12-20"  # 30 days after 2026-11-20
    assert made["outcome_target_on"] is None  # the fixture register promises no time
    assert made["urgency"] == "on_time"
    assert made["complainant"]["name"] == "Ann Smith"
    assert [h["action"] for h in made["history"]] == ["complaint.received"]
    base = f"/api/v1/complaints/{ORG}/{ref}"

    acked = client.post(f"{base}/acknowledge", json={"on": "2026-11-21"})
    assert acked.status_code == 200, acked.text
    assert (acked.json()["state"], acked.json()["acknowledged_on"]) == (
        "acknowledged",
        "2026-11-21",
    )
    investigating = client.post(f"{base}/investigate")  # no body: today
    assert investigating.json()["state"] == "investigating"
    assert investigating.json()["history"][-1]["on"] == "2026-11-25"
    noted = client.post(f"{base}/notes", json={"text": "Called her back"})
    assert noted.status_code == 201, noted.text
    assert noted.json()["history"][-1]["note"] == "Called her back"
    themed = client.post(f"{base}/theme", json={"theme": "disclosure"})
    assert themed.json()["theme"] == "disclosure"
    closed = client.post(
        f"{base}/close",
        json={
            "outcome": "upheld",
            "explanation": "We wrote to the wrong address.",
            "on": "2026-11-24",
        },
    )
    assert closed.status_code == 200, closed.text
    assert (closed.json()["state"], closed.json()["outcome"], closed.json()["closed_on"]) == (
        "closed",
        "upheld",
        "2026-11-24",
    )
    read = client.get(base).json()
    assert [h["action"] for h in read["history"]] == [
        "complaint.received",
        "complaint.acknowledged",
        "complaint.investigating",
        "complaint.note_added",
        "complaint.themed",
        "complaint.closed",
    ]
    assert read["history"][-1]["note"] == "We wrote to the wrong address."
    assert read["urgency"] == "closed"


def test_cmp01_refused_steps_are_409_and_change_nothing(app: FastAPI, client: TestClient) -> None:
    """CMP-01: a complaint is acknowledged before it is investigated, and closed once."""
    ref = _open(client)["ref"]
    base = f"/api/v1/complaints/{ORG}/{ref}"
    before = _rows(app)
    _problem(client.post(f"{base}/investigate"), 409, "complaint_transition_refused")
    assert _rows(app) == before
    assert client.post(f"{base}/acknowledge").status_code == 200
    _problem(client.post(f"{base}/acknowledge"), 409, "complaint_transition_refused")
    done = {"outcome": "withdrawn", "explanation": "She withdrew it."}
    assert client.post(f"{base}/close", json=done).status_code == 200
    after_close = _rows(app)
    _problem(client.post(f"{base}/close", json=done), 409, "complaint_transition_refused")
    _problem(
        client.post(f"{base}/notes", json={"text": "late"}), 409, "complaint_transition_refused"
    )
    assert _rows(app) == after_close
    assert client.get(base).json()["outcome"] == "withdrawn"


def test_cmp01_bad_input_is_422_complaint_invalid_and_opens_nothing(
    app: FastAPI, client: TestClient
) -> None:
    """CMP-01 and SAR-10: what the service refuses comes back with its code, nothing kept."""
    refused = [
        {"received_on": "2026-11-26"},  # after today
        {"channel": "carrier_pigeon"},
        {"theme": "weather"},
        {"complainant": {"name": "Ann Smith"}},  # no words
        {"complainant_kind": "solicitor"},  # acting for nobody named (SAR-10)
        {"request_refs": ["q_0000000000000000"]},  # unknown request: nothing is opened
    ]
    for changes in refused:
        _problem(
            client.post("/api/v1/complaints", json={**BODY, **changes}), 422, "complaint_invalid"
        )
    # The shape itself: FastAPI's check, still problem+json.
    shape = client.post("/api/v1/complaints", json={"organisation": ORG})
    _problem(shape, 422, "validation_failed")
    assert _rows(app)[:2] == (0, 0)
    ref = _open(client)["ref"]
    base = f"/api/v1/complaints/{ORG}/{ref}"
    before = _rows(app)
    for path, body in (
        ("acknowledge", {"on": "2026-11-19"}),  # before it was received
        ("acknowledge", {"on": "2026-11-26"}),  # after today
        ("theme", {"theme": "weather"}),
        ("close", {"outcome": "sort_of", "explanation": "x"}),
        ("requests", {"request_ref": "q_0000000000000000"}),
    ):
        _problem(client.post(f"{base}/{path}", json=body), 422, "complaint_invalid")
    _problem(client.post(f"{base}/notes", json={"text": ""}), 422, "validation_failed")
    assert _rows(app) == before
    _problem(
        client.get("/api/v1/complaints", params={"cursor": "not-a-cursor"}),
        422,
        "complaint_invalid",
    )


def test_unknown_complaints_are_404(client: TestClient) -> None:
    missing = f"/api/v1/complaints/{ORG}/c_0000000000000000"
    _problem(client.get(missing), 404, "complaint_not_found")
    _problem(client.post(f"{missing}/acknowledge"), 404, "complaint_not_found")
    _problem(
        client.post(f"{missing}/close", json={"outcome": "upheld", "explanation": "x"}),
        404,
        "complaint_not_found",
    )
    _problem(
        client.get(f"/api/v1/complaints/other_org/{missing.rsplit('/', 1)[1]}"),
        404,
        "complaint_not_found",
    )


def test_cmp01_requests_and_subject_are_linked_once(app: FastAPI, client: TestClient) -> None:
    """CMP-01: a complaint about a rights request; an unknown person linked when found."""
    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        request_ref = open_request(
            uow, NewRequest(ORG, ["access"], "email", date(2026, 11, 2)), actor="test"
        ).ref
        uow.commit()
    made = _open(client, request_refs=[request_ref, request_ref])
    assert made["request_refs"] == [request_ref]
    assert made["subject_linked"] is False
    base = f"/api/v1/complaints/{ORG}/{made['ref']}"
    _problem(
        client.post(f"{base}/requests", json={"request_ref": request_ref}),
        409,
        "complaint_transition_refused",
    )
    subject = add_person(app)
    linked = client.post(f"{base}/subject", json={"subject_ref": subject})
    assert linked.status_code == 200, linked.text
    assert (linked.json()["subject_ref"], linked.json()["subject_linked"]) == (subject, True)
    _problem(
        client.post(f"{base}/subject", json={"subject_ref": subject}),
        409,
        "complaint_transition_refused",
    )
    _problem(
        client.post(
            f"/api/v1/complaints/{ORG}/{_open(client)['ref']}/subject",
            json={"subject_ref": "s_0000000000000000"},
        ),
        404,
        "subject_not_found",
    )


def test_the_list_pages_by_cursor_filters_and_holds_no_personal_data(
    client: TestClient,
) -> None:
    """CMP-01's clocks as filters; list items carry codes and days, never the complainant."""
    late = _open(client, received_on="2026-10-01", theme="security")["ref"]  # due 10-31
    first = _open(client, received_on="2026-11-10")["ref"]
    second = _open(client, received_on="2026-11-20")["ref"]
    client.post(f"/api/v1/complaints/{ORG}/{second}/acknowledge")
    page = client.get("/api/v1/complaints", params={"organisation": ORG, "limit": 2})
    assert page.status_code == 200
    assert [c["ref"] for c in page.json()["complaints"]] == [late, first]
    cursor = page.json()["next_cursor"]
    assert cursor
    rest = client.get(
        "/api/v1/complaints", params={"organisation": ORG, "limit": 2, "cursor": cursor}
    )
    assert [c["ref"] for c in rest.json()["complaints"]] == [second]
    assert rest.json()["next_cursor"] is None
    for text in PERSONAL:
        assert text not in page.text + rest.text
    assert "complainant" not in page.json()["complaints"][0]
    assert "subject_ref" not in page.json()["complaints"][0]

    def refs(**params: str) -> list[str]:
        found = client.get("/api/v1/complaints", params=params)
        assert found.status_code == 200, found.text
        return [c["ref"] for c in found.json()["complaints"]]

    assert refs(urgency="acknowledgement_overdue") == [late]
    assert refs(urgency="on_time") == [first, second]
    assert refs(state="acknowledged") == [second]
    assert refs(state="open") == [late, first, second]
    assert refs(theme="security") == [late]
    assert refs(organisation="other_org") == []
    _problem(
        client.get("/api/v1/complaints", params={"theme": "weather"}), 422, "complaint_invalid"
    )
    _problem(
        client.get("/api/v1/complaints", params={"urgency": "soonish"}), 422, "validation_failed"
    )


def test_scopes_and_roles_are_enforced(app: FastAPI, client: TestClient) -> None:
    """A token needs the scope, and its owner's role the permission (auditors: never)."""
    ref = _open(client)["ref"]
    one = f"/api/v1/complaints/{ORG}/{ref}"
    reader = _client(app, "reader.bot", "caseworker", ["complaints:read"])
    assert reader.get("/api/v1/complaints").status_code == 200
    _problem(reader.post("/api/v1/complaints", json=BODY), 403, "scope_missing")
    _problem(reader.post(f"{one}/acknowledge"), 403, "scope_missing")
    wrong = _client(app, "requests.bot", "caseworker", ["requests:read", "requests:write"])
    _problem(wrong.get("/api/v1/complaints"), 403, "scope_missing")
    _problem(wrong.get(one), 403, "scope_missing")
    assert TestClient(app).get("/api/v1/complaints").status_code == 401
    # The owner was a caseworker when the token was made; demoted to auditor, it is refused.
    demoted = _client(app, "demoted.bot", "caseworker", ["complaints:read", "complaints:write"])
    with app.state.session_factory() as session:
        user = session.scalars(select(User).where(User.username == "demoted.bot")).one()
        user.role = "auditor"
        session.commit()
    assert demoted.get("/api/v1/complaints").status_code == 403
    assert demoted.post("/api/v1/complaints", json=BODY).status_code == 403
    # A writer without complaints:read is answered without the complainant or the notes.
    writer = _client(app, "writer.bot", "caseworker", ["complaints:write"])
    noted = writer.post(f"{one}/notes", json={"text": "Called her back"})
    assert noted.status_code == 201, noted.text
    assert noted.json()["complainant"] is None
    assert noted.json()["history"][-1]["note"] is None
    for text in PERSONAL:
        assert text not in noted.text


def test_cmp01_the_audit_chain_gets_refs_and_codes_only(app: FastAPI, client: TestClient) -> None:
    """CMP-01 in the chain: each step's action and the complaint's ref, no personal data."""
    ref = _open(
        client,
        complainant_kind="solicitor",
        complainant={**BODY["complainant"], "on_behalf_of": "Bob Smith"},
    )["ref"]
    base = f"/api/v1/complaints/{ORG}/{ref}"
    client.post(f"{base}/acknowledge")
    client.post(f"{base}/notes", json={"text": "Called her back"})
    client.post(
        f"{base}/close", json={"outcome": "not_upheld", "explanation": "The neighbour lied."}
    )
    with app.state.session_factory() as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.entity_id == ref).order_by(AuditEvent.seq)
        ).all()
        actions = [r.action for r in rows]
        dumped = json.dumps([[r.actor, r.entity_id, r.subject_ref, r.details] for r in rows])
    assert actions == [
        "complaint.received",
        "complaint.acknowledged",
        "complaint.note_added",
        "complaint.closed",
    ]
    assert all(r.startswith("token:") for r in json.loads(dumped) for r in [r[0]])
    for text in (*PERSONAL, "Bob Smith", "lied"):
        assert text not in dumped


def test_openapi_lists_the_routes_with_their_problems(app: FastAPI) -> None:
    """Integrators read the document: every complaint route, its scope and its problems."""
    paths = TestClient(app).get("/openapi.json").json()["paths"]
    base = "/api/v1/complaints/{organisation}/{ref}"
    expected = {
        ("/api/v1/complaints", "post"): ("complaints:write", {"401", "403", "404", "422"}),
        ("/api/v1/complaints", "get"): ("complaints:read", {"401", "403", "422"}),
        (base, "get"): ("complaints:read", {"401", "403", "404"}),
        **{
            (f"{base}/{step}", "post"): ("complaints:write", {"401", "403", "404", "409", "422"})
            for step in (
                "acknowledge",
                "investigate",
                "notes",
                "theme",
                "requests",
                "subject",
                "close",
            )
        },
    }
    for (path, method), (scope, statuses) in expected.items():
        operation = paths[path][method]
        assert operation["tags"] == ["complaints"]
        assert operation["security"] == [{"bearerAuth": [scope]}]
        assert statuses <= set(operation["responses"]), (path, method)
        for status in statuses:
            content = operation["responses"][status]["content"]
            assert set(content) == {"application/problem+json"}


def test_cmp01_the_apis_acknowledgement_email_carries_the_status_link(
    app: FastAPI, client: TestClient
) -> None:
    """An integrator's acknowledge step emails the complainant their signed status link,
    which opens their complaint's status page."""
    from dataward.outbox.config import get_mail_settings
    from dataward.outbox.models import OutboxMessage
    from dataward.outbox.service import open_message

    ref = _open(client)["ref"]
    assert client.post(f"/api/v1/complaints/{ORG}/{ref}/acknowledge", json={}).status_code == 200
    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        [message] = uow.session.scalars(select(OutboxMessage)).all()
        assert message.kind == "complaint_acknowledged"
        mime = open_message(uow, message, get_mail_settings())
    text = str(mime.get_body(("plain",)).get_content())
    [link] = [w for w in text.split() if "/complaints/status/" in w]
    page = TestClient(app).get("/" + link.split("://", 1)[1].split("/", 1)[1])
    assert page.status_code == 200
    assert ref in page.text
