"""The portal's complaint form, the acknowledgement, the status page and letters (issue 17).

Rules: CMP-01 (easy to complain, e.g. an electronic form; acknowledged within 30 days; the
outcome without undue delay; anyone, or someone acting for them, SAR-10). The test clock
is 25 November 2026, 09:30 UTC; the fixture register states the ICO route and a statement
but promises no outcome time, so nothing claims one.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from web_support import FIXTURES, ORG, audit_actions, console_app, csrf_from, signed_in

from dataward.accounts.links import COMPLAINT_STATUS, REQUEST_STATUS, sign_link
from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.complaints.letters import letter_for
from dataward.complaints.models import Complaint
from dataward.complaints.service import complainant_of
from dataward.complaints.status_links import status_link_token
from dataward.complaints.steps import Step, close, investigate
from dataward.outbox.config import MailSettings
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import open_message
from dataward.publication.registers import store_register
from dataward.register.loader import parse_register
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.status_links import status_link_token as request_link
from dataward.uow import UnitOfWork

FORM_PATH = f"/orgs/{ORG}/complain"
FORM: dict[str, Any] = {
    "words": "You sent my bank details to my neighbour.",
    "theme": "disclosure",
    "about": "A letter of 3 November",
    "request_ref": "",
    "for_whom": "self",
    "name": "Jane Doe",
    "email": "Jane.Doe@Example.com",
    "phone": "",
    "address": "",
    "reply_by": "email",
}
MAIL = MailSettings(mail_from="privacy@acme.example")
TODAY = date(2026, 11, 25)
EXPLANATION = "We sent your letter to the wrong address.\n\nWe have trained the team."


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


def _complaints(app: FastAPI) -> list[Complaint]:
    with _unit(app) as uow:
        rows = list(uow.session.scalars(select(Complaint)))
        for row in rows:
            uow.session.expunge(row)
        return rows


def _messages(app: FastAPI) -> list[OutboxMessage]:
    with _unit(app) as uow:
        rows = list(uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.created_at)))
        for row in rows:
            uow.session.expunge(row)
        return rows


def _audit(app: FastAPI) -> list[AuditEvent]:
    with app.state.session_factory() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def _client(app: FastAPI) -> TestClient:
    return TestClient(app, follow_redirects=False)


def _send(client: TestClient, **changes: Any) -> Any:
    page = client.get(FORM_PATH)
    assert page.status_code == 200
    data = {**FORM, **changes, "csrf_token": csrf_from(page.text)}
    return client.post(FORM_PATH, data={k: v for k, v in data.items() if v is not None})


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


def _body(app: FastAPI, message: OutboxMessage) -> str:
    with _unit(app) as uow:
        mime = open_message(uow, uow.session.get(OutboxMessage, message.id), MAIL)  # type: ignore[arg-type]
    assert mime["To"] == "jane.doe@example.com"
    return str(mime.get_body(("plain",)).get_content())


def _with_outcome_days(app: FastAPI, days: int, extra: str = "") -> None:
    source = (FIXTURES / "registers" / "acme.yaml").read_text(encoding="utf-8")
    route = 'statement: "You can complain to the ICO."}'
    assert route in source
    added = f", outcome_within_days: {days}{extra}}}"
    changed = source.replace(route, route.removesuffix("}") + added)
    with _unit(app) as uow:
        store_register(uow, parse_register(changed, "acme.yaml"))
        uow.commit()


def test_the_form_shows_the_registers_route_and_promises_no_time_it_does_not_state(
    app: FastAPI,
) -> None:
    """CMP-01: an easy electronic form; the ICO route from the register; no default promise."""
    page = _client(app).get(FORM_PATH)
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert f"Path={FORM_PATH}" in page.headers["set-cookie"]
    soup = BeautifulSoup(page.text, "html.parser")
    assert "You can complain to the ICO." in soup.get_text()
    assert soup.find("a", href="https://ico.org.uk/make-a-complaint/") is not None
    assert "you can also complain to the information commissioner" in page.text.lower()
    assert "within" not in soup.find(class_="lead").get_text()
    assert "days" not in soup.find(class_="lead").get_text()
    themes = [o.get_text() for o in soup.select('select[name="theme"] option')]
    assert "We shared or showed your data when we should not have" in themes
    kinds = [o["value"] for o in soup.select('select[name="complainant_kind"] option')]
    assert "solicitor" in kinds
    assert "self" not in kinds
    assert soup.select_one('input[name="reply_by"][value="post"]') is not None


def test_the_form_says_the_outcome_time_only_when_the_register_promises_one(
    app: FastAPI,
) -> None:
    """CMP-01: the outcome time is the register's promise, said only when it is made."""
    _with_outcome_days(app, 28)
    page = _client(app).get(FORM_PATH)
    assert "we aim to give you our outcome within 28 days" in page.text.lower()


