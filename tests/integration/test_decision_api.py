"""The decision API: GET one answer, stream a batch of JSON lines (both backends)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from consent_support import SHOP, customer, load_shop
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import add_user, api_token, console_app

from dataward.consent.records import give_consent, withdraw_consent
from dataward.crypto.keystore import Vault
from dataward.uow import UnitOfWork


@pytest.fixture
def app(database_url: str, clock: Any, vault: Vault, uow: UnitOfWork) -> Iterator[FastAPI]:
    app = console_app(database_url, clock, vault)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    admin = add_user(app, "admin", "admin")
    token = api_token(app, admin, ["decisions:read"])
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def _setup(app: FastAPI) -> dict[str, str]:
    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        load_shop(uow)
        yes = customer(uow, "yes@example.com")
        no = customer(uow, "no@example.com")
        row = give_consent(uow, SHOP, yes, "offers", channel="sms", method="web_form", evidence="x")
        give_consent(uow, SHOP, no, "offers", channel="sms", method="web_form", evidence="x")
        withdrawn = withdraw_consent(uow, SHOP, no, "offers", channel="sms", method="portal")
        uow.commit()
    return {"yes": yes, "no": no, "consent": row.ref, "withdrawn": withdrawn.ref}


def test_it_answers_one_question_with_reasons(app: FastAPI, client: TestClient) -> None:
    refs = _setup(app)
    params = {"organisation": SHOP, "purpose": "offers", "channel": "sms"}
    yes = client.get("/api/v1/decisions", params={**params, "subject": refs["yes"]})
    assert yes.status_code == 200
    assert yes.json()["allow"] is True
    assert yes.json()["records"] == [refs["consent"]]
    no = client.get("/api/v1/decisions", params={**params, "subject": refs["no"]})
    assert no.json()["allow"] is False
    assert no.json()["code"] == "consent_withdrawn"
    assert "withdrawn" in no.json()["reasons"][0]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"purpose": "nope"}, 422, "purpose_unknown"),
        ({"channel": "fax"}, 422, "channel_unknown"),
        ({"subject": "s_0000000000000000"}, 404, "subject_not_found"),
        ({"organisation": "nobody"}, 404, "register_not_found"),
    ],
)
def test_it_refuses_bad_questions_as_problem_json(
    app: FastAPI, client: TestClient, params: dict[str, str], status: int, code: str
) -> None:
    refs = _setup(app)
    base = {"organisation": SHOP, "subject": refs["yes"], "purpose": "offers", "channel": "sms"}
    response = client.get("/api/v1/decisions", params={**base, **params})
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


def test_relying_on_a_withdrawn_consent_is_a_conflict(app: FastAPI, client: TestClient) -> None:
    refs = _setup(app)
    response = client.get(
        "/api/v1/decisions",
        params={
            "organisation": SHOP,
            "subject": refs["no"],
            "purpose": "offers",
            "channel": "sms",
            "consent": refs["withdrawn"],
        },
    )
    assert response.status_code == 409
    assert response.json()["code"] == "consent_withdrawn"


def test_the_batch_answers_every_line_and_reports_bad_ones(
    app: FastAPI, client: TestClient
) -> None:
    refs = _setup(app)
    body = "\n".join(
        [
            json.dumps({"identity": {"kind": "email", "value": "YES@example.com"}, "id": "a"}),
            "{not json",
            json.dumps({"subject_ref": refs["no"]}),
            "",
            json.dumps({"identity": {"kind": "email", "value": "stranger@example.com"}}),
            json.dumps({"subject_ref": refs["yes"], "purpose": "nope"}),
            "x" * 9000,
            json.dumps({"subject_ref": refs["yes"]}),
        ]
    )
    response = client.post(
        "/api/v1/decisions/batch",
        params={"organisation": SHOP, "purpose": "offers", "channel": "sms"},
        content=body.encode(),
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert response.status_code == 200
    rows = [json.loads(line) for line in response.text.splitlines()]
    by_line = {r["line"]: r for r in rows if "line" in r}
    assert by_line[1]["allow"] is True
    assert by_line[1]["id"] == "a"
    assert by_line[1]["subject_ref"] == refs["yes"]
    assert by_line[2]["error"]["code"] == "batch_line_invalid"
    assert by_line[3]["allow"] is False
    assert 4 not in by_line
    assert by_line[5]["allow"] is False
    assert by_line[5]["code"] == "no_subject"
    assert by_line[1]["code"] == "consented"
    assert by_line[6]["error"]["code"] == "purpose_unknown"
    assert "longer" in by_line[7]["error"]["detail"]
    assert by_line[8]["allow"] is True
    assert rows[-1] == {"summary": {"lines": 7, "allowed": 2, "refused": 2, "errors": 3}}
    assert "yes@example.com" not in response.text.lower()


def test_the_batch_refuses_strangers_where_a_subject_runs_on_legitimate_interests(
    app: FastAPI, client: TestClient
) -> None:
    # RULES: MKT-04 (post on legitimate interests is for the register's subjects)
    refs = _setup(app)
    body = "\n".join(
        [
            json.dumps({"subject_ref": refs["yes"]}),
            json.dumps({"identity": {"kind": "email", "value": "stranger@example.com"}}),
        ]
    )
    response = client.post(
        "/api/v1/decisions/batch",
        params={"organisation": SHOP, "purpose": "offers", "channel": "post"},
        content=body.encode(),
    )
    rows = [json.loads(line) for line in response.text.splitlines()]
    assert [(r["allow"], r["code"]) for r in rows[:2]] == [
        (True, "legitimate_interests"),
        (False, "no_subject"),
    ]
    assert "silent about marketing to people it does not know" in rows[1]["reasons"][1]
    assert rows[-1] == {"summary": {"lines": 2, "allowed": 1, "refused": 1, "errors": 0}}


def test_the_batch_refuses_an_unknown_purpose_before_streaming(
    app: FastAPI, client: TestClient
) -> None:
    _setup(app)
    response = client.post(
        "/api/v1/decisions/batch",
        params={"organisation": SHOP, "purpose": "nope"},
        content=b"{}\n",
    )
    assert response.status_code == 422
    assert response.json()["code"] == "purpose_unknown"


def test_lines_split_across_chunks_keep_their_numbers() -> None:
    import asyncio
    from collections.abc import AsyncIterator

    from dataward.web.api_decisions import _numbered_lines

    body = b'{"a": 1}\n\n' + b"y" * 20000 + b'\n{"b": 2}\n{"c": 3}'

    class Chunked:
        async def stream(self) -> AsyncIterator[bytes]:
            for start in range(0, len(body), 7):
                yield body[start : start + 7]

    async def collect() -> list[tuple[int, bytes]]:
        return [item async for item in _numbered_lines(Chunked())]  # type: ignore[arg-type]

    got = asyncio.run(collect())
    assert [n for n, _ in got] == [1, 3, 4, 5]
    assert got[0][1] == b'{"a": 1}'
    assert len(got[1][1]) > 8 * 1024
    assert got[2][1] == b'{"b": 2}'
    assert got[3][1] == b'{"c": 3}'


def _count_threads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    from dataward.web import api_decisions

    hops: list[str] = []
    real = api_decisions.run_in_threadpool

    async def counted(func: Any, *args: Any) -> Any:
        hops.append("thread")
        return await real(func, *args)

    monkeypatch.setattr(api_decisions, "run_in_threadpool", counted)
    return hops


def test_a_remembered_token_is_answered_on_the_event_loop(
    app: FastAPI, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite reads its file on the loop; PostgreSQL awaits psycopg's async driver.

    The first call looks the token up (its check may write a refusal): in a thread.
    """
    refs = _setup(app)
    params = {"organisation": SHOP, "purpose": "offers", "channel": "sms", "subject": refs["yes"]}
    hops = _count_threads(monkeypatch)
    first = client.get("/api/v1/decisions", params=params)
    second = client.get("/api/v1/decisions", params=params)
    refused = client.get("/api/v1/decisions", params={**params, "subject": refs["no"]})
    assert first.json() == second.json()
    assert second.json()["allow"] is True
    assert "withdrawn" in refused.json()["reasons"][0]
    assert hops == ["thread"]
    missing = client.get("/api/v1/decisions", params={**params, "subject": "s_nobody"})
    assert (missing.status_code, missing.json()["code"]) == (404, "subject_not_found")
    unknown = client.get("/api/v1/decisions", params={**params, "purpose": "world_domination"})
    assert (unknown.status_code, unknown.json()["code"]) == (422, "purpose_unknown")
    forged = client.get(
        "/api/v1/decisions", params=params, headers={"Authorization": "Bearer dw_forged"}
    )
    assert (forged.status_code, forged.json()["code"]) == (401, "token_invalid")


def test_a_failed_read_on_the_loop_is_answered_in_a_thread(
    app: FastAPI, client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psycopg

    from dataward.consent.loop_reads import LoopReader

    if app.state.decision_reader.loop_reader is None:
        assert app.state.decision_reader.in_process  # SQLite: no driver of its own to fail
        return
    refs = _setup(app)
    params = {"organisation": SHOP, "purpose": "offers", "channel": "sms", "subject": refs["yes"]}
    assert client.get("/api/v1/decisions", params=params).status_code == 200

    async def broken(*_args: Any) -> Any:
        raise psycopg.OperationalError("the server went away")

    monkeypatch.setattr(LoopReader, "first", broken)
    hops = _count_threads(monkeypatch)
    answer = client.get("/api/v1/decisions", params=params)
    assert answer.status_code == 200
    assert answer.json()["allow"] is True
    assert hops == ["thread"]
    # One use counted per call, whichever path answered it.
    assert sum(use.count for use in app.state.token_uses._uses.values()) == 2
