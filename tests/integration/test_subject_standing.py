"""The subject page shows where a subject stands and lets staff act on it (issue 15, item 1).

Before, the page said "No consent or preference is recorded yet" while its own timeline
showed a consent and an objection. Now it lists the decision for every purpose and
marketing channel (the decision API's answer, with its reason) and the consents, objections
and restrictions behind them; each action is confirmed first and audited under the
caseworker's name. Rules: CON-* (consent), OBJ-01, OBJ-02, RES-01.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from consent_support import SHOP, customer, load_shop
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import fresh_console_app, signed_in

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.uow import UnitOfWork


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


@pytest.fixture
def ann(app: FastAPI) -> str:
    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        load_shop(uow)
        ref = customer(uow, "ann@example.com", "07400 123456")
        uow.commit()
    return ref


def _page(client: TestClient, ref: str) -> BeautifulSoup:
    answer = client.get(f"/console/subjects/{SHOP}/{ref}")
    assert answer.status_code == 200, answer.text
    return BeautifulSoup(answer.text, "html.parser")


def _csrf(soup: BeautifulSoup) -> str:
    field = soup.find("input", attrs={"name": "csrf_token"})
    assert field is not None, "the page has no form"
    return str(field["value"])


def _answers(soup: BeautifulSoup) -> dict[tuple[str, str], str]:
    """(purpose id, channel) -> "yes"/"no", as the decisions table shows them."""
    table = soup.find("table", class_="decisions")
    found = {}
    for tr in table.tbody.find_all("tr"):
        purpose = tr.th.code.get_text()
        cells = tr.find_all("td")
        found[(purpose, cells[0].get_text(strip=True))] = cells[1].get_text(strip=True)
    return found


def _post(client: TestClient, ref: str, path: str, data: dict[str, object]) -> BeautifulSoup:
    """Post a form, check the confirmation page, confirm, follow the redirect."""
    soup = _page(client, ref)
    base = f"/console/subjects/{SHOP}/{ref}"
    fields = {**data, "csrf_token": _csrf(soup)}
    asked = client.post(base + path, data=fields)
    assert asked.status_code == 200, asked.text  # the confirmation page, nothing done yet
    confirm = BeautifulSoup(asked.text, "html.parser")
    assert confirm.find("input", attrs={"name": "confirm", "value": "yes"}) is not None
    done = client.post(base + path, data={**fields, "confirm": "yes"})
    assert done.status_code == 303
    assert done.headers["location"] == base
    return _page(client, ref)


def _actions(app: FastAPI, prefix: str) -> list[tuple[str, str]]:
    with app.state.session_factory() as session:
        rows = session.scalars(
            select(AuditEvent).where(AuditEvent.action.startswith(prefix)).order_by(AuditEvent.seq)
        )
        return [(r.action, r.actor) for r in rows]


def test_the_page_shows_each_decision_and_no_longer_contradicts_itself(
    app: FastAPI, ann: str
) -> None:
    client = signed_in(app, "case@shop.example", "caseworker")
    soup = _page(client, ann)
    text = soup.get_text(" ")
    assert "arrives with the consent feature" not in text
    answers = _answers(soup)
    assert answers[("sales", "")] == "yes"  # contract
    assert answers[("loyalty_photos", "")] == "no"  # consent, none recorded
    assert answers[("offers", "sms")] == "no"  # PECR: consent needed for texts
    assert answers[("offers", "post")] == "yes"  # legitimate interests by post
    reason = soup.find("table", class_="decisions").get_text(" ")
    assert "no_consent" in reason  # the stable code is shown with the words


def test_recording_and_withdrawing_consent_is_confirmed_and_audited(app: FastAPI, ann: str) -> None:
    client = signed_in(app, "case@shop.example", "caseworker")
    before = _actions(app, "consent.")
    # Without confirming, nothing is recorded.
    soup = _page(client, ann)
    asked = client.post(
        f"/console/subjects/{SHOP}/{ann}/consent",
        data={
            "purpose": "loyalty_photos",
            "method": "paper",
            "evidence": "Signed photo form 12, filed",
            "csrf_token": _csrf(soup),
        },
    )
    assert asked.status_code == 200
    assert "Record consent" in asked.text
    assert _actions(app, "consent.") == before
    soup = _post(
        client,
        ann,
        "/consent",
        {"purpose": "loyalty_photos", "method": "paper", "evidence": "Signed photo form 12"},
    )
    assert _answers(soup)[("loyalty_photos", "")] == "yes"
    consents = soup.find("table", class_="consents").get_text(" ")
    assert "loyalty_photos" in consents
    assert "given" in consents
    given = _actions(app, "consent.")[len(before) :]
    assert len(given) == 1
    assert given[0][1].startswith("user:")
    soup = _post(
        client,
        ann,
        "/consent/withdraw",
        {"purpose": "loyalty_photos", "channel": "", "method": "phone"},
    )
    assert _answers(soup)[("loyalty_photos", "")] == "no"
    assert "withdrawn" in soup.find("table", class_="consents").get_text(" ")


def test_a_marketing_objection_stops_that_channel_at_once(app: FastAPI, ann: str) -> None:
    client = signed_in(app, "case@shop.example", "caseworker")
    assert _answers(_page(client, ann))[("offers", "post")] == "yes"
    soup = _post(
        client,
        ann,
        "/objection",
        {"kind": "direct_marketing", "channels": ["post"], "method": "phone"},
    )
    answers = _answers(soup)
    assert answers[("offers", "post")] == "no"  # OBJ-02: absolute and immediate
    assert "direct marketing by post" in soup.find("table", class_="objections").get_text(" ")
    assert [a for a, _ in _actions(app, "objection.")] == ["objection.direct_marketing"]


def test_an_li_objection_stops_processing_until_decided(app: FastAPI, ann: str) -> None:
    client = signed_in(app, "case@shop.example", "caseworker")
    assert _answers(_page(client, ann))[("fraud_checks", "")] == "yes"
    soup = _post(
        client,
        ann,
        "/objection",
        {"kind": "legitimate_interests", "purposes": ["fraud_checks"], "method": "email"},
    )
    assert _answers(soup)[("fraud_checks", "")] == "no"  # OBJ-01: stopped while pending
    row = soup.find("table", class_="objections").tbody.tr
    ref = row.th.code.get_text()
    assert "pending" in row.get_text(" ")
    soup = _post(
        client,
        ann,
        f"/objection/{ref}/decide",
        {"outcome": "upheld", "reasons": "No compelling grounds found"},
    )
    assert "upheld" in soup.find("table", class_="objections").get_text(" ")
    assert _answers(soup)[("fraud_checks", "")] == "no"


def test_a_restriction_is_lifted_only_after_the_subject_is_told(app: FastAPI, ann: str) -> None:
    client = signed_in(app, "case@shop.example", "caseworker")
    soup = _post(client, ann, "/restriction", {"ground": "accuracy_contested"})
    assert set(_answers(soup).values()) == {"no"}  # RES-01: all processing restricted
    ref = soup.find("table", class_="restrictions").tbody.tr.th.code.get_text()
    # Lifting before telling the subject is refused with the reason; nothing changes.
    base = f"/console/subjects/{SHOP}/{ref}"
    refused = client.post(
        f"/console/subjects/{SHOP}/{ann}/restriction/{ref}/lift",
        data={"csrf_token": _csrf(soup), "confirm": "yes"},
    )
    assert refused.status_code == 303
    soup = _page(client, ann)
    assert "tell the subject before lifting" in soup.get_text(" ").lower()
    assert soup.find("table", class_="restrictions") is not None
    soup = _post(client, ann, f"/restriction/{ref}/told", {})
    soup = _post(client, ann, f"/restriction/{ref}/lift", {})
    assert soup.find("table", class_="restrictions") is None
    assert _answers(soup)[("sales", "")] == "yes"
    assert base  # the restriction's own path is never a page


def test_a_missing_field_is_refused_before_the_confirmation(app: FastAPI, ann: str) -> None:
    client = signed_in(app, "case@shop.example", "caseworker")
    soup = _page(client, ann)
    answer = client.post(
        f"/console/subjects/{SHOP}/{ann}/consent",
        data={"method": "paper", "evidence": "x", "csrf_token": _csrf(soup)},
    )
    assert answer.status_code == 303
    assert "purpose is required" in _page(client, ann).get_text(" ").lower()


def test_roles_without_subjects_write_cannot_act(app: FastAPI, ann: str) -> None:
    auditor = signed_in(app, "audit@shop.example", "auditor")
    answer = auditor.post(
        f"/console/subjects/{SHOP}/{ann}/restriction", data={"ground": "unlawful", "confirm": "yes"}
    )
    assert answer.status_code == 403
    assert _actions(app, "restriction.") == []