def test_the_form_and_letters_say_to_complain_to_us_first_only_as_the_register_does(
    app: FastAPI,
) -> None:
    """CMP-01: the ICO expects the controller first; how firmly is the register's to say."""
    _with_outcome_days(app, 28, ", before_ico: required")
    page = _client(app).get(FORM_PATH)
    assert "Please let us look into your complaint first." in page.text
    assert _send(_client(app)).status_code == 303
    [row] = _complaints(app)
    with _unit(app) as uow:
        letter = letter_for(uow, row, "acknowledgement")
    words = " ".join(letter.text.split())  # the plain text is wrapped at 78 columns
    assert "If you are still unhappy after our outcome, you can then complain" in words


def test_the_portal_home_and_the_notice_link_to_the_complaint_form(app: FastAPI) -> None:
    client = _client(app)
    home = BeautifulSoup(client.get("/").text, "html.parser")
    assert home.find("a", href=FORM_PATH) is not None
    notice = BeautifulSoup(client.get(f"/orgs/{ORG}/notice").text, "html.parser")
    link = notice.find("a", href=FORM_PATH)
    assert link is not None
    assert "complaint" in link.get_text().lower()


def test_a_complaint_is_opened_acknowledged_at_once_and_emailed_a_status_link(
    app: FastAPI,
) -> None:
    """CMP-01: received today by the portal, acknowledged at once, the complainant told."""
    client = _client(app)
    answer = _send(client)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/complaints/sent/")
    [row] = _complaints(app)
    assert (row.channel, row.state, row.theme) == ("portal", "acknowledged", "disclosure")
    assert (row.received_on, row.acknowledged_on) == (TODAY, TODAY)
    assert row.acknowledge_by == TODAY + timedelta(days=30)
    assert row.outcome_target_on is None  # the register promises no time
    with _unit(app) as uow:
        raw = uow.session.execute(
            text("SELECT complainant_sealed FROM complaints WHERE id = :i"), {"i": row.id}
        ).scalar_one()
        assert b"Jane Doe" not in bytes(raw)
        complainant = complainant_of(uow, row)
    assert complainant.email == "jane.doe@example.com"
    assert complainant.words.startswith("You sent my bank details")
    assert "About: A letter of 3 November" in complainant.words
    [message] = _messages(app)
    assert (message.kind, message.complaint_id, message.key_id, message.request_id) == (
        "complaint_acknowledged",
        row.id,
        row.key_id,
        None,
    )
    body = _body(app, message)
    assert row.ref in body
    assert "25 November 2026" in body
    status_url = next(w for w in body.split() if "/complaints/status/" in w)
    events = _audit(app)
    actions = [(e.action, e.actor) for e in events if e.entity_id == row.ref]
    assert actions == [("complaint.received", "portal"), ("complaint.acknowledged", "portal")]
    queued = [e for e in events if e.action == "outbox.queued"]
    assert queued[0].details["complaint"] == row.ref
    for event in events:
        assert "Jane" not in str(event.details)
        assert "neighbour" not in str(event.details)

    thanks = client.get(answer.headers["location"])
    assert thanks.status_code == 200
    assert thanks.headers["cache-control"] == "no-store"
    assert row.ref in thanks.text
    assert "We have emailed you an acknowledgement" in thanks.text
    assert status_url in thanks.text
    status = client.get(_path(status_url))
    assert status.status_code == 200
    soup = BeautifulSoup(status.text, "html.parser")
    facts = soup.find("dl", class_="facts").get_text(" ", strip=True)
    assert "Acknowledged: we will look into it" in facts
    assert "25 November 2026" in facts
    assert "outcome by" not in facts  # no promise the register does not make
    assert "Jane Doe" in status.text
    assert "jane.doe@example.com" not in status.text.lower()
    assert "neighbour" not in status.text  # their words stay with staff
    with _unit(app) as uow:
        letter = letter_for(uow, row, "acknowledgement")
    # Generated from the register: its ICO address and statement; no time it never promised.
    assert "https://ico.org.uk/make-a-complaint/" in letter.text
    assert "You can complain to the ICO." in letter.text
    assert "aim to" not in letter.text


