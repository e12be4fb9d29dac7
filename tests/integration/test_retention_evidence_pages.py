"""The console after retention runs (issue 20): each table's last run, overdue with why,
the rule's runs, the evidence pages and their CSV, and "Run now". RULES: RET-01 (due rows go
on time, or the page says why not), RET-02 (what holds kept), RET-03 (every run evidenced).

JTR's register on the demo agency's schema with explicit dates (``test_retention_plan``);
today is 25 November 2026. Runs are made in the test with ``run_step``, as the worker does.
BWV: recordings 1 and 5 go today, 2 is held by a complaint, 4 by an investigation closed
less than 90 days ago. Calls: call 1 goes today, call 2 falls due tomorrow.
"""

from __future__ import annotations

import csv
import io
import sys
import uuid
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "retention"))
from retention_site import console_with_site
from test_retention_plan import ORG
from web_support import audit_actions, csrf_from, signed_in

from dataward.clock import FixedClock
from dataward.demo.sources import OPERATIONAL_URL_FROM
from dataward.jobs.models import Job
from dataward.retention.jobs import RUN_JOB
from dataward.retention.models import RetentionEvidence
from dataward.retention.plan import plan_retention
from dataward.retention.run import evidence_of, run_step
from dataward.uow import UnitOfWork
from dataward.web.retention_run_pages import CSV_COLUMNS

PAGE = "/console/retention"
RUNS = "/console/retention/runs"
BWV = ("body_worn_video", "demo_operational.body_worn_video")
CALLS = ("call_recordings", "demo_operational.call_recordings")
DOWN = {OPERATIONAL_URL_FROM: f"sqlite:///{Path('/nonexistent') / 'agency.db'}"}


