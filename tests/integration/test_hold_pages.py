"""The console's legal holds: the list, a hold's page, placing, review and a confirmed close.

Rules: RET-02 (a hold stops deletion; at closure the register says what follows), ERA-02.
The test clock is 25 November 2026; JTR's register is stored beside the fixture's.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import ORG, add_person, csrf_from, fresh_console_app, signed_in

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.holds.models import LegalHold
from dataward.holds.service import NewHold, place_hold
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.uow import UnitOfWork

JTR = "jtr_collections"
JTR_FILE = Path(__file__).resolve().parents[2] / "examples" / "jtr-collections.yaml"


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    for made in fresh_console_app(database_url, clock, vault):
        with UnitOfWork(made.state.session_factory, clock) as uow:
            store_register(uow, load_register(JTR_FILE), actor="test")
            uow.commit()
        yield made


def _place(app: FastAPI, **fields: object) -> str:
    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        values: dict[str, object] = {
            "organisation": JTR,
            "scope": "case",
            "owner": "dpo@jtr.example",
            "review_on": date(2026, 12, 10),
            "hold_id": "complaint_on_case",
            "case_ref": "C-1",
            **fields,
        }
        row = place_hold(uow, NewHold(**values), actor="test")  # type: ignore[arg-type]
        uow.commit()
        return row.ref


def _form(client: TestClient, url: str, **data: object) -> object:
    csrf = csrf_from(client.get("/console/holds").text)
    return client.post(url, data={**data, "csrf_token": csrf})


def _soup(page: object) -> BeautifulSoup:
    return BeautifulSoup(page.text, "html.parser")  # type: ignore[attr-defined]


def test_ret02_the_list_shows_open_holds_review_due_first_with_the_registers_names(
    app: FastAPI, clock: FixedClock
) -> None:
    later = _place(app, case_ref="C-2", review_on=date(2027, 1, 5))
    sooner = _place(app, case_ref="C-1", review_on=date(2026, 12, 1))
    # Its review day comes: overdue on the test's day, 25 November 2026 -> moved past it.
    clock.set(clock.now().replace(day=26).replace(month=12))
    client = signed_in(app, "case@jtr.example", "caseworker")
    page = client.get("/console/holds")
    assert page.status_code == 200
    rows = _soup(page).select("table.hold-list tbody tr")
    assert [r.th.a.get_text() for r in rows] == [sooner, later]
    assert "review-due" in rows[0].get("class", [])
    assert "review-due" not in (rows[1].get("class") or [])
    text = rows[0].get_text(" ")
    assert "Body worn video recordings" in text  # the register's dataset names
    assert "Complaint on the case" in text
    assert "C-1" in text
    assert "dpo@jtr.example" in text
    # The nav has the link for those who may read holds; an auditor is refused.
    assert _soup(page).select_one('.site-nav a[href="/console/holds"]') is not None
    assert signed_in(app, "aud@jtr.example", "auditor").get("/console/holds").status_code == 403
    # Filtered to closed: none yet.
    closed = client.get("/console/holds?state=closed")
    assert "No closed hold." in closed.text


def test_ret02_a_litigation_hold_is_placed_by_hand_and_shows_on_the_subjects_page(
    app: FastAPI,
) -> None:
    ref = add_person(app)
    client = signed_in(app, "dpo@acme.example", "dpo")
    form = client.get(f"/console/holds/new?org={ORG}&subject={ref}")
    assert form.status_code == 200
    assert f'value="{ref}"' in form.text
    answer = _form(
        client,
        "/console/holds/new",
        org=ORG,
        hold_id="",
        reason="litigation",
        scope="subject",
        subject_ref=ref,
        datasets="crm",
        owner="dpo@acme.example",
        review_on="2027-02-01",
    )
    assert answer.status_code == 303  # type: ignore[attr-defined]
    page = client.get(answer.headers["location"])  # type: ignore[attr-defined]
    assert page.status_code == 200
    facts = _soup(page).find("dl", class_="facts").get_text(" ")
    assert "litigation" in page.text
    assert "1 February 2027" in facts
    assert "placed by hand" in facts
    subject = client.get(f"/console/subjects/{ORG}/{ref}")
    section = _soup(subject).find("table", class_="subject-holds")
    assert section is not None
    assert "litigation" in section.get_text(" ")
    with app.state.session_factory() as session:
        placed = session.scalars(select(AuditEvent).where(AuditEvent.action == "hold.placed"))
        details = [e.details for e in placed]
    assert details
    assert details[0]["reason"] == "litigation"
    assert "Jane" not in str(details)


def test_ret02_a_bad_hold_is_refused_on_the_form_with_what_was_typed(app: FastAPI) -> None:
    client = signed_in(app, "dpo@acme.example", "dpo")
    answer = _form(
        client,
        "/console/holds/new",
        org=JTR,
        hold_id="complaint_on_case",
        scope="case",
        case_ref="",
        record_ref="typed-record",
        owner="dpo@jtr.example",
        review_on="2027-02-01",
    )
    assert answer.status_code == 422  # type: ignore[attr-defined]
    soup = _soup(answer)
    assert "names the case" in soup.get_text()
    assert soup.find("input", id="h-record")["value"] == "typed-record"
    assert soup.find("option", value="complaint_on_case").has_attr("selected")
    with app.state.session_factory() as session:
        assert session.scalars(select(LegalHold)).first() is None


def test_ret02_closing_asks_first_and_says_when_the_held_data_goes(app: FastAPI) -> None:
    """JTR: "deleted 90 days after the complaint is closed": closed 25 November 2026, the
    confirmation names 23 February 2027; only the confirmed post closes the hold."""
    ref = _place(app)
    client = signed_in(app, "dpo@jtr.example", "dpo")
    page = client.get(f"/console/holds/{JTR}/{ref}")
    assert "90 days after closure: on 23 February 2027" in page.text
    asked = _form(client, f"/console/holds/{JTR}/{ref}/close")
    assert asked.status_code == 200  # type: ignore[attr-defined]
    assert "on 23 February 2027" in asked.text  # type: ignore[attr-defined]
    with app.state.session_factory() as session:
        assert session.scalars(select(LegalHold.closed_on)).one() is None
    done = _form(client, f"/console/holds/{JTR}/{ref}/close", confirm="yes")
    assert done.status_code == 303  # type: ignore[attr-defined]
    with app.state.session_factory() as session:
        row = session.scalars(select(LegalHold)).one()
        assert (row.closed_on, row.release_on) == (date(2026, 11, 25), date(2027, 2, 23))
    shown = client.get(f"/console/holds/{JTR}/{ref}")
    assert "23 February 2027" in _soup(shown).find("dl", class_="facts").get_text(" ")
    # Closed: no review or close form, and a second close is refused, nothing changed.
    assert f"/console/holds/{JTR}/{ref}/review" not in shown.text
    again = _form(client, f"/console/holds/{JTR}/{ref}/close", confirm="yes")
    assert again.status_code == 303  # type: ignore[attr-defined]
    assert "closed already" in client.get(f"/console/holds/{JTR}/{ref}").text


def test_ret02_a_review_moves_the_review_day_and_a_past_day_is_refused(app: FastAPI) -> None:
    ref = _place(app)
    client = signed_in(app, "case@jtr.example", "caseworker")
    refused = _form(client, f"/console/holds/{JTR}/{ref}/review", review_on="2026-11-01")
    assert refused.status_code == 303  # type: ignore[attr-defined]
    assert "after today" in client.get(f"/console/holds/{JTR}/{ref}").text
    done = _form(client, f"/console/holds/{JTR}/{ref}/review", review_on="2027-03-01")
    assert done.status_code == 303  # type: ignore[attr-defined]
    with app.state.session_factory() as session:
        assert session.scalars(select(LegalHold.review_on)).one() == date(2027, 3, 1)