def test_an_outcome_target_is_set_and_shown_when_the_register_promises_one(
    app: FastAPI,
) -> None:
    """CMP-01: the register's outcome_within_days gives the target, on the page and email."""
    _with_outcome_days(app, 28)
    client = _client(app)
    answer = _send(client)
    [row] = _complaints(app)
    assert row.outcome_target_on == date(2026, 12, 23)
    thanks = client.get(answer.headers["location"])
    assert "23 December 2026" in thanks.text
    [message] = _messages(app)
    assert "we aim to give you our outcome by 23 December 2026" in _body(app, message)
    with _unit(app) as uow:
        letter = letter_for(uow, row, "acknowledgement")
    assert "We aim to give you our outcome by 23 December 2026." in letter.text


def test_a_request_ref_of_the_organisation_is_linked_another_stays_in_the_words(
    app: FastAPI,
) -> None:
    with _unit(app) as uow:
        request = open_request(
            uow,
            NewRequest(ORG, ["access"], "email", TODAY, Requester(name="Jane Doe")),
            actor="user:u_case",
        )
        uow.commit()
        ref = request.ref
    client = _client(app)
    assert _send(client, request_ref=ref.upper()).status_code == 303
    stranger = "q_0123456789abcdef"  # well formed, but not this organisation's
    assert _send(client, request_ref=stranger).status_code == 303
    linked, unlinked = sorted(_complaints(app), key=lambda r: len(r.request_refs), reverse=True)
    assert linked.request_refs == [ref]
    assert unlinked.request_refs == []
    with _unit(app) as uow:
        assert f"Request reference given: {stranger}" in complainant_of(uow, unlinked).words


