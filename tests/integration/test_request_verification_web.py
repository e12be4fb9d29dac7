"""Proving identity through the console, the requester's portal and the API (issue 16).

Rules: SAR-05. The console confirms each check first; the portal works from the signed
status link only (a bad token is refused); the API answers a wrong code 422 and still
counts it. The test clock is 25 November 2026.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from web_support import (
    ORG,
    add_person,
    add_user,
    api_token,
    csrf_from,
    fresh_console_app,
    signed_in,
)

from dataward.accounts.links import sign_link
from dataward.clock import FixedClock
from dataward.outbox.config import MailSettings
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import open_message
from dataward.requests.models import RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.status_links import status_link_token
from dataward.requests.verification_models import IdentityCheckRecord, IdentityDocument
from dataward.uow import UnitOfWork
from dataward.web.auth import LOGIN_COOKIE

MAIL = MailSettings(mail_from="privacy@acme.example")
PDF = b"%PDF-1.4\nDriving licence of Jane Doe\n%%EOF"


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


def _uow(app: FastAPI) -> UnitOfWork:
    state = app.state
    return UnitOfWork(state.session_factory, state.clock, state.vault)


def _open(app: FastAPI, email: str = "jane.doe@example.com", linked: bool = True) -> str:
    subject = add_person(app) if linked else None
    with _uow(app) as uow:
        row = open_request(
            uow,
            NewRequest(
                ORG,
                ("access",),
                "email",
                date(2026, 11, 20),
                Requester(name="Jane Doe", email=email),
                subject_ref=subject,
            ),
            actor="user:u_case",
        )
        uow.commit()
        return row.ref


def _row(app: FastAPI, ref: str) -> RightsRequest:
    with app.state.session_factory() as session:
        found: RightsRequest = session.scalars(
            select(RightsRequest).where(RightsRequest.ref == ref)
        ).one()
        return found


def _last_code(app: FastAPI) -> str:
    with _uow(app) as uow:
        message = uow.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "request_code")
            .order_by(OutboxMessage.created_at.desc())
        ).first()
        assert message is not None
        body = open_message(uow, message, MAIL).get_body(("plain",)).get_content()
    found = re.search(r"\b(\d{6})\b", body)
    assert found is not None
    return found.group(1)


def _confirmed(client: TestClient, path: str, fields: dict[str, str]) -> str:
    """Post, check the confirmation page, confirm; the flash on the page returned to."""
    page = client.get(path.split("/verification")[0])
    data = {**fields, "csrf_token": csrf_from(page.text)}
    asked = client.post(path, data=data)
    assert asked.status_code == 200
    assert 'name="confirm"' in asked.text
    done = client.post(path, data={**data, "confirm": "yes"})
    assert done.status_code == 303
    return client.get(done.headers["location"].split("#")[0]).text


# RULES: SAR-05
def test_a_caseworker_sends_a_code_and_checks_the_one_read_out(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    ref = _open(app)
    base = f"/console/requests/{ORG}/{ref}"
    page = client.get(base)
    assert 'id="verification"' in page.text
    assert "nothing yet" in page.text
    sent = _confirmed(client, f"{base}/verification/code", {})
    assert "Code sent" in sent
    checked = _confirmed(client, f"{base}/verification/code-check", {"code": _last_code(app)})
    assert "identity verified (email code)" in checked
    row = _row(app, ref)
    assert (row.identity_method, row.identity_verified_on) == ("email_code", date(2026, 11, 25))


def test_a_knowledge_check_from_the_console_shows_only_matched_or_not(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    ref = _open(app)
    base = f"/console/requests/{ORG}/{ref}"
    answers = {"name": "JANE  doe", "email": "jane.doe@example.com", "postcode": "SW1A 1AA"}
    shown = _confirmed(client, f"{base}/verification/knowledge", answers)
    assert "Not every answer matched" in shown
    assert "postcode: not on record" in shown
    assert "name: matched" in shown
    assert "SW1A" not in shown
    assert _row(app, ref).identity_verified_on is None


def test_a_document_is_uploaded_viewed_checked_and_deleted(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    ref = _open(app)
    base = f"/console/requests/{ORG}/{ref}"
    csrf = csrf_from(client.get(base).text)
    uploaded = client.post(
        f"{base}/verification/documents",
        data={"kind": "driving_licence", "csrf_token": csrf},
        files={"document": ("licence.pdf", PDF, "application/pdf")},
    )
    assert uploaded.status_code == 303
    page = client.get(base).text
    assert "Document sealed" in page
    with app.state.session_factory() as session:
        document = session.scalars(select(IdentityDocument)).one()
        raw = session.execute(text("SELECT sealed FROM request_identity_documents")).scalar()
    assert b"Jane" not in bytes(raw)
    opened = client.get(f"{base}/verification/documents/{document.id}")
    assert opened.status_code == 200
    assert opened.content == PDF
    assert opened.headers["content-type"] == "application/pdf"
    assert "attachment" in opened.headers["content-disposition"]
    result = _confirmed(
        client,
        f"{base}/verification/documents/{document.id}/check",
        {"outcome": "accepted", "note": ""},
    )
    assert "the document was deleted" in result
    with app.state.session_factory() as session:
        assert session.scalars(select(IdentityDocument)).all() == []
        check = session.scalars(select(IdentityCheckRecord)).one()
    assert (check.method, check.outcome, check.document_kind) == (
        "document",
        "accepted",
        "driving_licence",
    )
    assert _row(app, ref).identity_method == "document"
    assert client.get(f"{base}/verification/documents/{document.id}").status_code == 422


def test_an_upload_over_the_cap_is_refused_before_it_is_stored(
    database_url: str, clock: FixedClock, vault: object
) -> None:
    from web_support import console_app

    app = console_app(database_url, clock, vault, request_document_max_bytes=2048)
    try:
        client = signed_in(app, "case@acme.example", "caseworker")
        ref = _open(app)
        base = f"/console/requests/{ORG}/{ref}"
        csrf = csrf_from(client.get(base).text)
        answer = client.post(
            f"{base}/verification/documents",
            data={"kind": "passport", "csrf_token": csrf},
            files={"document": ("big.pdf", PDF + b"0" * 4096, "application/pdf")},
        )
        assert answer.status_code == 413
        assert "larger than 2 KiB" in answer.text
        with app.state.session_factory() as session:
            assert session.scalars(select(IdentityDocument)).all() == []
    finally:
        from dataward.db import Base

        with app.state.session_factory() as session:
            for table in reversed(Base.metadata.sorted_tables):
                session.execute(table.delete())
            session.commit()
        app.state.engine.dispose()


def test_a_file_is_refused_on_any_other_console_form(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    ref = _open(app)
    base = f"/console/requests/{ORG}/{ref}"
    csrf = csrf_from(client.get(base).text)
    answer = client.post(
        f"{base}/verification/knowledge",
        data={"name": "Jane", "csrf_token": csrf},
        files={"document": ("licence.pdf", PDF, "application/pdf")},
    )
    assert answer.status_code >= 400


def _portal(app: FastAPI, ref: str) -> tuple[TestClient, str, str]:
    """A requester's browser on the verify page of their status link: client, token, csrf."""
    with _uow(app) as uow:
        row = uow.session.scalars(select(RightsRequest).where(RightsRequest.ref == ref)).one()
        token, _ = status_link_token(app.state.secret_key, uow.clock, row)
    client = TestClient(app, follow_redirects=False)
    page = client.get(f"/requests/status/{token}/verify")
    assert page.status_code == 200
    assert "Send me a code" in page.text
    assert client.cookies.get(LOGIN_COOKIE)
    return client, token, csrf_from(page.text)


