"""The request's console page lists the reminders sent about it, undeliverable ones
included (issue 16)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from reminder_support import MAIL
from web_support import ORG, csrf_from, fresh_console_app, signed_in

from dataward.clock import FixedClock
from dataward.requests.reminders import send_reminders
from dataward.uow import UnitOfWork


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


def _enter(client: TestClient, received_on: str) -> str:
    csrf = csrf_from(client.get("/console/requests/new").text)
    answer = client.post(
        "/console/requests/new",
        data={
            "org": ORG,
            "rights": ["access"],
            "channel": "post",
            "received_on": received_on,
            "requester_kind": "self",
            "name": "Jane Doe",
            "csrf_token": csrf,
        },
    )
    assert answer.status_code == 303
    return str(answer.headers["location"])


def _panel(client: TestClient, location: str) -> str:
    page = client.get(location)
    assert page.status_code == 200
    heading = BeautifulSoup(page.text, "html.parser").find("h2", id="reminders")
    assert heading is not None
    return str(heading.find_next_sibling().get_text(" "))


def test_the_page_shows_reminders_and_says_when_nobody_could_be_told(
    app: FastAPI, clock: FixedClock
) -> None:
    # The test clock reads 25 November 2026: received 20 October, due 20 November.
    client = signed_in(app, "case@acme.example", "caseworker")
    location = _enter(client, "2026-10-20")
    assert "None yet" in _panel(client, location)
    state = app.state
    with UnitOfWork(state.session_factory, clock, state.vault) as uow:
        # The only user is a caseworker, unassigned: no DPO to fall back on.
        told = send_reminders(uow, today=clock.today(), days=(1, 7), mail=MAIL)
        uow.commit()
    assert (told.total, told.undeliverable) == (1, 1)
    panel = _panel(client, location)
    assert "overdue" in panel
    assert "undeliverable" in panel
    assert "20 November 2026" in panel