@pytest.fixture
def app(
    database_url: str,
    clock: FixedClock,
    vault: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[FastAPI]:
    yield from console_with_site(database_url, clock, vault, tmp_path, monkeypatch)


def _run(app: FastAPI, env: Mapping[str, str] | None = None) -> str:
    """Today's run to the end, a step and a commit at a time, as the worker does."""
    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        for _ in range(200):
            step = run_step(uow, ORG, worker="worker-7", env=env)
            uow.commit()
            if step.finished:
                return step.run_id
    raise AssertionError("the run did not finish")


def _records(app: FastAPI, run_id: str) -> list[RetentionEvidence]:
    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        found = evidence_of(uow, run_id)
        uow.session.expunge_all()
        return found


def _soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


def _text(node: Tag | None) -> str:
    assert node is not None
    return " ".join(node.get_text(" ").split())


def _rows(soup: BeautifulSoup, table: str) -> dict[tuple[str, str], Tag]:
    found = {}
    for tr in soup.select(f"table.{table} tbody tr"):
        rule = str(tr.th.a["href"]).split("/")[-1].split("?")[0]
        where = tr.select_one("td[data-label=Table]").get_text(strip=True)
        found[(rule, where)] = tr
    return found


def _cell(row: Tag, label: str) -> str:
    return _text(row.select_one(f'td[data-label="{label}"]'))


# RULES: RET-03, RET-02 (what the last run did, and what the holds kept)
def test_ret03_each_table_shows_its_last_run_and_nothing_is_overdue_after_it(
    app: FastAPI,
) -> None:
    client = signed_in(app, "dpo@jtr.example", "dpo")
    before = _soup(client.get(PAGE).text)
    assert "not run yet" in _cell(_rows(before, "retention-overdue")[BWV], "Why")
    run_id = _run(app)
    soup = _soup(client.get(PAGE).text)
    due = _rows(soup, "retention-due")
    last = _cell(due[BWV], "Last run")
    assert last.startswith("25 November 2026")
    assert "deleted 2 rows" in last
    assert "held 1 by Complaint on the case (open in the source)" in last
    assert "1 by Investigation on the case (open in the source)" in last
    # BWV, calls, the cases and the new occupiers' evidence (its path emptied, the row kept
    # for the assessment pointing at it) had rows to act on and the run took them: nothing
    # is overdue (a case the run anonymised is done, not due again).
    assert list(_rows(soup, "retention-overdue")) == []
    records = _records(app, run_id)
    cases = [r for r in records if r.table == "cases"]
    assert [(r.status, r.rows) for r in cases] == [("done", 1)]
    evidence = [r for r in records if r.table == "new_occupier_evidence"]
    assert [(r.status, r.rows) for r in evidence] == [("done", 1)]
    # The case the run anonymised (it lost its customer) is done: the plan no longer counts
    # it due, so no one reads it as left behind (RET-01).
    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        plan = plan_retention(uow, ORG)
    (rule,) = [r for r in plan.rules if r.rule == "customer_data"]
    (binding,) = [b for d in rule.datasets for b in d.bindings if b.table == "cases"]
    assert binding.to_act_on == 0
    latest = " ".join(soup.select_one("p.retention-latest-run").get_text().split())
    assert latest.startswith("Last run: 25 November 2026, done (finished 25 November 2026")
    assert soup.select_one(f'p.retention-latest-run a[href="{RUNS}/{run_id}"]') is not None


# RULES: RET-01 (due today and the day's run still to come is not overdue; a missed day is)
def test_ret01_due_today_waits_for_the_days_run_and_a_missed_day_is_overdue(
    app: FastAPI, clock: FixedClock
) -> None:
    _run(app)
    clock.set(datetime(2026, 11, 26, 1, 0, tzinfo=UTC))  # before the day's run
    soup = _soup(signed_in(app, "dpo@jtr.example", "dpo").get(PAGE).text)
    calls = _rows(soup, "retention-due")[CALLS]
    assert _cell(calls, "Due now, not held") == "1"  # call 2 fell due today
    assert "due today: today's run has not happened yet" in _cell(calls, "Last run")
    assert CALLS not in _rows(soup, "retention-overdue")
    clock.set(datetime(2026, 11, 28, 9, 0, tzinfo=UTC))  # no run on the 26th or 27th
    soup = _soup(signed_in(app, "dpo2@jtr.example", "dpo").get(PAGE).text)
    overdue = _rows(soup, "retention-overdue")[CALLS]
    assert _cell(overdue, "Rows") == "1"
    assert _cell(overdue, "Why") == "not run since 25 November 2026"
    assert _cell(overdue, "Last run").startswith("25 November 2026")


# RULES: RET-01 (a source down: the run waits, and the page says so the next time it looks)
def test_ret01_a_run_that_waited_makes_the_rows_overdue_with_its_reason(app: FastAPI) -> None:
    _run(app, env=DOWN)
    soup = _soup(signed_in(app, "dpo@jtr.example", "dpo").get(PAGE).text)
    bwv = _rows(soup, "retention-overdue")[BWV]
    assert _cell(bwv, "Rows") == "2"
    why = _cell(bwv, "Why")
    assert why.startswith("waits: source")
    assert "cannot be reached" in why
    assert why.endswith("(the run of 25 November 2026)")


# RULES: RET-03 (the register view: when each rule last ran and what it did)
def test_ret03_a_rules_page_lists_its_last_runs(app: FastAPI) -> None:
    run_id = _run(app)
    dpo = _soup(signed_in(app, "dpo@jtr.example", "dpo").get(f"{PAGE}/rules/body_worn_video").text)
    # One record per dataset: the recordings' table, and research footage no source binds.
    row, research = dpo.select("table.retention-rule-runs tbody tr")
    assert _cell(research, "Status") == "searched by hand not bound to any source"
    assert _text(row.th.a) == "25 November 2026"
    assert _text(row.select_one(".retention-at")) == "25 November 2026, 09:30 GMT"
    assert row.th.a["href"] == f"{RUNS}/{run_id}"
    assert _cell(row, "Status").startswith("done deleted 2 rows ; held 1 by Complaint on the case")
    assert _cell(row, "Table") == "demo_operational.body_worn_video"
    # A caseworker reads the plan but not the evidence: the day, without a link.
    case = signed_in(app, "case@jtr.example", "caseworker")
    page = _soup(case.get(f"{PAGE}/rules/body_worn_video").text)
    assert page.select_one("table.retention-rule-runs tbody tr th a") is None
    never = signed_in(app, "dpo2@jtr.example", "dpo").get(f"{PAGE}/rules/customer_data")
    assert "retention-rule-runs" in never.text  # customer data ran too, with nothing to act on


# RULES: RET-03 (the evidence, for an auditor)
def test_ret03_an_auditor_reads_the_runs_and_every_evidence_record(app: FastAPI) -> None:
    run_id = _run(app)
    records = _records(app, run_id)
    auditor = signed_in(app, "aud@jtr.example", "auditor")
    nav = _soup(auditor.get("/console").text).select_one(f'.site-nav a[href="{RUNS}"]')
    assert nav is not None
    assert nav.get_text(strip=True) == "Retention"
    runs = auditor.get(f"{RUNS}?org={ORG}")
    assert runs.status_code == 200
    [row] = _soup(runs.text).select("table.retention-run-list tbody tr")
    assert _text(row.th) == "25 November 2026"
    assert _cell(row, "State") == "done"
    assert _cell(row, "Worker") == "worker-7"
    assert _cell(row, "Started").startswith("25 November 2026")
    assert int(_cell(row, "Rows")) == sum(r.rows for r in records) >= 3
    page = auditor.get(f"{RUNS}/{run_id}")
    assert page.status_code == 200
    soup = _soup(page.text)
    shown = soup.select("table.retention-evidence tbody tr")
    assert len(shown) == len(records)
    bwv_record = next(r for r in records if r.rule == "body_worn_video")
    bwv = next(tr for tr in shown if _text(tr.th.code) == "body_worn_video")
    assert _text(bwv.select_one(".retention-dataset")) == "body_worn_video"
    assert _cell(bwv, "Status") == "done deleted 2 rows"
    # The customer rule says delete; the sources file anonymises the customer's row, which
    # stays: the page says what was done to the rows, not the rule's word.
    debtors = next(
        tr for tr in shown if _cell(tr, "Binding").startswith("demo_operational.debtors ")
    )
    assert _cell(debtors, "Status") == "done anonymised 1 row"
    assert _cell(bwv, "Keys digest") == bwv_record.keys_digest
    held = [_text(li) for li in bwv.select('td[data-label="Held"] li')]
    assert held == ["complaint_on_case: 1", "investigation_on_case: 1"]
    assert _cell(bwv, "Rows") == "2"
    assert _cell(bwv, "Binding") == "demo_operational.body_worn_video #0"
    assert _text(bwv.select_one(".retention-versions")) == "register 1, sources 1"
    assert _cell(bwv, "Worker, when, versions").startswith("worker-7 25 November 2026")
    vague = next(tr for tr in shown if _text(tr.th.code) == "vulnerability_evidence")
    assert _cell(vague, "Status").startswith("needs decision the period is")
    # Counts and digests only: a value of a row never shows.
    assert "07700900000" not in page.text
    assert "AB1 2CD" not in page.text


# RULES: RET-03 (the evidence leaves dataward as a CSV, one line a record)
def test_ret03_the_evidence_downloads_as_csv(app: FastAPI) -> None:
    run_id = _run(app)
    records = _records(app, run_id)
    answer = signed_in(app, "aud@jtr.example", "auditor").get(f"{RUNS}/{run_id}/evidence.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "retention-jtr_collections-2026-11-25.csv" in answer.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(answer.text)))
    assert tuple(lines[0]) == CSV_COLUMNS
    assert len(lines) == len(records) + 1
    got = [dict(zip(CSV_COLUMNS, line, strict=True)) for line in lines[1:]]
    bwv = next(g for g in got if g["rule"] == "body_worn_video")
    record = next(r for r in records if r.rule == "body_worn_video")
    assert (bwv["rows"], bwv["status"], bwv["keys_digest"]) == ("2", "done", record.keys_digest)
    assert (bwv["run_day"], bwv["worker"], bwv["own_data"]) == ("2026-11-25", "worker-7", "no")
    assert bwv["held"] == "complaint_on_case: 1; investigation_on_case: 1"
    assert [g["seq"] for g in got] == [str(r.seq) for r in records]


# RULES: RET-03 (dataward's own data in the same list, labelled)
def test_ret03_records_of_datawards_own_data_are_labelled(app: FastAPI) -> None:
    run_id = _run(app)
    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        uow.session.add(
            RetentionEvidence(
                id=str(uuid.uuid4()),
                run_id=run_id,
                seq=999,
                rule="own:closed_requests",
                dataset="closed_requests",
                connection="dataward",
                table="requests",
                action="delete",
                status="done",
                reason="",
                due=1,
                rows=1,
                files=0,
                held={},
                worker="worker-7",
                at=state.clock.now(),
                register_version=1,
                sources_version=1,
            )
        )
        uow.commit()
    auditor = signed_in(app, "aud@jtr.example", "auditor")
    soup = _soup(auditor.get(f"{RUNS}/{run_id}").text)
    own = [
        tr for tr in soup.select("table.retention-evidence tbody tr") if tr.select(".retention-own")
    ]
    # The run's own records (one per kind of dataward's own data) and the one added here:
    # every one labelled, no record of the register's rules among them.
    rules = [_text(tr.th.code) for tr in own]
    assert rules.count("own:closed_requests") == 2
    assert all(rule.startswith("own:") for rule in rules)
    assert {"own:access_packages", "own:web_sessions"} <= set(rules)
    assert {_text(tr.select_one(".retention-own")) for tr in own} == {"dataward's own data"}
    lines = list(csv.DictReader(io.StringIO(auditor.get(f"{RUNS}/{run_id}/evidence.csv").text)))
    marked = [line["rule"] for line in lines if line["own_data"] == "yes"]
    assert sorted(marked) == sorted(rules)
    assert not any(line["rule"].startswith("own:") for line in lines if line["own_data"] != "yes")


def test_ret03_who_may_read_the_evidence(app: FastAPI) -> None:
    """audit:read: an auditor, a DPO, an administrator; a caseworker reads the plan only."""
    run_id = _run(app)
    for user, role in (("admin@x", "admin"), ("dpo@x", "dpo"), ("aud@x", "auditor")):
        client = signed_in(app, user, role)
        assert client.get(RUNS).status_code == 200, role
        assert client.get(f"{RUNS}/{run_id}").status_code == 200, role
        assert client.get(f"{RUNS}/{run_id}/evidence.csv").status_code == 200, role
    case = signed_in(app, "case@x", "caseworker")
    assert case.get(RUNS).status_code == 403
    assert case.get(f"{RUNS}/{run_id}/evidence.csv").status_code == 403
    plan = _soup(case.get(PAGE).text)
    assert plan.select_one(f'a[href^="{RUNS}"]') is None
    assert plan.select_one(".site-nav a[href='/console/retention']") is not None
    missing = signed_in(app, "aud2@x", "auditor").get(f"{RUNS}/no-such-run")
    assert missing.status_code == 404
    assert "No such retention run" in missing.text
    assert "Traceback" not in missing.text
    anonymous = TestClient(app).get(RUNS, follow_redirects=False)
    assert anonymous.status_code == 303


def _run_jobs(app: FastAPI) -> list[Job]:
    with app.state.session_factory() as session:
        return list(session.scalars(select(Job).where(Job.kind == RUN_JOB)))


def _post_run_now(client: TestClient, **extra: str) -> object:
    token = csrf_from(client.get(PAGE).text)
    return client.post(f"{PAGE}/run-now", data={"org": ORG, "csrf_token": token, **extra})


# RULES: RET-01 (the daily run, queued by hand), RET-03 (audited)
def test_ret01_run_now_confirms_first_then_queues_one_job(app: FastAPI) -> None:
    dpo = signed_in(app, "dpo@jtr.example", "dpo")
    form = _soup(dpo.get(PAGE).text).select_one("form.retention-run-now")
    assert form is not None
    assert form["action"] == f"{PAGE}/run-now"
    asked = _post_run_now(dpo)
    assert asked.status_code == 200  # the confirmation page; nothing queued yet
    assert "Run retention now for jtr_collections" in asked.text
    assert "cannot be undone" in asked.text
    assert _run_jobs(app) == []
    done = _post_run_now(dpo, confirm="yes")
    assert done.status_code == 303
    assert done.headers["location"] == f"{PAGE}?org={ORG}"
    [job] = _run_jobs(app)
    assert (job.state, job.payload) == ("due", {"organisation": ORG})
    assert "retention.run_queued" in audit_actions(app)
    flash = _text(_soup(dpo.get(done.headers["location"]).text).select_one(".flash"))
    assert "Retention run for jtr_collections on 25 November 2026 queued" in flash
    again = _post_run_now(dpo, confirm="yes")
    assert again.status_code == 303
    assert len(_run_jobs(app)) == 1  # no duplicate
    assert audit_actions(app).count("retention.run_queued") == 1
    flash = _text(_soup(dpo.get(again.headers["location"]).text).select_one(".flash"))
    assert "already queued or under way; nothing added" in flash


def test_ret01_run_now_after_todays_run_is_refused_and_queues_nothing(app: FastAPI) -> None:
    _run(app)
    admin = signed_in(app, "admin@jtr.example", "admin")
    answer = _post_run_now(admin, confirm="yes")
    assert answer.status_code == 303
    flash = _text(_soup(admin.get(answer.headers["location"]).text).select_one(".flash"))
    assert "today's retention run of jtr_collections is done" in flash.lower()
    assert "(code retention_ran_today)" in flash
    assert _run_jobs(app) == []


def test_ret01_only_the_dpo_or_an_administrator_may_run_now(app: FastAPI) -> None:
    case = signed_in(app, "case@jtr.example", "caseworker")
    assert _soup(case.get(PAGE).text).select_one("form.retention-run-now") is None
    token = csrf_from(case.get(PAGE).text)
    refused = case.post(f"{PAGE}/run-now", data={"org": ORG, "csrf_token": token, "confirm": "yes"})
    assert refused.status_code == 403
    assert _run_jobs(app) == []
    # A look ahead is not today: no button.
    dpo = signed_in(app, "dpo@jtr.example", "dpo")
    ahead = _soup(dpo.get(f"{PAGE}?org={ORG}&as_of=2026-12-01").text)
    assert ahead.select_one("form.retention-run-now") is None
