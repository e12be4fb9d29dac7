"""The erasure over the API and in the request log's export (issue 19, ERA-01..03): the
ground, the plan, a rejection, approval refused to every token (ERA-02 wants a person), the
bad paths as problem+json with stable codes, and the evidence in the CSV. SQLite and
PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from erasure_support import erasure_request, make_user, stored_for_erasure
from fastapi import FastAPI
from fastapi.testclient import TestClient
from package_build_support import EMAIL, ORG, build_operational
from sqlalchemy import func, select
from web_support import add_user, api_token, fresh_console_app, signed_in

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.erasure.executor import execute_plan
from dataward.erasure.models import ErasurePlan
from dataward.erasure.service import approve_erasure
from dataward.uow import UnitOfWork


@pytest.fixture
def app(
    database_url: str,
    clock: FixedClock,
    vault: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[FastAPI]:
    agency = build_operational(tmp_path / "agency")
    for name, value in agency.env.items():
        monkeypatch.setenv(name, value)
    for made in fresh_console_app(database_url, clock, vault):
        made.state.agency = agency
        yield made


def _uow(app: FastAPI) -> UnitOfWork:
    state = app.state
    return UnitOfWork(state.session_factory, state.clock, state.vault)


def _client(app: FastAPI, scopes: list[str]) -> TestClient:
    name = "bot." + "-".join(s.replace(":", ".") for s in scopes)
    token = api_token(app, add_user(app, name, "admin"), scopes)
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def _request(app: FastAPI, ground: str | None = None) -> str:
    with _uow(app) as uow:
        stored_for_erasure(uow)
        return erasure_request(uow, ground=ground).ref


def _counts(app: FastAPI) -> tuple[int, int]:
    with app.state.session_factory() as session:
        return (
            session.scalar(select(func.count(ErasurePlan.id))) or 0,
            session.scalar(select(func.count(AuditEvent.id))) or 0,
        )


def test_era_ground_plan_read_and_reject_over_the_api(app: FastAPI) -> None:
    ref = _request(app)
    client = _client(app, ["requests:read", "requests:write"])
    base = f"/api/v1/requests/{ORG}/{ref}/erasure"

    empty = client.get(base)
    assert empty.status_code == 200
    assert empty.json() == {"ref": ref, "ground": None, "plan": None}
    ground = client.put(f"{base}/ground", json={"ground": "objection_upheld"})
    assert ground.status_code == 200, ground.text
    assert ground.json()["ground"]["words"].startswith("an objection upheld")
    planned = client.post(f"{base}/plan")
    assert planned.status_code == 201, planned.text
    plan = planned.json()["plan"]
    assert (plan["state"], plan["rows_erased"], plan["rows_kept"], plan["files_erased"]) == (
        "planned",
        7,
        1,
        2,
    )
    steps = {s["dataset"]: s for s in plan["steps"]}
    assert steps["customers"]["how"]["email"] == "set_null"
    assert steps["payments"]["kept_reason"] == "sources_keep"
    assert EMAIL not in planned.text

    rejected = client.post(f"{base}/reject", json={"reason": "Ask finance about payments."})
    assert rejected.status_code == 200, rejected.text
    assert rejected.json()["plan"]["state"] == "rejected"
    again = client.post(f"{base}/reject", json={"reason": "Twice."})
    assert again.status_code == 409
    assert again.json()["code"] == "erasure_refused"
    assert client.post(f"{base}/plan").json()["plan"]["state"] == "planned"


def test_era02_approval_is_refused_to_every_token_and_changes_nothing(app: FastAPI) -> None:
    ref = _request(app, "no_longer_necessary")
    client = _client(app, ["requests:read", "requests:write"])
    base = f"/api/v1/requests/{ORG}/{ref}/erasure"
    assert client.post(f"{base}/plan").status_code == 201
    before = _counts(app)

    refused = client.post(f"{base}/approve")

    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "erasure_approval_needs_person"
    assert "ERA-02 wants a person" in refused.json()["detail"]
    assert client.get(base).json()["plan"]["state"] == "planned"
    assert _counts(app)[0] == before[0]


def test_bad_paths_are_problems_with_stable_codes_and_change_nothing(app: FastAPI) -> None:
    ref = _request(app)
    client = _client(app, ["requests:read", "requests:write"])
    base = f"/api/v1/requests/{ORG}/{ref}/erasure"
    before = _counts(app)

    cases = [
        (client.put(f"{base}/ground", json={"ground": "because"}), 422, "erasure_invalid"),
        (client.put(f"{base}/ground", json={"ground": "x", "extra": 1}), 422, None),
        (client.post(f"{base}/plan"), 422, "erasure_no_ground"),
        (client.get(f"/api/v1/requests/{ORG}/q_none/erasure"), 404, "request_not_found"),
        (client.post(f"{base}/reject", json={"reason": "No plan yet."}), 404, None),
        (client.post(f"{base}/reject", json={"reason": ""}), 422, None),
    ]
    for answer, status, code in cases:
        assert answer.status_code == status, answer.text
        if code:
            assert answer.json()["code"] == code
    assert cases[4][0].json()["code"] == "erasure_plan_not_found"
    assert _counts(app)[0] == before[0]
    reader = _client(app, ["requests:read"])
    assert reader.put(f"{base}/ground", json={"ground": "objection_upheld"}).status_code == 403


def test_era03_the_request_log_exports_the_plan_and_its_evidence(app: FastAPI) -> None:
    ref = _request(app, "no_longer_necessary")
    client = _client(app, ["requests:read", "requests:write"])
    assert client.post(f"/api/v1/requests/{ORG}/{ref}/erasure/plan").status_code == 201
    with _uow(app) as uow:
        dpo = make_user(uow, "dpo@jtr.example", "dpo")
        plan = approve_erasure(uow, ORG, ref, actor=dpo)
        uow.commit()
        for _ in range(5):
            step = execute_plan(uow, plan.id, worker="w-export", env=app.state.agency.env)
            uow.commit()
            if step.state != "running":
                break
    dpo_client = signed_in(app, "dpo2@jtr.example", "dpo")

    answer = dpo_client.get("/console/requests/export.csv")

    assert answer.status_code == 200
    (row,) = list(csv.DictReader(io.StringIO(answer.text)))
    assert (row["ref"], row["erasure_ground"], row["erasure_state"]) == (
        ref,
        "no_longer_necessary",
        "done",
    )
    assert (row["erasure_rows_erased"], row["erasure_rows_kept"]) == ("7", "1")
    assert row["erasure_shredded"] == "no"
    evidence = {e["dataset"]: e for e in json.loads(row["erasure_evidence"])}
    assert evidence["visits"]["rows"] == 2
    assert len(evidence["visits"]["key_digests"]) == 2
    assert evidence["payments"]["kept_reason"] == "sources_keep"
    assert {e["worker"] for e in evidence.values()} == {"w-export"}
    assert EMAIL not in answer.text
    assert "Mary" not in answer.text
    # The API shows the same evidence.
    shown = client.get(f"/api/v1/requests/{ORG}/{ref}/erasure").json()["plan"]["evidence"]
    assert {e["dataset"]: e["key_digests"] for e in shown}["visits"] == 2
