"""A shredded or merged-away subject shows a tombstone, not a bare 404 (issue 15, item 5)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import ORG, add_person, csrf_from, fresh_console_app, signed_in

from dataward.clock import FixedClock
from dataward.subjects.service import merge_subjects, shred_subject
from dataward.uow import UnitOfWork


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


def _uow(app: FastAPI) -> UnitOfWork:
    state = app.state
    return UnitOfWork(state.session_factory, state.clock, state.vault)


def test_a_merged_record_leads_to_the_subject_that_remains(app: FastAPI) -> None:
    keep = add_person(app, "jane.doe@example.com")
    other = add_person(app, "j.doe@example.com")
    with _uow(app) as uow:
        merge_subjects(uow, ORG, keep, other, actor="user:u_merger")
        uow.commit()
    client = signed_in(app, "case@acme.example", "caseworker")
    page = client.get(f"/console/subjects/{ORG}/{other}")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    tomb = soup.find(class_="tombstone")
    assert "Merged" in tomb.get_text()
    assert "user:u_merger" in tomb.get_text()
    link = tomb.find("a")
    assert link["href"] == f"/console/subjects/{ORG}/{keep}"
    # No identity of either record is shown on the tombstone.
    assert "example.com" not in page.text
    assert soup.find("table", class_="identities") is None
    # The survivor's own page still shows both identities.
    survivor = client.get(link["href"])
    assert "j.doe@example.com" in survivor.text


def test_a_shredded_subject_says_when_and_by_whom_and_keeps_its_timeline(app: FastAPI) -> None:
    ref = add_person(app, "gone@example.com")
    with _uow(app) as uow:
        shred_subject(uow, ORG, ref, actor="user:u_dpo")
        uow.commit()
    client = signed_in(app, "dpo@acme.example", "dpo")
    page = client.get(f"/console/subjects/{ORG}/{ref}")
    assert page.status_code == 410
    soup = BeautifulSoup(page.text, "html.parser")
    text = soup.find(class_="tombstone").get_text(" ")
    assert "Shredded" in text
    assert "25 November 2026, 09:30 GMT" in text  # the test clock, in UK time
    assert "user:u_dpo" in text
    assert "none was recorded" in text
    actions = [c.get_text() for c in soup.select("table.timeline code")]
    assert "subject.shredded" in actions
    assert "subject.created" in actions
    assert "gone@example.com" not in page.text


def test_a_reference_that_never_existed_is_still_not_found(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    assert client.get(f"/console/subjects/{ORG}/s_0000000000000000").status_code == 404


def _confirmed_post(client: TestClient, path: str, data: dict[str, str]) -> None:
    page = client.get(path.rsplit("/", 1)[0])
    fields = {**data, "csrf_token": csrf_from(page.text)}
    asked = client.post(path, data=fields)
    assert asked.status_code == 200  # the confirmation page: nothing done yet
    assert 'name="confirm" value="yes"' in asked.text
    done = client.post(path, data={**fields, "confirm": "yes"})
    assert done.status_code == 303


def test_staff_shred_from_the_console_with_a_reason(app: FastAPI) -> None:
    ref = add_person(app, "leaving@example.com")
    client = signed_in(app, "dpo@acme.example", "dpo")
    path = f"/console/subjects/{ORG}/{ref}/shred"
    # Unconfirmed, nothing happens.
    page = client.get(f"/console/subjects/{ORG}/{ref}")
    client.post(path, data={"reason": "erasure_request", "csrf_token": csrf_from(page.text)})
    assert client.get(f"/console/subjects/{ORG}/{ref}").status_code == 200
    _confirmed_post(client, path, {"reason": "erasure_request"})
    tomb = client.get(f"/console/subjects/{ORG}/{ref}")
    assert tomb.status_code == 410
    assert "the person asked for erasure" in tomb.text
    # A reason outside the fixed list is refused: free text never reaches the chain.
    other = add_person(app, "other@example.com")
    page = client.get(f"/console/subjects/{ORG}/{other}")
    refused = client.post(
        f"/console/subjects/{ORG}/{other}/shred",
        data={"reason": "Mr X asked", "confirm": "yes", "csrf_token": csrf_from(page.text)},
    )
    assert refused.status_code == 303
    assert client.get(f"/console/subjects/{ORG}/{other}").status_code == 200


def test_staff_merge_a_duplicate_from_the_console(app: FastAPI) -> None:
    keep = add_person(app, "jane.doe@example.com")
    other = add_person(app, "jane.d@example.com")
    client = signed_in(app, "case@acme.example", "caseworker")
    _confirmed_post(client, f"/console/subjects/{ORG}/{keep}/merge", {"other": other})
    survivor = client.get(f"/console/subjects/{ORG}/{keep}")
    assert "jane.d@example.com" in survivor.text
    assert "Merged" in client.get(f"/console/subjects/{ORG}/{other}").text
