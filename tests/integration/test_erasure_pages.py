"""The console's erasure (issue 19, ERA-01..03): the panel on a request's page and the plan's
page in every state (no ground, planned, rejected, approved and running, a failed source,
done with its evidence, stale), each step through the browser's forms, and who may approve.
SQLite and PostgreSQL; the clock is the test's (2026-11-25 09:30 UTC, 09:30 GMT)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from erasure_support import erasure_request, stored_for_erasure
from fastapi import FastAPI
from fastapi.testclient import TestClient
from package_build_support import ORG, Operational, build_operational
from sqlalchemy import create_engine, select, text
from web_support import csrf_from, fresh_console_app, signed_in

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.erasure.executor import execute_plan
from dataward.erasure.models import APPROVED, PLANNED, REJECTED, SUPERSEDED, ErasurePlan
from dataward.uow import UnitOfWork

REASON = "The payments table is wrongly kept: ask finance first."


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


def _request(app: FastAPI, ground: str | None = None) -> str:
    with _uow(app) as uow:
        stored_for_erasure(uow)
        return erasure_request(uow, ground=ground).ref


def _post(client: TestClient, page: str, path: str, **data: str) -> object:
    csrf = csrf_from(client.get(page).text)
    return client.post(path, data={**data, "csrf_token": csrf})


def _text(client: TestClient, url: str) -> str:
    answer = client.get(url)
    assert answer.status_code == 200, answer.text
    return BeautifulSoup(answer.text, "html.parser").get_text(" ", strip=True)


def _plan(app: FastAPI) -> ErasurePlan:
    with app.state.session_factory() as session:
        plans = session.scalars(select(ErasurePlan)).all()
        # The newest; the test clock is fixed, so a plan and the one it superseded share a
        # time, and PostgreSQL returns them in any order: the superseded one is the older.
        return max(plans, key=lambda p: (p.created_at, p.state != SUPERSEDED))


def _chain(app: FastAPI, action: str) -> list[AuditEvent]:
    with app.state.session_factory() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _planned(app: FastAPI, client: TestClient, ref: str) -> None:
    page = f"/console/requests/{ORG}/{ref}"
    asked = _post(client, page, f"{page}/erasure/plan")
    assert "Plan the erasure" in asked.text  # type: ignore[attr-defined]
    assert _chain(app, "erasure.plan_made") == []  # confirm first
    done = _post(client, page, f"{page}/erasure/plan", confirm="yes")
    assert done.headers["location"] == f"{page}/erasure"  # type: ignore[attr-defined]


def test_era01_a_request_with_no_ground_says_one_is_needed_and_points_to_refusal(
    app: FastAPI,
) -> None:
    ref = _request(app)
    case = signed_in(app, "case@jtr.example", "caseworker")
    page = f"/console/requests/{ORG}/{ref}"
    words = _text(case, page)

    assert "None recorded yet. A plan needs the ground the subject relies on first." in words
    assert "refuse the request with the reasons" in words
    assert "/erasure/plan" not in case.get(page).text
    # The plan page has nothing to show yet.
    assert case.get(f"{page}/erasure").status_code == 404
    # Planning without a ground is refused by the service, nothing stored.
    _post(case, page, f"{page}/erasure/plan", confirm="yes")
    assert "Record the ground" in _text(case, page)
    assert _chain(app, "erasure.plan_made") == []


def test_era01_the_ground_is_recorded_and_a_bad_one_changes_nothing(app: FastAPI) -> None:
    ref = _request(app)
    case = signed_in(app, "case@jtr.example", "caseworker")
    page = f"/console/requests/{ORG}/{ref}"

    bad = _post(case, page, f"{page}/erasure/ground", ground="because")
    assert bad.headers["location"].endswith("#erasure")  # type: ignore[attr-defined]
    assert "The ground must be one of no_longer_necessary" in _text(case, page)
    assert _chain(app, "erasure.ground_recorded") == []

    _post(case, page, f"{page}/erasure/ground", ground="consent_withdrawn")
    words = _text(case, page)
    assert "Consent withdrawn and no other lawful basis" in words
    assert "recorded 25 November 2026, 09:30 GMT" in words
    assert "/erasure/plan" in case.get(page).text
    (recorded,) = _chain(app, "erasure.ground_recorded")
    assert recorded.details["ground"] == "consent_withdrawn"


def test_era02_the_plan_page_says_what_goes_how_and_what_stays_why(app: FastAPI) -> None:
    ref = _request(app, "no_longer_necessary")
    case = signed_in(app, "case@jtr.example", "caseworker")
    _planned(app, case, ref)
    base = f"/console/requests/{ORG}/{ref}"

    words = _text(case, f"{base}/erasure")
    assert "Planned: nothing has changed yet" in words
    assert "7 rows and 2 files" in words
    assert "Sources file v1, register v1" in words
    assert "25 November 2026, 09:30 GMT by user:" in words
    assert "name : anonymised: replaced by '[erased]' in every row" in words
    assert "email : emptied (set to null)" in words
    assert "file_path : the whole row is deleted" in words
    assert "Why kept: the sources file keeps every column it names (amount)" in words
    # A caseworker may reject, never approve.
    assert "Only the DPO or an administrator" in words
    assert "Approve the erasure" not in words
    assert "Reject the plan" in words
    # The request page's panel says the same in short and links the plan.
    panel = _text(case, base)
    assert "Planned: nothing has changed yet" in panel
    assert "Read the plan" in panel


def test_era02_a_caseworker_without_requests_approve_is_refused_approval(app: FastAPI) -> None:
    ref = _request(app, "no_longer_necessary")
    case = signed_in(app, "case@jtr.example", "caseworker")
    _planned(app, case, ref)
    page = f"/console/requests/{ORG}/{ref}/erasure"

    refused = _post(case, page, f"{page}/approve", confirm="yes")

    assert refused.status_code == 403  # type: ignore[attr-defined]
    assert _plan(app).state == PLANNED
    assert _chain(app, "erasure.plan_approved") == []


def test_era02_a_rejected_plan_keeps_its_reason_and_can_be_planned_again(app: FastAPI) -> None:
    ref = _request(app, "no_longer_necessary")
    case = signed_in(app, "case@jtr.example", "caseworker")
    _planned(app, case, ref)
    page = f"/console/requests/{ORG}/{ref}/erasure"

    empty = _post(case, page, f"{page}/reject", reason="  ", confirm="yes")
    assert empty.status_code == 303  # type: ignore[attr-defined]
    assert _plan(app).state == PLANNED
    _post(case, page, f"{page}/reject", reason=REASON, confirm="yes")

    assert _plan(app).state == REJECTED
    words = _text(case, page)
    assert "Rejected: nothing was erased" in words
    assert REASON in words
    assert "Plan again" in words
    (rejected,) = _chain(app, "erasure.plan_rejected")
    assert REASON not in repr(rejected.details)
    # Re-planned: the rejected plan is superseded and the new one awaits a decision.
    _post(case, page, f"/console/requests/{ORG}/{ref}/erasure/plan", confirm="yes")
    assert _plan(app).state == PLANNED
    assert "Planned: nothing has changed yet" in _text(case, page)


def test_era03_approved_running_failed_then_done_with_evidence(app: FastAPI) -> None:
    ref = _request(app, "no_longer_necessary")
    dpo = signed_in(app, "dpo@jtr.example", "dpo")
    _planned(app, dpo, ref)
    page = f"/console/requests/{ORG}/{ref}/erasure"
    assert "Approve the erasure" in _text(dpo, page)
    asked = _post(dpo, page, f"{page}/approve")
    assert "cannot be undone" in asked.text  # type: ignore[attr-defined]
    assert _plan(app).state == PLANNED
    _post(dpo, page, f"{page}/approve", confirm="yes")
    assert _plan(app).state == APPROVED
    words = _text(dpo, page)
    assert "Approved: the worker erases it source by source" in words
    assert "Progress" in words
    assert "Reject the plan" not in words

    # The source is down for the worker's first try (as the executor records it).
    with _uow(app) as uow:
        plan = uow.session.get(ErasurePlan, _plan(app).id)
        assert plan is not None
        plan.failed_source, plan.last_error = "agency", "source_unavailable"
        uow.commit()
    words = _text(dpo, page)
    assert "Source failed agency (source_unavailable): retry pending" in words
    assert "failed retry pending" in words

    agency: Operational = app.state.agency
    with _uow(app) as uow:
        for _ in range(5):
            step = execute_plan(uow, _plan(app).id, worker="w-1", env=agency.env)
            uow.commit()
            if step.state != "running":
                break
    words = _text(dpo, page)
    assert "Done: the evidence proves what went and what stayed" in words
    assert "Evidence (ERA-03)" in words
    assert "retry pending" not in words
    soup = BeautifulSoup(dpo.get(page).text, "html.parser")
    evidence = {
        row.select_one("td code").get_text(): [td.get_text(" ", strip=True) for td in row("td")]
        for row in soup.select("#evidence ~ div tbody tr")
    }
    assert evidence["visits"][2:7] == ["2", "0", "2", "0", "w-1"]
    assert evidence["visits"][7] == "25 November 2026, 09:30 GMT"
    assert "kept" in evidence["payments"][0]
    assert "Kept: some of the person's data stays" in words


def test_era03_a_stale_plan_says_so_and_offers_a_new_plan(app: FastAPI) -> None:
    ref = _request(app, "no_longer_necessary")
    dpo = signed_in(app, "dpo@jtr.example", "dpo")
    _planned(app, dpo, ref)
    page = f"/console/requests/{ORG}/{ref}/erasure"
    _post(dpo, page, f"{page}/approve", confirm="yes")
    agency: Operational = app.state.agency
    engine = create_engine(agency.url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO visits VALUES (102, 10, '2026-04-01', 'later')"))
    engine.dispose()
    with _uow(app) as uow:
        for _ in range(5):
            if execute_plan(uow, _plan(app).id, worker="w-1", env=agency.env).state != "running":
                uow.commit()
                break
            uow.commit()

    words = _text(dpo, page)
    assert "The data changed since this plan: plan again" in words
    assert "Plan again" in words
    assert "Plan again" in _text(dpo, f"/console/requests/{ORG}/{ref}")
    _post(dpo, page, f"/console/requests/{ORG}/{ref}/erasure/plan", confirm="yes")
    assert _plan(app).state == PLANNED
    assert _plan(app).rows_erased == 8


def test_a_request_not_asking_for_erasure_has_no_panel(app: FastAPI) -> None:
    ref = _request(app)
    with _uow(app) as uow:
        from dataward.requests.models import RightsRequest

        row = uow.session.scalars(select(RightsRequest).where(RightsRequest.ref == ref)).one()
        row.rights = ["access"]
        uow.commit()
    case = signed_in(app, "case@jtr.example", "caseworker")
    page = f"/console/requests/{ORG}/{ref}"
    assert 'id="erasure"' not in case.get(page).text
    assert case.get(f"{page}/erasure").status_code == 409
