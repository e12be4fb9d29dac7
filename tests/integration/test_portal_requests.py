"""The portal's request form, its thank-you page and the status page by signed link (issue 16).

Rules: SAR-01/03 (due a month from receipt, moved off bank holidays), SAR-05 (no clock while
identity is awaited), SAR-10 (anyone may ask, or someone acting for them with authority).
The test clock is 25 November 2026, 09:30 UTC; the fixture organisation is in England, so a
request received that day is due on 29 December 2026 (25 December is Christmas Day, then a
weekend and the Boxing Day substitute holiday).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from request_support import finish_tasks
from sqlalchemy import func, select, text
from web_support import FIXTURES, ORG, audit_actions, console_app, csrf_from

from dataward.accounts.links import sign_link
from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.outbox.config import MailSettings
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import open_message
from dataward.publication.registers import store_register
from dataward.register.loader import parse_register
from dataward.requests.models import RightsRequest
from dataward.requests.service import requester_of
from dataward.requests.status_links import status_link_token
from dataward.requests.transitions import Step, take_step
from dataward.uow import UnitOfWork

FORM_PATH = f"/orgs/{ORG}/request"
FORM: dict[str, Any] = {
    "rights": ["access", "erasure"],
    "for_whom": "self",
    "name": "Jane Doe",
    "email": "Jane.Doe@Example.com",
    "phone": "",
    "address": "",
    "words": "Please send me everything you hold, then delete it.",
}
MAIL = MailSettings(mail_from="privacy@acme.example")


def _empty_all(web: FastAPI) -> None:
    from dataward.db import Base

    with web.state.session_factory() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
        session.commit()
    web.state.engine.dispose()


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    from dataward.models import import_all_models

    import_all_models()
    web = console_app(database_url, clock, vault, portal_requests_per_client=3)
    yield web
    _empty_all(web)


def _unit(app: FastAPI) -> UnitOfWork:
    state = app.state
    return UnitOfWork(state.session_factory, state.clock, state.vault)


def _requests(app: FastAPI) -> list[RightsRequest]:
    with _unit(app) as uow:
        rows = list(uow.session.scalars(select(RightsRequest)))
        for row in rows:
            uow.session.expunge(row)
        return rows


def _messages(app: FastAPI) -> int:
    with _unit(app) as uow:
        return uow.session.scalar(select(func.count()).select_from(OutboxMessage)) or 0


def _client(app: FastAPI) -> TestClient:
    return TestClient(app, follow_redirects=False)


def _send(client: TestClient, **changes: Any) -> Any:
    """Open the form (its cookie), then post it with ``changes``; None values are left out."""
    page = client.get(FORM_PATH)
    assert page.status_code == 200
    data = {**FORM, **changes, "csrf_token": csrf_from(page.text)}
    return client.post(FORM_PATH, data={k: v for k, v in data.items() if v is not None})


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def test_the_form_offers_every_right_in_plain_words(app: FastAPI) -> None:
    client = _client(app)
    page = client.get(FORM_PATH)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    soup = BeautifulSoup(page.text, "html.parser")
    labels = [label.get_text(" ", strip=True) for label in soup.select("fieldset .check")]
    assert "A copy of your data (access)" in labels
    assert "A person to review a decision made by computer (automated decision)" in labels
    assert "To withdraw your consent" in labels
    boxes = [box["value"] for box in soup.select('input[name="rights"]')]
    assert len(boxes) == 9
    assert "withdraw_consent" in boxes
    assert "automated_decisions" in boxes
    assert soup.select_one('input[name="for_whom"][value="other"]') is not None
    assert "we reply by post" in page.text
    # The form's double-submit cookie is scoped to the form's own path (no session).
    cookie = page.headers["set-cookie"]
    assert "dataward_login=" in cookie
    assert f"Path={FORM_PATH}" in cookie
    assert "SameSite=strict" in cookie
    assert "HttpOnly" in cookie


def test_the_portal_home_and_the_notice_link_to_the_form(app: FastAPI) -> None:
    client = _client(app)
    home = BeautifulSoup(client.get("/").text, "html.parser")
    assert home.find("a", href=FORM_PATH) is not None
    notice = client.get(f"/orgs/{ORG}/notice")
    link = BeautifulSoup(notice.text, "html.parser").find("a", href=FORM_PATH)
    assert link is not None
    assert "make a request" in link.get_text()


def test_a_submission_opens_the_request_acknowledges_it_and_links_its_status(
    app: FastAPI,
) -> None:
    client = _client(app)
    answer = _send(client)
    assert answer.status_code == 303  # POST, then redirect to the thank-you page
    assert answer.headers["location"].startswith("/requests/sent/")
    [row] = _requests(app)
    assert (row.state, row.channel, row.requester_kind) == ("received", "portal", "self")
    assert row.rights == ["access", "erasure"]
    assert row.received_on == date(2026, 11, 25)  # RULES: SAR-01: the day it arrived
    assert row.due_on == date(2026, 12, 29)  # RULES: SAR-03: off Christmas and a weekend
    with _unit(app) as uow:
        raw = uow.session.execute(
            text("SELECT requester_sealed FROM rights_requests WHERE id = :i"), {"i": row.id}
        ).scalar_one()
        assert b"Jane Doe" not in bytes(raw)
        assert b"example.com" not in bytes(raw)
        requester = requester_of(uow, row)
        assert (requester.name, requester.email) == ("Jane Doe", "jane.doe@example.com")
        [message] = uow.session.scalars(select(OutboxMessage)).all()
        assert (message.kind, message.request_id, message.key_id) == (
            "request_acknowledged",
            row.id,
            row.key_id,
        )
        mime = open_message(uow, message, MAIL)
    assert mime["To"] == "jane.doe@example.com"
    body = mime.get_body(("plain",)).get_content()
    assert row.ref in body
    assert "29 December 2026" in body
    assert "a copy of your data (access)" in body
    status_url = next(w for w in body.split() if "/requests/status/" in w)
    assert status_url.startswith("http://127.0.0.1:8000/requests/status/")
    received = [e for e in _audit(app) if e.action == "request.received"]
    assert [(e.actor, e.entity_id) for e in received] == [("public:portal", row.ref)]
    assert "Jane" not in str(received[0].details)
    assert "example" not in str(received[0].details)

    thanks = client.get(answer.headers["location"])
    assert thanks.status_code == 200
    assert thanks.headers["cache-control"] == "no-store"
    assert row.ref in thanks.text
    assert "29 December 2026" in thanks.text
    assert "We have emailed you an acknowledgement" in thanks.text
    assert status_url in thanks.text

    status = client.get(_path(status_url))
    assert status.status_code == 200
    assert status.headers["cache-control"] == "no-store"
    soup = BeautifulSoup(status.text, "html.parser")
    facts = soup.find("dl", class_="facts").get_text(" ", strip=True)
    assert row.ref in facts
    assert "We have your request" in facts
    assert "25 November 2026" in facts
    assert "29 December 2026" in facts
    assert "Acme Widgets" in soup.find(class_="eyebrow").get_text()
    assert "To delete your data (erasure)" in soup.get_text()
    # Their name, so they know the link is theirs; never their contact details.
    assert "Jane Doe" in status.text
    assert "jane.doe@example.com" not in status.text.lower()


def _audit(app: FastAPI) -> list[AuditEvent]:
    with app.state.session_factory() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def test_without_an_email_it_queues_no_message_and_says_replies_come_by_post(
    app: FastAPI,
) -> None:
    client = _client(app)
    answer = _send(client, email="", address="1 High Street, Leeds LS1 1AA")
    assert answer.status_code == 303
    assert len(_requests(app)) == 1
    assert _messages(app) == 0
    thanks = client.get(answer.headers["location"])
    assert "we will reply by post" in thanks.text
    assert "We have emailed" not in thanks.text


REFUSED = {
    "unknown right": ({"rights": ["access", "telepathy"]}, "only the things listed"),
    "a right twice over": ({"rights": ["access"] * 10}, "each once"),
    "no right ticked": ({"rights": None}, "tick at least one"),
    "no name": ({"name": "  "}, "give your name"),
    "neither email nor address": ({"email": "", "address": ""}, "postal address"),
    "a bad email": ({"email": "jane@"}, "email address does not look right"),
    "an oversized field": ({"words": "x" * 4001}, "own words is too long"),
    "an oversized name": ({"name": "J" * 201}, "name is too long"),
    "a NUL in a field": ({"address": "1 High St\x00"}, "postal address is too long"),
    # RULES: SAR-10: someone acting for the subject says whose behalf and on what authority.
    "a representative without authority": (
        {"for_whom": "other", "requester_kind": "solicitor", "on_behalf_of": "Jo Bloggs"},
        "authority",
    ),
    "a representative without a role": (
        {"for_whom": "other", "on_behalf_of": "Jo Bloggs", "authority": "letter"},
        "in what role",
    ),
    "a representative naming nobody": (
        {"for_whom": "other", "requester_kind": "parent", "authority": "birth certificate"},
        "name of the person",
    ),
    "a forged role": (
        {"for_whom": "other", "requester_kind": "self", "on_behalf_of": "Jo", "authority": "x"},
        "in what role",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_bad_input_is_refused_with_what_was_typed_and_nothing_is_stored(
    app: FastAPI, case: str
) -> None:
    changes, words = REFUSED[case]
    client = _client(app)
    answer = _send(client, phone="0113 496 0000", **changes)
    assert answer.status_code == 422
    assert words in answer.text.lower()
    assert "Your request was not sent" in answer.text
    soup = BeautifulSoup(answer.text, "html.parser")
    assert soup.find("input", id="p-phone")["value"] == "0113 496 0000"  # kept as typed
    assert (
        soup.find("textarea", id="p-words")
        .get_text()
        .startswith(FORM["words"] if "words" not in changes else "xxx")
    )
    assert _requests(app) == []
    assert _messages(app) == 0
    refusals = [e for e in _audit(app) if e.action == "web.input_refused"]
    assert [e.details["code"] for e in refusals] == ["request_invalid"]
    assert "Jo" not in str(refusals[0].details)
    assert "Jane" not in str(refusals[0].details)
    assert "request.received" not in audit_actions(app)


def test_a_post_without_the_forms_cookie_is_refused_as_forged(app: FastAPI) -> None:
    client = _client(app)
    token = csrf_from(client.get(FORM_PATH).text)
    client.cookies.clear()  # a cross-site post carries no cookie of ours
    answer = client.post(FORM_PATH, data={**FORM, "csrf_token": token})
    assert answer.status_code == 403
    missing = _client(app)
    missing.get(FORM_PATH)
    assert missing.post(FORM_PATH, data=FORM).status_code == 403  # no token in the form
    assert _requests(app) == []
    assert audit_actions(app).count("security.csrf_refused") == 2


def test_a_date_in_the_form_is_ignored_the_request_arrived_today(app: FastAPI) -> None:
    # RULES: SAR-01: the portal's request arrives when it is sent; no day can be chosen.
    answer = _send(_client(app), received_on="2030-01-01")
    assert answer.status_code == 303
    [row] = _requests(app)
    assert row.received_on == date(2026, 11, 25)


def test_a_late_summer_evening_request_arrived_on_the_uk_day(
    app: FastAPI, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 6, 30, 23, 30, tzinfo=UTC))  # 00:30 on 1 July in BST
    answer = _send(_client(app))
    assert answer.status_code == 303
    [row] = _requests(app)
    assert row.received_on == date(2026, 7, 1)


def test_someone_acting_for_the_subject_with_authority_opens_a_request(app: FastAPI) -> None:
    answer = _send(
        _client(app),
        for_whom="other",
        requester_kind="attorney",
        on_behalf_of="Arthur Doe",
        authority="Lasting power of attorney for property and financial affairs",
    )
    assert answer.status_code == 303
    [row] = _requests(app)
    assert row.requester_kind == "attorney"
    with _unit(app) as uow:
        requester = requester_of(uow, row)
    assert requester.on_behalf_of == "Arthur Doe"
    assert requester.authority.startswith("Lasting power of attorney")


def test_someone_asking_for_themselves_leaves_no_stray_authority(app: FastAPI) -> None:
    # Fields of the "someone else" part typed and then abandoned are not kept.
    _send(_client(app), for_whom="self", requester_kind="solicitor", on_behalf_of="Jo")
    [row] = _requests(app)
    assert row.requester_kind == "self"
    with _unit(app) as uow:
        assert requester_of(uow, row).on_behalf_of == ""


def _without_portability(app: FastAPI) -> None:
    source = (FIXTURES / "registers" / "acme.yaml").read_text(encoding="utf-8")
    line = next(x for x in source.splitlines(keepends=True) if "{right: access," in x)
    changed = source.replace(
        line,
        line + "    - {right: portability, applies: not_applicable, description: We rely on "
        "legitimate interests and portability does not apply.}\n",
    )
    assert changed != source
    with _unit(app) as uow:
        store_register(uow, parse_register(changed, "acme.yaml"))
        uow.commit()


def test_a_right_the_register_says_does_not_apply_is_offered_kept_and_explained(
    app: FastAPI,
) -> None:
    _without_portability(app)
    client = _client(app)
    soup = BeautifulSoup(client.get(FORM_PATH).text, "html.parser")
    box = soup.find("input", attrs={"name": "rights", "value": "portability"})
    assert box is not None  # offered, never dropped
    why = soup.find(id=box["aria-describedby"]).get_text()
    assert "You can still ask" in why
    assert "explain" in why
    answer = _send(client, rights=["portability", "access"])
    assert answer.status_code == 303
    [row] = _requests(app)
    assert row.rights == ["portability", "access"]
    assert row.not_offered == ["portability"]
    status = BeautifulSoup(client.get(answer.headers["location"]).text, "html.parser")
    items = [li.get_text(" ", strip=True) for li in status.select("ul li")]
    assert any(i.startswith("Your data to take elsewhere") and "explain" in i for i in items)
    assert any(i.startswith("A copy of your data") and "explain" not in i for i in items)


def _status_path(app: FastAPI, clock: FixedClock, row: RightsRequest) -> str:
    token, _ = status_link_token(app.state.secret_key, clock, row)
    return f"/requests/status/{token}"


def test_the_status_page_follows_the_request_through_its_steps(
    app: FastAPI, clock: FixedClock
) -> None:
    client = _client(app)
    _send(client)
    [row] = _requests(app)
    path = _status_path(app, clock, row)
    step = Step(actor="user:u_case", on=date(2026, 11, 25), note="Please send ID")
    with _unit(app) as uow:
        take_step(uow, ORG, row.ref, "ask_identity", step)
        uow.commit()
    waiting = BeautifulSoup(client.get(path).text, "html.parser")
    assert "waiting for proof of who you are" in waiting.find(class_="panel").get_text()
    # RULES: SAR-05: no clock runs while identity is awaited.
    assert "has not started" in waiting.find("dl", class_="facts").get_text()
    assert "Please send ID" not in waiting.text  # the caseworker's note stays with staff
    with _unit(app) as uow:
        take_step(uow, ORG, row.ref, "verify_identity", step, "document")
        take_step(uow, ORG, row.ref, "extend", step)
        uow.commit()
    # RULES: SAR-04: three months from the day the clock started, and said so.
    extended = BeautifulSoup(client.get(path).text, "html.parser")
    facts = extended.find("dl", class_="facts").get_text(" ", strip=True)
    assert "25 February 2027" in facts
    assert "the time was extended" in facts
    with _unit(app) as uow:
        # SAR-07: every dataset searched and the answer put together before it goes out.
        finish_tasks(uow, ORG, row.ref)
        take_step(uow, ORG, row.ref, "respond", step)
        uow.commit()
    answered = BeautifulSoup(client.get(path).text, "html.parser")
    assert "We have answered your request" in answered.find(class_="panel").get_text()
    assert "Due by" not in answered.text


def test_a_bad_status_link_is_refused_clearly_and_audited(app: FastAPI, clock: FixedClock) -> None:
    client = _client(app)
    _send(client)
    [row] = _requests(app)
    good = _status_path(app, clock, row)
    assert client.get(good).status_code == 200
    body, _, mac = good.rsplit("/", 1)[1].partition(".")
    tampered = f"/requests/status/{body}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}"
    # A link to another request (signed by us, naming a ref that is not this one's).
    other, _ = sign_link(app.state.secret_key, clock, ORG, "q_0000000000000000", 30, _purpose())
    # A preferences link never opens a status page, though signed by the same key.
    preferences, _ = sign_link(app.state.secret_key, clock, ORG, row.ref, 7)
    for path, status, words in (
        (tampered, 404, "not valid"),
        ("/requests/status/not-a-link", 404, "not valid"),
        (f"/requests/status/{other}", 404, "no longer leads to a request"),
        (f"/requests/status/{preferences}", 404, "not valid"),
        (tampered.replace("/status/", "/sent/"), 404, "not valid"),
    ):
        answer = client.get(path)
        assert answer.status_code == status, path
        assert words in answer.text
        assert row.ref not in answer.text
    clock.advance(timedelta(days=181))  # the link lives 180 days
    expired = client.get(good)
    assert expired.status_code == 410
    assert "has expired" in expired.text
    assert row.ref not in expired.text
    refused = [e for e in _audit(app) if e.action == "portal.link_refused"]
    assert [e.details["code"] for e in refused] == [
        "link_invalid",
        "link_invalid",
        "request_not_found",
        "link_invalid",
        "link_invalid",
        "link_expired",
    ]
    assert all(e.details["link"] == "request_status" for e in refused)


def _purpose() -> Any:
    from dataward.accounts.links import REQUEST_STATUS

    return REQUEST_STATUS


def test_an_organisation_that_does_not_exist_has_no_form(app: FastAPI) -> None:
    client = _client(app)
    assert client.get("/orgs/no_such_org/request").status_code == 404
    token = csrf_from(client.get(FORM_PATH).text)
    # The form's cookie is scoped to the real organisation's path: refused as forged.
    assert (
        client.post("/orgs/no_such_org/request", data={**FORM, "csrf_token": token}).status_code
        == 403
    )
    nonce = client.cookies.get("dataward_login", path=FORM_PATH)
    assert nonce
    client.cookies.set("dataward_login", nonce, path="/orgs/no_such_org/request")
    answer = client.post("/orgs/no_such_org/request", data={**FORM, "csrf_token": token})
    assert answer.status_code == 404
    assert _requests(app) == []


def test_one_client_sending_too_many_requests_is_held_back(app: FastAPI) -> None:
    client = _client(app)
    for _ in range(3):
        assert _send(client).status_code == 303
    held = _send(client)
    assert held.status_code == 429
    assert "too many requests" in held.text.lower()
    assert "Acme Widgets" in held.text
    assert len(_requests(app)) == 3
    codes = [e.details["code"] for e in _audit(app) if e.action == "web.input_refused"]
    assert codes == ["request_limit_reached"]


def test_a_form_over_the_body_cap_is_refused_and_nothing_is_stored(app: FastAPI) -> None:
    answer = _send(_client(app), words="x" * (70 * 1024))  # the form gate allows 64 KiB
    assert answer.status_code == 413
    assert _requests(app) == []
    assert _messages(app) == 0