# RULES: SAR-05
def test_the_requester_proves_it_is_them_from_their_status_link(app: FastAPI) -> None:
    ref = _open(app)
    client, token, csrf = _portal(app, ref)
    sent = client.post(f"/requests/status/{token}/code", data={"csrf_token": csrf})
    assert sent.status_code == 303
    # Back to the verify page, where the code is typed; once proven, to the status page.
    assert sent.headers["location"] == f"/requests/status/{token}/verify?verify=sent"
    wrong = client.post(
        f"/requests/status/{token}/verify", data={"csrf_token": csrf, "code": "abcdef"}
    )
    assert wrong.headers["location"] == f"/requests/status/{token}/verify?verify=wrong"
    right = client.post(
        f"/requests/status/{token}/verify", data={"csrf_token": csrf, "code": _last_code(app)}
    )
    assert right.headers["location"] == f"/requests/status/{token}?verify=verified"
    row = _row(app, ref)
    assert (row.identity_method, row.state) == ("email_code", "in_progress")
    shown = client.get(f"/requests/status/{token}/verify?verify=verified").text
    assert "that proves who you are" in shown
    assert "Send me a code" not in shown


def test_an_address_not_on_the_subjects_record_only_confirms_the_email(app: FastAPI) -> None:
    ref = _open(app, email="someone@example.com")
    client, token, csrf = _portal(app, ref)
    client.post(f"/requests/status/{token}/code", data={"csrf_token": csrf})
    answer = client.post(
        f"/requests/status/{token}/verify", data={"csrf_token": csrf, "code": _last_code(app)}
    )
    assert answer.headers["location"].endswith("?verify=email_confirmed")
    assert _row(app, ref).identity_verified_on is None


