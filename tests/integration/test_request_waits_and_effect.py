"""What a waiting request says it waits for, and the day an objection or a withdrawal took
effect in the response letter (issue 16).

Rules: SAR-05 (asking for proof stops the clock), SAR-10 (a representative's authority),
OBJ-02 (an objection to marketing takes effect at once). Dates are explicit.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from bs4 import BeautifulSoup
from consent_support import SHOP, customer, load_shop
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import ORG, fresh_console_app, signed_in

from dataward.clock import FixedClock
from dataward.requests.authority import AuthorityCheck, ask_for_authority, record_authority
from dataward.requests.letters import letter_for, letters_of
from dataward.requests.models import RightsRequest
from dataward.requests.service import NewRequest, Requester, get_request, open_request
from dataward.requests.status_links import status_link_token
from dataward.requests.status_view import status_of
from dataward.requests.transitions import Step, ask_for_identity, link_subject, respond
from dataward.requests.waits import waits_for_authority
from dataward.uow import UnitOfWork

CASE = "user:u_case"
FIRM = Requester(
    name="Sam Law", email="sam@firm.example", on_behalf_of="Jane Doe", authority="letter"
)
AUTHORITY_WORDS = "the authority of the person acting for you"
ACCEPTED = AuthorityCheck(
    outcome="accepted", evidence="signed_authority", description="Signed by Jane Doe"
)


@pytest.fixture
def shop(uow: UnitOfWork, clock: FixedClock) -> UnitOfWork:
    load_shop(uow)
    uow.commit()
    clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    return uow


def _firm_request(uow: UnitOfWork, organisation: str = SHOP) -> RightsRequest:
    new = NewRequest(organisation, ("access",), "post", date(2026, 5, 1), FIRM, "solicitor")
    row = open_request(uow, new, actor=CASE)
    uow.commit()
    return row


def _text(uow: UnitOfWork, row: RightsRequest, kind: str) -> str:
    return " ".join(letter_for(uow, row, kind).text.split())


def test_an_authority_ask_reads_as_one_everywhere_until_identity_is_asked(
    shop: UnitOfWork,
) -> None:
    # RULES: SAR-05, SAR-10
    row = _firm_request(shop)
    assert not waits_for_authority(shop, row)  # received: it waits for nothing
    ask_for_authority(shop, SHOP, row.ref, Step(CASE, date(2026, 5, 2), "A signed form"))
    shop.commit()
    assert waits_for_authority(shop, row)
    status = status_of(row, waiting_for_authority=True)
    assert AUTHORITY_WORDS in status.state
    assert status.waiting_for is not None
    assert status.waiting_for.startswith(AUTHORITY_WORDS)
    assert "identity" not in status.state + status.waiting_for
    letter = letter_for(shop, row, "identity_needed")
    assert letter.title == "We need the authority of the person acting for you"
    text = _text(shop, row, "identity_needed")
    assert f"We are waiting for {AUTHORITY_WORDS}" in text
    assert "A signed form" in text  # the step's note says what is needed
    assert "proof of your identity" not in text
    [entry] = [e for e in letters_of(shop, row) if e.kind == "identity_needed"]
    assert (entry.title, entry.on) == ("Authority needed (SAR-10)", date(2026, 5, 2))
    # Accepted, then identity asked for: the wait is identity again, and so are the words.
    record_authority(shop, SHOP, row.ref, ACCEPTED, Step(CASE, date(2026, 5, 3)))
    assert not waits_for_authority(shop, row)  # working on it again
    ask_for_identity(shop, SHOP, row.ref, Step(CASE, date(2026, 5, 4)))
    shop.commit()
    assert row.state == "awaiting_identity"
    assert not waits_for_authority(shop, row)
    assert letter_for(shop, row, "identity_needed").title == "We need proof of your identity"
    assert "proof of your identity" in _text(shop, row, "identity_needed")
    assert "proof of identity" in status_of(row).state


def test_a_subject_asked_for_identity_is_never_told_about_authority(shop: UnitOfWork) -> None:
    new = NewRequest(SHOP, ("access",), "post", date(2026, 5, 1), Requester(name="Ann"))
    row = open_request(shop, new, actor=CASE)
    ask_for_identity(shop, SHOP, row.ref, Step(CASE, date(2026, 5, 2)))
    shop.commit()
    assert not waits_for_authority(shop, row)
    assert AUTHORITY_WORDS not in _text(shop, row, "identity_needed")
    assert "proof of identity" in status_of(row).state


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


def test_the_status_page_and_the_console_say_the_authority_is_awaited(app: FastAPI) -> None:
    with UnitOfWork(app.state.session_factory, app.state.clock, app.state.vault) as uow:
        new = NewRequest(ORG, ("access",), "post", date(2026, 11, 2), FIRM, "solicitor")
        row = open_request(uow, new, actor=CASE)
        ask_for_authority(uow, ORG, row.ref, Step(CASE, date(2026, 11, 3)))
        uow.commit()
        token, _ = status_link_token(app.state.secret_key, uow.clock, row)
        ref = row.ref
    status = TestClient(app).get(f"/requests/status/{token}")
    assert status.status_code == 200
    words = " ".join(BeautifulSoup(status.text, "html.parser").get_text(" ").split())
    assert f"We are waiting for {AUTHORITY_WORDS}" in words
    assert "waiting for proof of identity" not in words
    console = signed_in(app, "case@acme.example", "caseworker")
    page = BeautifulSoup(console.get(f"/console/requests/{ORG}/{ref}").text, "html.parser")
    lead = page.find("p", class_="lead").get_text(" ")
    assert "awaiting the authority of the person acting for the subject" in lead
    assert "awaiting identity" not in lead


def test_the_response_says_the_day_the_objection_took_effect(
    shop: UnitOfWork, clock: FixedClock
) -> None:
    # RULES: OBJ-02: at once, on the day the request had its subject, not the response's day.
    clock.set(datetime(2026, 4, 3, 10, 0, tzinfo=UTC))
    subject = customer(shop)
    new = NewRequest(
        SHOP,
        ("objection_direct_marketing",),
        "email",
        date(2026, 4, 3),
        Requester(name="Ann", email="ann@example.com"),
        subject_ref=subject,
    )
    at_once = open_request(shop, new, actor=CASE)
    ann = Requester(name="Ann", email="ann@example.com")
    withdrawal = NewRequest(SHOP, ("withdraw_consent",), "email", date(2026, 4, 3), ann)
    later = open_request(shop, withdrawal, actor=CASE)  # no subject yet: nothing took effect
    shop.commit()
    clock.set(datetime(2026, 4, 5, 10, 0, tzinfo=UTC))
    link_subject(shop, SHOP, later.ref, subject, Step(CASE, date(2026, 4, 5)))
    shop.commit()
    clock.set(datetime(2026, 4, 9, 10, 0, tzinfo=UTC))
    for row in (at_once, later):
        respond(shop, SHOP, row.ref, Step(CASE, date(2026, 4, 9)))
    shop.commit()
    objection = _text(shop, get_request(shop, SHOP, at_once.ref), "response")
    assert "Your objection to marketing took effect on 3 April 2026." in objection
    withdrawn = _text(shop, get_request(shop, SHOP, later.ref), "response")
    assert "Your withdrawal of consent took effect on 5 April 2026." in withdrawn


def test_without_a_subject_the_response_says_the_respond_day(
    shop: UnitOfWork, clock: FixedClock
) -> None:
    clock.set(datetime(2026, 4, 3, 10, 0, tzinfo=UTC))
    new = NewRequest(SHOP, ("withdraw_consent",), "email", date(2026, 4, 3), Requester(name="A"))
    row = open_request(shop, new, actor=CASE)
    clock.set(datetime(2026, 4, 9, 10, 0, tzinfo=UTC))
    respond(shop, SHOP, row.ref, Step(CASE, date(2026, 4, 8)))
    shop.commit()
    assert "took effect on 8 April 2026." in _text(shop, row, "response")