REFUSED = {
    "empty": ({"words": "   "}, "tell us what happened"),
    "oversized": ({"words": "x" * 8001}, "what happened is too long"),
    "a NUL": ({"address": "1 High St\x00"}, "cannot be stored"),
    "a bad request ref": ({"request_ref": "my request"}, "request reference does not look"),
    "no name": ({"name": ""}, "give your name"),
    "a bad email": ({"email": "jane@"}, "email address does not look right"),
    "no email, no post": ({"email": ""}, "choose a reply by post"),
    "post with no address": ({"reply_by": "post"}, "postal address"),
    "an unknown theme": ({"theme": "aliens"}, "from the list"),
    # SAR-10's kinds: someone acting for the person says in what role and for whom.
    "a representative without a role": (
        {"for_whom": "other", "on_behalf_of": "Jo Bloggs"},
        "in what role",
    ),
    "a representative naming nobody": (
        {"for_whom": "other", "complainant_kind": "parent"},
        "name of the person",
    ),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_bad_input_is_refused_with_what_was_typed_and_nothing_is_stored(
    app: FastAPI, case: str
) -> None:
    """CMP-01: a clear message, the form again (422) as typed, and nothing opened or sent."""
    changes, words = REFUSED[case]
    answer = _send(_client(app), phone="0113 496 0000", **changes)
    assert answer.status_code == 422
    assert words in answer.text.lower()
    assert "Your complaint was not sent" in answer.text
    soup = BeautifulSoup(answer.text, "html.parser")
    assert soup.find("input", id="c-phone")["value"] == "0113 496 0000"
    if "words" not in changes:
        assert soup.find("textarea", id="c-words").get_text() == FORM["words"]
    assert _complaints(app) == []
    assert _messages(app) == []
    refusals = [e for e in _audit(app) if e.action == "web.input_refused"]
    assert [e.details["code"] for e in refusals] == ["complaint_invalid"]
    assert "complaint.received" not in audit_actions(app)


def test_a_representative_complains_for_someone_else(app: FastAPI) -> None:
    """CMP-01/SAR-10: a complaint through someone acting for the person."""
    answer = _send(
        _client(app), for_whom="other", complainant_kind="solicitor", on_behalf_of="Arthur Doe"
    )
    assert answer.status_code == 303
    [row] = _complaints(app)
    assert row.complainant_kind == "solicitor"
    with _unit(app) as uow:
        assert complainant_of(uow, row).on_behalf_of == "Arthur Doe"
        letter = letter_for(uow, row, "acknowledgement")
    assert "on behalf of Arthur Doe" in letter.text


def test_a_reply_by_post_queues_no_email_and_records_the_letter_to_post(app: FastAPI) -> None:
    answer = _send(_client(app), reply_by="post", address="1 High Street, Leeds LS1 1AA")
    assert answer.status_code == 303
    [row] = _complaints(app)
    assert row.state == "acknowledged"
    assert _messages(app) == []
    post = [e for e in _audit(app) if e.action == "complaint.letter_to_post"]
    assert [(e.entity_id, e.details["letter"], e.details["why"]) for e in post] == [
        (row.ref, "acknowledgement", "asked_for_post")
    ]
    thanks = _client(app).get(answer.headers["location"])
    assert "reply by post" in thanks.text


def _status_path(app: FastAPI, clock: FixedClock, row: Complaint) -> str:
    token, _ = status_link_token(app.state.secret_key, clock, row)
    return f"/complaints/status/{token}"


def test_closing_sends_the_outcome_letter_with_the_ico_route_and_the_page_shows_it(
    app: FastAPI, clock: FixedClock
) -> None:
    """CMP-01: the outcome, its explanation and the ICO route reach the complainant."""
    client = _client(app)
    _send(client)
    [row] = _complaints(app)
    path = _status_path(app, clock, row)
    with _unit(app) as uow:
        investigate(uow, ORG, row.ref, Step("user:u_case", TODAY))
        uow.commit()
    page = BeautifulSoup(client.get(path).text, "html.parser")
    assert "Being investigated" in page.find("dl", class_="facts").get_text()
    # Only the acknowledgement has been sent: the outcome letter is not theirs yet.
    assert client.get(f"{path}/letters/outcome").status_code == 404
    assert client.get(f"{path}/letters/acknowledgement").status_code == 200
    with _unit(app) as uow:
        close(uow, ORG, row.ref, "upheld", EXPLANATION, Step("user:u_case", TODAY))
        uow.commit()
    _acknowledgement, outcome = _messages(app)
    assert (outcome.kind, outcome.complaint_id) == ("complaint_outcome", row.id)
    body = _body(app, outcome)
    assert "We upheld your complaint" in body
    assert "We have trained the team." in body
    assert "https://ico.org.uk/make-a-complaint/" in body
    assert "You can complain to the ICO." in body  # the register's statement, quoted
    assert row.ref in body
    closed = client.get(path)
    soup = BeautifulSoup(closed.text, "html.parser")
    assert "We upheld your complaint" in soup.find(class_="panel").get_text()
    assert "We have trained the team." in soup.get_text()
    letters = [a["href"] for a in soup.select(".status-letters a")]
    assert f"{path}/letters/outcome" in letters
    assert f"{path}/letters/outcome?format=pdf" in letters
    letter = client.get(f"{path}/letters/outcome")
    assert letter.status_code == 200
    assert letter.headers["cache-control"] == "no-store"
    assert "The outcome of your complaint" in letter.text
    assert "https://ico.org.uk/make-a-complaint/" in letter.text
    pdf = client.get(f"{path}/letters/outcome?format=pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")


def test_staff_print_a_complaints_letters_and_the_outcome_waits_for_closing(
    app: FastAPI,
) -> None:
    _send(_client(app), reply_by="post", address="1 High Street, Leeds LS1 1AA")
    [row] = _complaints(app)
    staff = signed_in(app, "casey", "caseworker")
    base = f"/console/complaints/{ORG}/{row.ref}/letters"
    ack = staff.get(f"{base}/acknowledgement")
    assert ack.status_code == 200
    assert "1 High Street, Leeds LS1 1AA" in ack.text  # printed to post: addressed
    assert staff.get(f"{base}/outcome").status_code == 409  # not closed yet
    assert staff.get(f"{base}/nonsense").status_code == 422
    with _unit(app) as uow:
        close(uow, ORG, row.ref, "not_upheld", EXPLANATION, Step("user:u_case", TODAY))
        uow.commit()
    pdf = staff.get(f"{base}/outcome.pdf")
    assert pdf.status_code == 200
    assert pdf.content.startswith(b"%PDF")
    post = [e.details["letter"] for e in _audit(app) if e.action == "complaint.letter_to_post"]
    assert post == ["acknowledgement", "outcome"]


def test_a_bad_complaint_status_link_opens_nothing_and_is_audited(
    app: FastAPI, clock: FixedClock
) -> None:
    """A forged, tampered, expired, request-status, preferences or other organisation's
    link opens no complaint (404/410), like a request status link."""
    client = _client(app)
    _send(client)
    [row] = _complaints(app)
    good = _status_path(app, clock, row)
    assert client.get(good).status_code == 200
    body, _, mac = good.rsplit("/", 1)[1].partition(".")
    tampered = f"/complaints/status/{body}.{'A' if mac[0] != 'A' else 'B'}{mac[1:]}"
    secret = app.state.secret_key
    someone_else, _ = sign_link(secret, clock, ORG, "c_0000000000000000", 30, COMPLAINT_STATUS)
    other_org, _ = sign_link(secret, clock, "other_org", row.ref, 30, COMPLAINT_STATUS)
    as_request, _ = sign_link(secret, clock, ORG, row.ref, 30, REQUEST_STATUS)
    preferences, _ = sign_link(secret, clock, ORG, row.ref, 7)
    with _unit(app) as uow:
        request = open_request(
            uow, NewRequest(ORG, ["access"], "email", TODAY, Requester(name="J")), actor="x"
        )
        uow.commit()
        real_request_link = request_link(secret, clock, request)[0]
    for path, words in (
        (tampered, "not valid"),
        ("/complaints/status/not-a-link", "not valid"),
        (f"/complaints/status/{someone_else}", "no longer leads to a complaint"),
        (f"/complaints/status/{other_org}", "no longer leads to a complaint"),
        (f"/complaints/status/{as_request}", "not valid"),
        (f"/complaints/status/{real_request_link}", "not valid"),
        (f"/complaints/status/{preferences}", "not valid"),
        (tampered.replace("/status/", "/sent/"), "not valid"),
        (f"/complaints/status/{as_request}/letters/acknowledgement", "not valid"),
    ):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert words in answer.text
        assert row.ref not in answer.text
    # A complaint link never opens a request's status page either.
    assert client.get(good.replace("/complaints/", "/requests/")).status_code == 404
    clock.advance(timedelta(days=366))  # the link lives a year
    expired = client.get(good)
    assert expired.status_code == 410
    assert "has expired" in expired.text
    refused = [e for e in _audit(app) if e.action == "portal.link_refused" and "link" in e.details]
    complaint_refusals = [
        e.details["code"] for e in refused if e.details["link"] == "complaint_status"
    ]
    assert complaint_refusals == [
        "link_invalid",
        "link_invalid",
        "complaint_not_found",
        "complaint_not_found",
        "link_invalid",
        "link_invalid",
        "link_invalid",
        "link_invalid",
        "link_invalid",
        "link_expired",
    ]


def test_one_client_sending_too_many_complaints_is_held_back(app: FastAPI) -> None:
    client = _client(app)
    for _ in range(3):
        assert _send(client).status_code == 303
    held = _send(client)
    assert held.status_code == 429
    assert "too many complaints" in held.text.lower()
    assert len(_complaints(app)) == 3


def test_a_form_over_the_body_cap_is_refused_and_nothing_is_stored(app: FastAPI) -> None:
    answer = _send(_client(app), words="x" * (70 * 1024))
    assert answer.status_code == 413
    assert _complaints(app) == []
    with _unit(app) as uow:
        assert uow.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_a_step_without_a_link_emails_no_link_and_a_closed_complaint_takes_no_second_letter(
    app: FastAPI,
) -> None:
    """CMP-01: the console's acknowledge (no signed link given) still tells the complainant;
    closing twice is refused and sends nothing more."""
    from dataward.complaints.errors import ComplaintTransitionRefused
    from dataward.complaints.service import Complainant, NewComplaint, open_complaint
    from dataward.complaints.steps import acknowledge

    person = Complainant(name="Jane Doe", email="jane.doe@example.com", words="Lost my file.")
    with _unit(app) as uow:
        row = open_complaint(uow, NewComplaint(ORG, "phone", TODAY, person), actor="user:u")
        acknowledge(uow, ORG, row.ref, Step("user:u", TODAY))
        close(uow, ORG, row.ref, "partly_upheld", EXPLANATION, Step("user:u", TODAY))
        uow.commit()
        with pytest.raises(ComplaintTransitionRefused):
            close(uow, ORG, row.ref, "upheld", EXPLANATION, Step("user:u", TODAY))
    acknowledged, outcome = _messages(app)
    assert "/complaints/status/" not in _body(app, acknowledged)
    body = _body(app, outcome)
    assert "We upheld part of your complaint" in body
    assert "/complaints/status/" not in body
    assert len(_messages(app)) == 2


def test_a_post_without_the_forms_cookie_is_refused_as_forged(app: FastAPI) -> None:
    client = _client(app)
    token = csrf_from(client.get(FORM_PATH).text)
    client.cookies.clear()  # a cross-site post carries no cookie of ours
    assert client.post(FORM_PATH, data={**FORM, "csrf_token": token}).status_code == 403
    assert _complaints(app) == []
    assert audit_actions(app).count("security.csrf_refused") == 1


def test_an_organisation_that_does_not_exist_has_no_complaint_form(app: FastAPI) -> None:
    assert _client(app).get("/orgs/no_such_org/complain").status_code == 404


def test_a_late_summer_evening_complaint_arrived_on_the_uk_day(
    app: FastAPI, clock: FixedClock
) -> None:
    """CMP-01: the 30 days run from the UK day it arrived (00:30 on 1 July in BST)."""
    from datetime import UTC, datetime

    clock.set(datetime(2026, 6, 30, 23, 30, tzinfo=UTC))
    assert _send(_client(app), received_on="2020-01-01").status_code == 303
    [row] = _complaints(app)
    assert (row.received_on, row.acknowledged_on) == (date(2026, 7, 1), date(2026, 7, 1))
    assert row.acknowledge_by == date(2026, 7, 31)
