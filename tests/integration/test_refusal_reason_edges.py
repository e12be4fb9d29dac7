"""The refusal reason at the edges: the console's form, the API and the CLI (issue 19).

RULES: SAR-08, ERA-02. Each edge takes the reason's code and passes it to the one service;
a bad or missing code is answered plainly (problem+json, one line) and changes nothing.
The test clock is 25 November 2026.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner
from web_support import ORG, add_user, api_token, csrf_from, fresh_console_app, signed_in

from dataward.audit.models import AuditEvent
from dataward.cli import request_cmd
from dataward.cli.app import app as cli
from dataward.requests.models import RightsRequest
from dataward.runtime import Runtime

FORM = {
    "org": ORG,
    "rights": ["access"],
    "channel": "post",
    "received_on": "2026-11-20",
    "requester_kind": "self",
    "name": "Jane Doe",
    "address": "2 Mill Lane, Anytown",
}


@pytest.fixture
def app(database_url: str, clock: object, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


def _enter(client: TestClient) -> str:
    csrf = csrf_from(client.get("/console/requests/new").text)
    answer = client.post("/console/requests/new", data={**FORM, "csrf_token": csrf})
    assert answer.status_code == 303
    return str(answer.headers["location"])


def _row(app: FastAPI, ref: str) -> tuple[str, str | None, int]:
    with app.state.session_factory() as session:
        row = session.scalars(select(RightsRequest).where(RightsRequest.ref == ref)).one()
        refusals = select(func.count()).where(AuditEvent.action == "request.refused")
        audits = session.scalar(refusals) or 0
        return row.state, row.refusal_reason, audits


def test_the_console_form_offers_the_reasons_for_the_rights_asked_and_records_one(
    app: FastAPI,
) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    location = _enter(client)
    ref = location.rsplit("/", 1)[1]
    page = BeautifulSoup(client.get(location).text, "html.parser")
    select_ = page.find("select", attrs={"name": "reason"})
    assert select_ is not None
    offered = [o["value"] for o in select_.find_all("option")]
    assert offered[0] == ""  # no reason is chosen for the caseworker
    assert "manifestly_excessive" in offered
    assert "dpa_research_statistics" in offered
    assert "legal_obligation_to_keep" not in offered  # Art 17(3): erasure only
    fields = {
        "on": "2026-11-25",
        "note": "The fifth copy asked for this month.",
        "csrf_token": csrf_from(client.get(location).text),
    }
    asked = client.post(
        location + "/steps/refuse", data={**fields, "reason": "manifestly_excessive"}
    )
    assert "the request is manifestly excessive (Article 12(5) UK GDPR)" in asked.text
    before = _row(app, ref)
    for bad in ("because", "", "legal_claims"):
        answer = client.post(
            location + "/steps/refuse", data={**fields, "reason": bad, "confirm": "yes"}
        )
        assert answer.status_code in (303, 422), bad
        assert _row(app, ref) == before, bad
    done = client.post(
        location + "/steps/refuse",
        data={**fields, "reason": "manifestly_excessive", "confirm": "yes"},
    )
    assert done.status_code == 303
    assert _row(app, ref)[:2] == ("refused", "manifestly_excessive")
    shown = client.get(location).text
    assert "manifestly_excessive" in shown


def test_the_api_takes_the_reason_and_answers_a_bad_one_with_its_code(app: FastAPI) -> None:
    owner = add_user(app, "portal.bot", "caseworker")
    token = api_token(app, owner, ["requests:read", "requests:write"])
    api = TestClient(app, headers={"Authorization": f"Bearer {token}"})
    body = {**FORM, "organisation": ORG, "requester": {"name": "Jane Doe", "reply_by": "post"}}
    for key in ("org", "name", "address", "requester_kind"):
        body.pop(key)
    made = api.post("/api/v1/requests", json=body)
    assert made.status_code == 201, made.text
    ref = made.json()["ref"]
    steps = f"/api/v1/requests/{ORG}/{ref}/steps"
    step = {"step": "refuse", "on": "2026-11-25", "note": "The fifth copy this month."}
    before = _row(app, ref)
    for extra, code in (
        ({"reason": "because"}, "refusal_reason_unknown"),
        ({}, "request_invalid"),
        ({"reason": "legal_claims"}, "refusal_reason_not_for_right"),
    ):
        refused = api.post(steps, json={**step, **extra})
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert refused.json()["code"] == code
        assert _row(app, ref) == before
    mismatched = {"step": "withdraw", "on": "2026-11-25", "reason": "manifestly_excessive"}
    assert api.post(steps, json=mismatched).json()["code"] == "request_invalid"
    assert _row(app, ref) == before
    done = api.post(steps, json={**step, "reason": "manifestly_unfounded"})
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["refusal_reason"]) == (
        "refused",
        "manifestly_unfounded",
    )


class _Borrowed(Runtime):
    """The test's database, key store and fixed clock, left open when the command ends."""

    def close(self) -> None:
        pass


def test_the_cli_lists_the_reasons_and_refuses_a_bad_one_in_one_line(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    listed = runner.invoke(cli, ["request", "refusal-reasons"])
    assert listed.exit_code == 0, listed.output
    lines = [line.split() for line in listed.output.splitlines()]
    assert ["legal_obligation_to_keep", "Article", "17(3)(b)", "UK", "GDPR", "erasure"] in [
        line[:6] for line in lines
    ]
    assert "manifestly_unfounded_or_excessive" not in listed.output
    assert "--reason" in runner.invoke(cli, ["request", "step", "--help"]).output
    state = app.state
    borrowed = _Borrowed(state.engine, state.session_factory, state.vault, state.clock)
    monkeypatch.setattr(request_cmd, "open_runtime", lambda *a, **k: borrowed)
    client = signed_in(app, "case@acme.example", "caseworker")
    ref = _enter(client).rsplit("/", 1)[1]
    before = _row(app, ref)
    base = ["request", "step", ORG, ref, "refuse", "--on", "2026-11-25", "--note", "Fifth copy."]
    for extra, code in (
        (["--reason", "because"], "refusal_reason_unknown"),
        ([], "request_invalid"),
        (["--reason", "legal_claims"], "refusal_reason_not_for_right"),
    ):
        answer = runner.invoke(cli, [*base, *extra])
        assert answer.exit_code == 2, answer.output
        assert f"refused [{code}]" in answer.output
        assert len(answer.output.strip().splitlines()) == 1
        assert "Traceback" not in answer.output
        assert _row(app, ref) == before
    wrong = ["request", "step", ORG, ref, "withdraw", "--reason", "manifestly_excessive"]
    assert "--reason goes with refuse only" in runner.invoke(cli, wrong).output
    done = runner.invoke(cli, [*base, "--reason", "manifestly_excessive"])
    assert done.exit_code == 0, done.output
    assert _row(app, ref)[:2] == ("refused", "manifestly_excessive")
