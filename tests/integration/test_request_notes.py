"""A caseworker's note on a request: in the history, sealed, audited without its words, and
never a change of state (issue 16: "open a request and see ... notes").

The test clock is 25 November 2026.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from web_support import ORG, add_user, api_token, csrf_from, fresh_console_app, signed_in

from dataward.audit.models import AuditEvent
from dataward.audit.service import verify
from dataward.clock import FixedClock
from dataward.requests.errors import RequestInvalid, RequestNotFound
from dataward.requests.models import RequestEvent, RightsRequest
from dataward.requests.notes import add_note
from dataward.requests.queue import history
from dataward.requests.service import NewRequest, Requester, get_request, open_request
from dataward.requests.status_links import status_link_token
from dataward.uow import UnitOfWork

CASE = "user:u_case"
NOTE = "Rang Jane: she wants the CCTV footage from 3 November too."


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


def _unit(app: FastAPI) -> UnitOfWork:
    return UnitOfWork(app.state.session_factory, app.state.clock, app.state.vault)


def _open(app: FastAPI) -> str:
    with _unit(app) as uow:
        new = NewRequest(ORG, ("access",), "post", date(2026, 11, 2), Requester(name="Jane Doe"))
        row = open_request(uow, new, actor=CASE)
        uow.commit()
        return row.ref


def _notes_audited(app: FastAPI, ref: str) -> list[tuple[str, dict[str, Any]]]:
    """(actor, details) of each ``request.note_added`` entry about ``ref``."""
    with _unit(app) as uow:
        found = uow.session.execute(
            select(AuditEvent.actor, AuditEvent.details).where(
                AuditEvent.entity_id == ref, AuditEvent.action == "request.note_added"
            )
        ).all()
        return [(actor, dict(details or {})) for actor, details in found]


def test_a_note_joins_the_history_sealed_and_changes_nothing_else(app: FastAPI) -> None:
    ref = _open(app)
    with _unit(app) as uow:
        before = get_request(uow, ORG, ref)
        state, due = before.state, before.due_on
        event = add_note(uow, ORG, ref, f"  {NOTE}  ", actor=CASE, on=date(2026, 11, 24))
        uow.commit()
        moved = (event.action, event.from_state, event.to_state)
        assert moved == ("request.note_added", state, state)
        row = get_request(uow, ORG, ref)
        assert (row.state, row.due_on) == (state, due)
        last = history(uow, row)[-1]
        assert (last.action, last.note, last.on, last.actor) == (
            "request.note_added",
            NOTE,
            date(2026, 11, 24),
            CASE,
        )
        raw = uow.session.execute(
            text("SELECT note_sealed FROM request_events WHERE id = :i"), {"i": event.id}
        ).scalar_one()
        assert b"CCTV" not in bytes(raw)  # sealed under the request's key
        assert verify(uow.session).intact
    [(actor, details)] = _notes_audited(app, ref)
    assert actor == CASE
    assert details["on"] == "2026-11-24"
    assert "CCTV" not in str(details)
    assert "Jane" not in str(details)


@pytest.mark.parametrize(
    ("words", "on", "why"),
    [
        ("", date(2026, 11, 24), "empty"),
        ("   \n ", date(2026, 11, 24), "empty"),
        ("x" * 4001, date(2026, 11, 24), "too long"),
        ("a\x00b", date(2026, 11, 24), "too long"),
        (NOTE, date(2026, 11, 26), "after today"),
        (NOTE, date(2026, 11, 1), "before the request"),
    ],
)
def test_a_bad_note_is_refused_and_changes_nothing(
    app: FastAPI, words: str, on: date, why: str
) -> None:
    ref = _open(app)
    with _unit(app) as uow:
        with pytest.raises(RequestInvalid):
            add_note(uow, ORG, ref, words, actor=CASE, on=on)
        uow.rollback()
        row = uow.session.scalars(select(RightsRequest).where(RightsRequest.ref == ref)).one()
        events = uow.session.scalars(
            select(RequestEvent.action).where(RequestEvent.request_id == row.id)
        ).all()
        assert events == ["request.received"], why
    assert _notes_audited(app, ref) == []


def test_a_note_on_an_unknown_request_is_not_found(app: FastAPI) -> None:
    with _unit(app) as uow, pytest.raises(RequestNotFound):
        add_note(uow, ORG, "q_0000000000000000", NOTE, actor=CASE, on=date(2026, 11, 24))


def _post_note(client: TestClient, ref: str, **fields: str) -> Any:
    page = client.get(f"/console/requests/{ORG}/{ref}")
    data = {"csrf_token": csrf_from(page.text), "on": "2026-11-25", **fields}
    return client.post(f"/console/requests/{ORG}/{ref}/notes", data=data)


def test_the_console_adds_a_note_from_the_history_section(app: FastAPI) -> None:
    ref = _open(app)
    client = signed_in(app, "case@acme.example", "caseworker")
    page = BeautifulSoup(client.get(f"/console/requests/{ORG}/{ref}").text, "html.parser")
    form = page.find("form", action=f"/console/requests/{ORG}/{ref}/notes")
    assert form is not None
    assert form.find_previous("h2").get_text() == "History"  # in the history section
    answer = _post_note(client, ref, text=NOTE)
    assert answer.status_code == 303  # post, then redirect: no confirmation for a note
    assert answer.headers["location"] == f"/console/requests/{ORG}/{ref}#history"
    shown = client.get(answer.headers["location"]).text
    assert "Note added to the history." in shown
    rows = BeautifulSoup(shown, "html.parser").select("table.request-history tbody tr")
    assert "request.note_added" in rows[-1].get_text()
    assert NOTE.split(":")[0] in rows[-1].get_text()
    [(actor, _)] = _notes_audited(app, ref)
    assert actor.startswith("user:")
    # The requester's status page never shows a caseworker's note.
    with _unit(app) as uow:
        token, _ = status_link_token(app.state.secret_key, uow.clock, get_request(uow, ORG, ref))
    status = TestClient(app).get(f"/requests/status/{token}")
    assert status.status_code == 200
    assert ref in status.text
    assert "CCTV" not in status.text


def test_the_console_refuses_an_empty_note_a_forged_one_and_a_reader(app: FastAPI) -> None:
    ref = _open(app)
    client = signed_in(app, "case@acme.example", "caseworker")
    empty = _post_note(client, ref, text="   ")
    assert empty.status_code == 303
    assert "write the note" in client.get(empty.headers["location"]).text.lower()
    forged = client.post(
        f"/console/requests/{ORG}/{ref}/notes",
        data={"csrf_token": "forged", "on": "2026-11-25", "text": NOTE},
    )
    assert forged.status_code == 403
    auditor = signed_in(app, "audit@acme.example", "auditor")
    page = auditor.get(f"/console/requests/{ORG}/{ref}")
    assert page.status_code == 403
    assert _notes_audited(app, ref) == []


def test_the_api_adds_a_note_and_refuses_bad_ones(app: FastAPI) -> None:
    ref = _open(app)
    owner = add_user(app, "crm.bot", "caseworker")
    token = api_token(app, owner, ["requests:write"])
    client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    path = f"/api/v1/requests/{ORG}/{ref}/notes"
    made = client.post(path, json={"text": NOTE})
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["ref"], body["seq"], body["on"], body["state"]) == (
        ref,
        2,
        "2026-11-25",
        "received",
    )
    assert NOTE not in made.text  # the words do not come back
    for bad, code in [
        ({"text": ""}, "validation_failed"),
        ({"text": "x" * 4001}, "validation_failed"),
        ({"text": "a\u0000b"}, "validation_failed"),
        ({"text": "   "}, "request_invalid"),
        ({"text": NOTE, "on": "2026-11-26"}, "request_invalid"),
    ]:
        refused = client.post(path, json=bad)
        assert refused.status_code == 422, bad
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == code
    missing = client.post(f"/api/v1/requests/{ORG}/q_0000000000000000/notes", json={"text": NOTE})
    assert missing.status_code == 404
    assert missing.json()["code"] == "request_not_found"
    assert len(_notes_audited(app, ref)) == 1
