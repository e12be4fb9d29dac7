"""The console's letters on a request's page: how each goes, a printable copy, a PDF.

Issue 16: a letter that cannot be emailed is printed and posted; the page says so.
The test clock is 25 November 2026.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import ORG, add_user, api_token, csrf_from, fresh_console_app, signed_in

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.notice.errors import PdfUnavailable
from dataward.outbox.models import OutboxMessage
from dataward.requests.models import RightsRequest
from dataward.requests.status_links import status_link_token
from dataward.uow import UnitOfWork
from dataward.web.request_letter_pages import status_letters_panel
from dataward.web.templating import templates


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


FORM = {
    "org": ORG,
    "rights": ["access"],
    "channel": "post",
    "received_on": "2026-11-20",
    "requester_kind": "self",
    "name": "Jane Doe",
    "address": "2 Mill Lane, Anytown",
}


def _enter(client: TestClient, **changes: object) -> str:
    csrf = csrf_from(client.get("/console/requests/new").text)
    answer = client.post("/console/requests/new", data={**FORM, **changes, "csrf_token": csrf})
    assert answer.status_code == 303
    return str(answer.headers["location"])


def _refuse(client: TestClient, location: str) -> None:
    fields = {
        "on": "2026-11-25",
        "note": "Manifestly excessive: the fifth copy asked for this month.",
        "reason": "manifestly_excessive",
        "csrf_token": csrf_from(client.get(location).text),
        "confirm": "yes",
    }
    assert client.post(location + "/steps/refuse", data=fields).status_code == 303


def _letters(client: TestClient, location: str) -> dict[str, str]:
    soup = BeautifulSoup(client.get(location).text, "html.parser")
    table = soup.find("table", class_="request-letters")
    assert table is not None
    rows = table.find("tbody").find_all("tr")
    return {
        r.find_all("td")[0].get_text(strip=True): r.find_all("td")[2].get_text(" ", strip=True)
        for r in rows
    }


def test_a_letter_without_an_email_address_is_marked_send_by_post(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    location = _enter(client)
    before = _letters(client, location)
    assert before["Response"] == "preview"  # the letter the request will need
    _refuse(client, location)
    after = _letters(client, location)
    assert after["Refusal (SAR-08)"].startswith("send by post")
    assert "Response" not in after
    printable = client.get(location + "/letters/refusal")
    assert printable.status_code == 200
    assert "Manifestly excessive: the fifth copy asked for this month." in printable.text
    assert "2 Mill Lane, Anytown" in printable.text  # addressed for the envelope
    # Its own inline style is allowed by hash, nothing else.
    assert "style-src 'self' 'sha256-" in printable.headers["content-security-policy"]


def test_a_letter_with_an_email_address_shows_it_went_by_email(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    location = _enter(client, email="jane@example.com", channel="email")
    _refuse(client, location)
    assert _letters(client, location)["Refusal (SAR-08)"] == "by email (queued)"
    assert "request_letter_refusal" in client.get(location).text  # in the messages list


def test_the_letter_comes_as_a_pdf(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    location = _enter(client)
    pdf = client.get(location + "/letters/acknowledgement?format=pdf")
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


def test_without_the_pdf_extra_the_pdf_is_a_clear_501(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing() -> None:
        raise PdfUnavailable(
            "PDF output needs WeasyPrint, which is not installed",
            details=["install it with: pip install 'dataward[pdf]'"],
        )

    monkeypatch.setattr("dataward.notice.pdf.load_weasyprint", missing)
    client = signed_in(app, "case@acme.example", "caseworker")
    location = _enter(client)
    answer = client.get(location + "/letters/acknowledgement?format=pdf")
    assert answer.status_code == 501
    assert "WeasyPrint" in answer.text
    assert "Traceback" not in answer.text


def test_a_letter_that_is_not_ready_or_unknown_is_refused_plainly(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    location = _enter(client)
    not_ready = client.get(location + "/letters/refusal")
    assert not_ready.status_code == 422
    assert "gives reasons" in not_ready.text
    assert client.get(location + "/letters/ransom_note").status_code == 422
    assert client.get(location + "/letters/response?format=exe").status_code == 400
    assert client.get(f"/console/requests/{ORG}/q_none/letters/response").status_code == 404


def test_an_auditor_may_not_read_a_letter(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    location = _enter(client)
    auditor = signed_in(app, "audit@acme.example", "auditor")
    assert auditor.get(location + "/letters/response").status_code == 403


def test_a_requester_who_asked_for_post_gets_post_despite_an_email(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    location = _enter(client, email="jane@example.com", reply_by="post")
    assert "post: the requester asked for it" in client.get(location).text
    _refuse(client, location)
    assert _letters(client, location)["Refusal (SAR-08)"].startswith("send by post")
    assert "request_letter_refusal" not in client.get(location).text  # nothing emailed


def test_an_unknown_way_to_answer_is_refused_and_nothing_opened(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    csrf = csrf_from(client.get("/console/requests/new").text)
    data = {**FORM, "reply_by": "pigeon", "csrf_token": csrf}
    refused = client.post("/console/requests/new", data=data)
    assert refused.status_code == 422
    assert "Reply by must be one of email, post" in refused.text
    assert "0 requests." in client.get("/console/requests").text  # nothing opened


def _status_link(app: FastAPI, location: str) -> str:
    ref = location.rsplit("/", 1)[1]
    with app.state.session_factory() as session:
        row = session.scalars(select(RightsRequest).where(RightsRequest.ref == ref)).one()
        token, _ = status_link_token(app.state.secret_key, app.state.clock, row)
    return f"/requests/status/{token}"


def test_the_requester_reads_a_letter_they_were_sent_by_their_status_link(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    location = _enter(client, email="jane@example.com")
    _refuse(client, location)
    status = _status_link(app, location)
    public = TestClient(app, follow_redirects=False)  # no account, no session
    letter = public.get(f"{status}/letters/refusal")
    assert letter.status_code == 200
    assert "Manifestly excessive: the fifth copy asked for this month." in letter.text
    assert "Dear Jane Doe" in letter.text
    assert "2 Mill Lane" not in letter.text  # only their name, as on the status page
    assert letter.headers["cache-control"] == "no-store"
    assert public.get(f"{status}/letters/refusal?format=pdf").content.startswith(b"%PDF")
    # A letter not sent (a draft response) is not theirs to see.
    draft = public.get(f"{status}/letters/response")
    assert draft.status_code == 404
    assert "No response letter was sent for this request" in draft.text


def test_a_forged_or_expired_status_link_opens_no_letter(app: FastAPI, clock: FixedClock) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    location = _enter(client)
    status = _status_link(app, location)
    public = TestClient(app, follow_redirects=False)
    assert public.get(f"{status}x/letters/acknowledgement").status_code == 404
    with app.state.session_factory() as session:
        refused = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "portal.link_refused")
        ).all()
    assert [r.details.get("code") for r in refused] == ["link_invalid"]
    clock.advance(timedelta(days=181))
    assert public.get(f"{status}/letters/acknowledgement").status_code == 410


def test_the_status_page_panel_lists_only_the_letters_sent(app: FastAPI) -> None:
    """For the portal's status page: ``portal/_status_letters.html`` with its panel."""
    client = signed_in(app, "case@acme.example", "caseworker")
    location = _enter(client, email="jane@example.com")
    _refuse(client, location)
    ref = location.rsplit("/", 1)[1]
    with UnitOfWork(app.state.session_factory, app.state.clock, app.state.vault) as uow:
        row = uow.session.scalars(select(RightsRequest).where(RightsRequest.ref == ref)).one()
        panel = status_letters_panel(uow, row)
    assert [kind for kind, _ in panel["status_letters"]] == ["acknowledgement", "refusal"]
    html = templates.get_template("portal/_status_letters.html").render(token="tok", **panel)
    assert 'href="/requests/status/tok/letters/refusal"' in html
    assert "We are not able to act on your request" in html
    assert "response" not in html  # the draft response is not listed


