"""The retention runs' evidence over the API (issue 20), for engineers and auditors: scope
``audit:read``, problem+json errors with stable codes. RULES: RET-03."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from test_retention_evidence_pages import _records, _run, app
from test_retention_plan import ORG
from web_support import add_user, api_token

__all__ = ["app"]  # the fixture, shared with the evidence pages' tests

RUNS = "/api/v1/retention/runs"


def _client(app: FastAPI, scopes: list[str]) -> TestClient:
    owner = add_user(app, f"owner-{'-'.join(scopes).replace(':', '')}", "admin")
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {api_token(app, owner, scopes)}"
    return client


# RULES: RET-03
def test_ret03_the_runs_and_a_runs_evidence_as_json(app: FastAPI) -> None:
    run_id = _run(app)
    records = _records(app, run_id)
    client = _client(app, ["audit:read"])
    listed = client.get(RUNS, params={"organisation": ORG})
    assert listed.status_code == 200
    [run] = listed.json()["runs"]
    assert (run["id"], run["as_of"], run["state"], run["worker"]) == (
        run_id,
        "2026-11-25",
        "done",
        "worker-7",
    )
    assert run["rows"] == sum(r.rows for r in records)
    one = client.get(f"{RUNS}/{run_id}")
    assert one.status_code == 200
    body = one.json()
    assert body["id"] == run_id
    assert [e["seq"] for e in body["evidence"]] == [r.seq for r in records]
    bwv = next(e for e in body["evidence"] if e["rule"] == "body_worn_video")
    record = next(r for r in records if r.rule == "body_worn_video")
    assert bwv["keys_digest"] == record.keys_digest
    assert (bwv["status"], bwv["rows"], bwv["own_data"]) == ("done", 2, False)
    assert bwv["held"] == {"complaint_on_case": 1, "investigation_on_case": 1}
    assert (bwv["connection"], bwv["table"], bwv["binding"]) == (
        "demo_operational",
        "body_worn_video",
        0,
    )
    # Codes, counts and digests: never a value of a row.
    assert "07700900000" not in one.text
    older = client.get(RUNS, params={"organisation": ORG, "before": "2026-11-25"})
    assert older.json() == {"runs": []}


def test_ret03_bad_paths_are_problems_with_stable_codes(app: FastAPI) -> None:
    client = _client(app, ["audit:read"])
    missing = client.get(f"{RUNS}/no-such-run")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
    assert missing.json()["code"] == "retention_run_not_found"
    unknown = client.get(RUNS, params={"organisation": "nobody"})
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "register_not_found"
    assert client.get(RUNS).status_code == 422  # the organisation is required
    assert client.get(RUNS, params={"organisation": ORG, "limit": 0}).status_code == 422


def test_ret03_only_a_token_that_reads_the_audit_chain_reads_the_evidence(app: FastAPI) -> None:
    run_id = _run(app)
    holds = _client(app, ["holds:read"])
    refused = holds.get(f"{RUNS}/{run_id}")
    assert refused.status_code == 403
    assert refused.json()["code"] == "scope_missing"
    assert TestClient(app).get(RUNS, params={"organisation": ORG}).status_code == 401


def test_ret03_the_operations_are_in_the_openapi_document(app: FastAPI) -> None:
    document = TestClient(app).get("/openapi.json").json()
    for path in (RUNS, f"{RUNS}/{{run_id}}"):
        operation = document["paths"][path]["get"]
        assert operation["security"] == [{"bearerAuth": ["audit:read"]}]
        assert "404" in operation["responses"]
