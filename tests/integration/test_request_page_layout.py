"""The request's console page reads top down as a caseworker works it (issue 16).

The clock and what is still to do come first, then who asked and who it is about, the proof
of identity, the tasks, then what was sent, and history last; each part has an h2 with an
anchor the "on this page" list links to.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from web_support import ORG, add_person, fresh_console_app, signed_in

from dataward.clock import FixedClock
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.transitions import Step, withdraw
from dataward.uow import UnitOfWork

ORDER = [
    "clock",
    "steps",
    "who",
    "candidates",
    "verification",
    "tasks",
    "access-package",
    "letters",
]
LATER = ["messages", "reminders"]


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


def _open(app: FastAPI, subject_ref: str | None = None) -> str:
    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        new = NewRequest(
            ORG,
            ("access",),
            "email",
            date(2026, 11, 20),
            Requester(name="Jane Doe", email="jane.doe@example.com"),
            subject_ref=subject_ref,
        )
        ref = open_request(uow, new, actor="user:u_case").ref
        uow.commit()
    return ref


def _page(app: FastAPI, ref: str) -> BeautifulSoup:
    client = signed_in(app, "case@acme.example", "caseworker")
    answer = client.get(f"/console/requests/{ORG}/{ref}")
    assert answer.status_code == 200
    return BeautifulSoup(answer.text, "html.parser")


def test_the_parts_come_in_the_order_a_caseworker_works_them(app: FastAPI) -> None:
    soup = _page(app, _open(app))
    anchors = [h["id"] for h in soup.find_all("h2") if h.get("id")]
    assert anchors[: len(ORDER)] == ORDER
    assert anchors[len(ORDER) : len(ORDER) + len(LATER)] == LATER
    assert soup.find_all("h2")[-1].get_text(strip=True) == "History"  # history last
    links = [a["href"] for a in soup.select("nav.on-this-page a")]
    assert links
    assert [link for link in links if link[1:] not in anchors] == []  # none leads nowhere
    assert "#authority" not in links  # the subject asked themselves: no such panel


def test_still_to_do_links_each_open_item_to_its_panel(app: FastAPI) -> None:
    soup = _page(app, _open(app))
    to_do = soup.select_one("ul.to-do")
    assert to_do is not None
    items = {a.get_text(strip=True): a["href"] for a in to_do.find_all("a")}
    assert items["Find the subject"] == "#candidates"
    assert items["Identity not verified"] == "#verification"
    assert any(href == "#tasks" for href in items.values())
    # Identity is said once, in its own panel and in the list, not in the clock's facts.
    clock = soup.find("h2", id="clock").find_next_sibling("dl")
    assert "Identity" not in clock.get_text()


def test_a_linked_subject_leaves_nothing_to_find(app: FastAPI) -> None:
    soup = _page(app, _open(app, add_person(app)))
    to_do = soup.select_one("ul.to-do")
    assert to_do is not None
    assert "Find the subject" not in to_do.get_text()
    assert soup.find("h2", id="candidates") is None


def test_a_finished_request_has_nothing_left_to_do(app: FastAPI, clock: FixedClock) -> None:
    ref = _open(app)
    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        withdraw(uow, ORG, ref, Step("user:u_case", date(2026, 11, 21), "asked by phone"))
        uow.commit()
    soup = _page(app, ref)
    assert soup.select_one("ul.to-do") is None
    assert soup.find("h2", id="clock") is not None
