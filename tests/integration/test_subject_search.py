"""Finding a subject as a caseworker does (issue 15, item 4).

Exact search by any identity through the blind index stays; a name ranks the candidates that
exact search found (decrypted in memory, never a plaintext index); the organisation is
remembered; an error keeps what was typed; results are paged.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import ORG, csrf_from, fresh_console_app, signed_in

from dataward.clock import FixedClock
from dataward.subjects.search import MAX_RANKED, _closeness
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork
from dataward.web.staff import ORG_COOKIE, PAGE


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


def _people(app: FastAPI, postcode: str, names: list[str]) -> list[str]:
    state = app.state
    refs = []
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        for n, name in enumerate(names):
            identities = [
                ("postcode", postcode),
                ("name", name),
                ("email", f"p{n}.{postcode.replace(' ', '')}@example.com"),
            ]
            refs.append(add_subject(uow, ORG, ["customers"], identities, actor="test").ref)
        uow.commit()
    return refs


def _search(client: TestClient, **fields: str) -> tuple[int, BeautifulSoup]:
    csrf = csrf_from(client.get("/console/subjects").text)
    answer = client.post("/console/subjects/search", data={**fields, "csrf_token": csrf})
    return answer.status_code, BeautifulSoup(answer.text, "html.parser")


def _refs(soup: BeautifulSoup) -> list[str]:
    table = soup.find("table", class_="results")
    return [] if table is None else [a.get_text() for a in table.select("tbody th a")]


def test_a_name_ranks_the_people_an_exact_identity_found(app: FastAPI) -> None:
    smith, jones, smyth = _people(app, "SW1A 1AA", ["Jane Smith", "Peter Jones", "Jane Smyth"])
    _people(app, "EH1 1YZ", ["Jane Smith"])  # same name, another postcode: never found
    client = signed_in(app, "case@acme.example", "caseworker")
    status, soup = _search(client, org=ORG, kind="postcode", value="sw1a1aa", name="smith, jane")
    assert status == 200
    found = _refs(soup)
    assert found[:2] == [smith, smyth]
    assert found[2] == jones
    assert len(found) == 3
    closeness = [td.get_text() for td in soup.select("table.results td.num")]
    assert closeness[0] == "100%"
    # The decrypted names are used to rank, never shown in the result list.
    assert "Smyth" not in soup.find("table", class_="results").get_text()


def test_without_a_name_the_matches_come_in_reference_order(app: FastAPI) -> None:
    refs = _people(app, "SW1A 1AA", ["A One", "B Two"])
    client = signed_in(app, "case@acme.example", "caseworker")
    _, soup = _search(client, org=ORG, kind="postcode", value="SW1A1AA")
    assert _refs(soup) == sorted(refs)
    assert "Name closeness" not in soup.get_text()


def test_an_error_keeps_what_was_typed_and_the_organisation_is_remembered(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    status, soup = _search(client, org=ORG, kind="phone", value="not a phone", name="Jo")
    assert status == 422
    assert soup.find("input", id="value")["value"] == "not a phone"
    assert soup.find("input", id="name")["value"] == "Jo"
    assert soup.find("select", id="kind").find("option", selected=True)["value"] == "phone"
    status, _ = _search(client, org=ORG, kind="email", value="nobody@example.com")
    assert status == 200
    assert client.cookies.get(ORG_COOKIE) == ORG
    page = BeautifulSoup(client.get("/console/subjects").text, "html.parser")
    assert page.find("select", id="org").find("option", selected=True)["value"] == ORG


def test_many_matches_are_paged(app: FastAPI) -> None:
    refs = _people(app, "SW1A 1AA", [f"Person {n}" for n in range(PAGE + 5)])
    client = signed_in(app, "case@acme.example", "caseworker")
    _, first = _search(client, org=ORG, kind="postcode", value="SW1A 1AA")
    assert len(_refs(first)) == PAGE
    _, second = _search(client, org=ORG, kind="postcode", value="SW1A 1AA", offset=str(PAGE))
    assert _refs(first) + _refs(second) == sorted(refs)
    assert second.find("nav", class_="pager").find("button", string="Previous") is not None


def test_closeness_ignores_order_case_and_commas() -> None:
    assert _closeness("Smith, Jane", "jane smith") == 1.0
    assert _closeness("Jane Smith", "Jane Smyth") > _closeness("Jane Smith", "Peter Jones")
    assert MAX_RANKED >= PAGE