def test_the_portal_throttles_codes(app: FastAPI) -> None:
    ref = _open(app)
    client, token, csrf = _portal(app, ref)
    flags = [
        client.post(f"/requests/status/{token}/code", data={"csrf_token": csrf}).headers["location"]
        for _ in range(4)
    ]
    assert [f.rsplit("=", 1)[1] for f in flags] == ["sent", "sent", "sent", "throttled"]
    with app.state.session_factory() as session:
        count = session.execute(text("SELECT count(*) FROM request_codes")).scalar()
    assert count == 3


def test_the_portal_refuses_a_bad_or_foreign_token(app: FastAPI, clock: FixedClock) -> None:
    ref = _open(app)
    client, token, csrf = _portal(app, ref)
    preferences, _ = sign_link(app.state.secret_key, clock, ORG, ref, 7)  # not a status link
    for bad in (token[:-2] + "xx", preferences, "nonsense"):
        assert client.get(f"/requests/status/{bad}/verify").status_code == 404
        for action in ("code", "verify"):
            answer = client.post(
                f"/requests/status/{bad}/{action}", data={"csrf_token": csrf, "code": "123456"}
            )
            assert answer.status_code == 404
    with app.state.session_factory() as session:
        assert session.execute(text("SELECT count(*) FROM request_codes")).scalar() == 0
    # Without the form's cookie, a post is refused as forged.
    bare = TestClient(app, follow_redirects=False)
    assert bare.post(f"/requests/status/{token}/code", data={"csrf_token": csrf}).status_code == 403


@pytest.fixture
def api(app: FastAPI) -> TestClient:
    owner = add_user(app, "integrator", "admin")
    token = api_token(app, owner, ["requests:write"])
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def test_the_api_sends_and_checks_a_code(app: FastAPI, api: TestClient) -> None:
    ref = _open(app)
    base = f"/api/v1/requests/{ORG}/{ref}/verification"
    sent = api.post(f"{base}/code")
    assert sent.status_code == 202
    assert sent.json()["expires_at"].startswith("2026-11-25T")
    code = _last_code(app)
    wrong = api.post(f"{base}/check", json={"code": f"{(int(code) + 1) % 1_000_000:06d}"})
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "request_code_wrong"
    right = api.post(f"{base}/check", json={"code": code})
    assert right.status_code == 200
    assert right.json() == {"outcome": "verified", "identity_verified": True}
    used = api.post(f"{base}/check", json={"code": code})
    assert used.status_code == 409  # verified already: nothing left to check


def test_the_api_records_a_knowledge_check(app: FastAPI, api: TestClient) -> None:
    ref = _open(app)
    base = f"/api/v1/requests/{ORG}/{ref}/verification"
    answer = api.post(
        f"{base}/knowledge",
        json={"answers": {"name": "Jane Doe", "email": "JANE.DOE@example.com"}},
    )
    assert answer.status_code == 200
    assert answer.json() == {
        "outcome": "verified",
        "results": {"email": "matched", "name": "matched"},
        "identity_verified": True,
    }
    unknown = api.post(f"{base}/knowledge", json={"answers": {"shoe_size": "9", "name": "J"}})
    assert unknown.status_code == 409  # verified already


def test_the_api_refuses_an_unknown_question(app: FastAPI, api: TestClient) -> None:
    ref = _open(app)
    answer = api.post(
        f"/api/v1/requests/{ORG}/{ref}/verification/knowledge",
        json={"answers": {"shoe_size": "9", "name": "Jane Doe"}},
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "request_verification_invalid"