def test_the_api_takes_a_wish_to_be_answered_by_post_and_sends_no_email(app: FastAPI) -> None:
    owner = add_user(app, "portal.bot", "caseworker")
    token = api_token(app, owner, ["requests:read", "requests:write"])
    api = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    requester = {"name": "Jane Doe", "email": "jane@example.com", "reply_by": "pigeon"}
    body = {
        "organisation": ORG,
        "rights": ["access"],
        "channel": "email",
        "received_on": "2026-11-20",
        "requester": requester,
    }
    refused = api.post("/api/v1/requests", json=body)
    assert refused.status_code == 422
    requester["reply_by"] = "post"
    made = api.post("/api/v1/requests", json=body)
    assert made.status_code == 201, made.text
    assert made.json()["requester"]["reply_by"] == "post"
    ref = made.json()["ref"]
    step = {
        "step": "refuse",
        "on": "2026-11-25",
        "note": "Manifestly excessive.",
        "reason": "manifestly_excessive",
    }
    assert api.post(f"/api/v1/requests/{ORG}/{ref}/steps", json=step).status_code == 200
    with app.state.session_factory() as session:
        assert session.scalars(select(OutboxMessage)).all() == []
        posted = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "request.letter_to_post")
        ).one()
    assert posted.details["why"] == "asked_for_post"
