"""The demo agency's own sources file at work (issues 19 and 20): an erasure plan and the
retention dry run on the generated operational database, seed 1, today 25 November 2026 (the
``clock`` fixture). RULES: ERA-02, RET-01, RET-02.

The demo's sources file says how each column goes (contact details emptied, the name and
address overwritten, recordings and evidence deleted with their files, the client's cases and
payments kept with a reason) and binds JTR's case return and live case on the debtor's row, so
a debtor with a live case is kept whole and the customer rule can be planned on debtors.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from erasure_support import make_user
from sqlalchemy import create_engine, text

from dataward.demo.service import DemoOptions, create_demo
from dataward.demo.sources import FILES_DIR_FROM, OPERATIONAL_URL_FROM
from dataward.erasure.evidence import steps_of
from dataward.erasure.executor import execute_plan
from dataward.erasure.models import ErasureStep
from dataward.erasure.plan import plan_erasure, record_ground
from dataward.erasure.service import approve_erasure, get_plan
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.transitions import Step, link_subject, verify_identity
from dataward.retention.plan import EVENT_PENDING, plan_retention
from dataward.scratch import scratch_databases
from dataward.subjects.service import find_subjects
from dataward.uow import UnitOfWork

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ORG = "jtr_collections"
CASE = "user:caseworker"

# A debtor with an email address and recordings on their cases: every case returned, or one
# still live (not yet returned to the client).
_RECORDINGS = (
    "(SELECT count(*) FROM call_recordings r JOIN cases k ON r.case_id = k.id"
    " WHERE k.debtor_id = d.id)"
)
_LIVE = "(SELECT count(*) FROM cases k WHERE k.debtor_id = d.id AND k.returned_on IS NULL)"
_DEBTOR = (
    f"SELECT d.email, {_RECORDINGS} FROM debtors d "
    f"WHERE d.email IS NOT NULL AND {_RECORDINGS} > 0 AND {{live}} ORDER BY d.id LIMIT 1"
)


@pytest.fixture
def operational_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """The agency's own database on the same kind of server as dataward's."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'operational.db'}"
        return
    with scratch_databases(os.environ["DATAWARD_TEST_DATABASE_URL"], "demo_ops") as (url,):
        yield url


def _demo(uow: UnitOfWork, folder: Path, subjects: int, url: str | None = None) -> dict[str, str]:
    url = url or f"sqlite:///{folder / 'operational.db'}"
    files = folder / "files"
    create_demo(
        uow,
        DemoOptions(
            subjects=subjects,
            seed=1,
            operational_url=url,
            files_dir=files,
            sources_path=folder / "sources.yaml",
            register_path=EXAMPLES / "jtr-collections.yaml",
        ),
    )
    uow.commit()
    return {OPERATIONAL_URL_FROM: url, FILES_DIR_FROM: str(files)}


def _debtor(env: dict[str, str], live: bool) -> tuple[str, int]:
    """(email, call recordings) of the first such debtor."""
    engine = create_engine(env[OPERATIONAL_URL_FROM])
    try:
        with engine.connect() as conn:
            found = conn.execute(text(_DEBTOR.format(live=f"{_LIVE} {'>' if live else '='} 0")))
            email, recordings = found.one()
    finally:
        engine.dispose()
    return str(email), int(recordings)


def _payments(env: dict[str, str], email: str) -> int:
    engine = create_engine(env[OPERATIONAL_URL_FROM])
    try:
        with engine.connect() as conn:
            query = (
                "SELECT count(*) FROM payments p JOIN cases k ON p.case_id = k.id "
                "JOIN debtors d ON k.debtor_id = d.id WHERE d.email = :e"
            )
            return int(conn.execute(text(query), {"e": email}).scalar_one())
    finally:
        engine.dispose()


def _request_of(uow: UnitOfWork, env: dict[str, str], email: str) -> str:
    """An erasure request of the debtor's, linked, verified, with a ground, and planned."""
    subject = find_subjects(uow, ORG, "email", email)[0]
    requester = Requester(name="Demo Debtor", email=email)
    today = uow.clock.today()
    row = open_request(uow, NewRequest(ORG, ("erasure",), "email", today, requester), actor=CASE)
    link_subject(uow, ORG, row.ref, subject.ref, Step(CASE, today))
    verify_identity(uow, ORG, row.ref, "document", Step(CASE, today))
    record_ground(uow, ORG, row.ref, "no_longer_necessary", actor=CASE)
    plan_erasure(uow, ORG, row.ref, actor=CASE, env=env)
    uow.commit()
    return row.ref


def _planned(uow: UnitOfWork, env: dict[str, str], email: str) -> dict[str, ErasureStep]:
    """The plan's steps of the debtor's erasure request, by table."""
    plan = get_plan(uow, ORG, _request_of(uow, env, email))
    tables = {
        "customers": "debtors",
        "call_recordings": "call_recordings",
        "body_worn_video": "body_worn_video",
        "payments": "payments",
        "cases": "cases",
    }
    return {
        tables[step.dataset]: step
        for step in steps_of(uow, plan)
        if step.dataset in tables and step.binding == 0
    }


# RULES: ERA-02
def test_a_debtor_whose_cases_are_all_returned_loses_contact_details_and_recordings(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    env = _demo(uow, tmp_path, subjects=40)
    email, recordings = _debtor(env, live=False)

    steps = _planned(uow, env, email)

    debtor = steps["debtors"]
    assert (debtor.action, debtor.rows, debtor.rows_kept) == ("erase", 1, 0)
    assert debtor.how["email"] == debtor.how["phone"] == "set_null"
    assert debtor.how["date_of_birth"] == "set_null"
    assert debtor.how["last_name"] == "anonymise:redact"
    assert debtor.how["customer_ref"] == "keep"
    calls = steps["call_recordings"]
    assert (calls.action, calls.rows, calls.files) == ("erase", recordings, recordings)
    assert calls.how == {"file_path": "delete_row"}
    payments = steps["payments"]
    assert (payments.action, payments.kept_reason) == ("keep", "sources_keep")


# RULES: ERA-03
def test_the_demo_agency_erases_such_a_debtor_as_planned(
    uow: UnitOfWork, tmp_path: Path, operational_url: str
) -> None:
    env = _demo(uow, tmp_path, subjects=40, url=operational_url)
    email, recordings = _debtor(env, live=False)
    before = _payments(env, email)
    calls = Path(env[FILES_DIR_FROM]) / "call_recordings"
    files = sum(1 for f in calls.rglob("*") if f.is_file())
    ref = _request_of(uow, env, email)
    plan = approve_erasure(uow, ORG, ref, actor=make_user(uow, "dpo@jtr.example", "dpo"))
    uow.commit()
    for _ in range(10):
        step = execute_plan(uow, plan.id, worker="w-test", env=env)
        uow.commit()
        if step.state != "running":
            break
    assert step.state == "done"

    engine = create_engine(env[OPERATIONAL_URL_FROM])
    try:
        with engine.connect() as conn:
            debtor = conn.execute(
                text(
                    "SELECT id, email, phone, date_of_birth, first_name, postcode, customer_ref "
                    "FROM debtors WHERE last_name = '[erased]'"
                )
            ).one()
            left = conn.execute(
                text(
                    "SELECT count(*) FROM call_recordings r JOIN cases k ON r.case_id = k.id "
                    "WHERE k.debtor_id = :d"
                ),
                {"d": debtor.id},
            ).scalar_one()
            payments = conn.execute(
                text(
                    "SELECT count(*) FROM payments p JOIN cases k ON p.case_id = k.id "
                    "WHERE k.debtor_id = :d"
                ),
                {"d": debtor.id},
            ).scalar_one()
    finally:
        engine.dispose()
    assert (debtor.email, debtor.phone, debtor.date_of_birth) == (None, None, None)
    assert (debtor.first_name, debtor.postcode) == ("[erased]", "[erased]")
    assert debtor.customer_ref.startswith("JTR")  # the client's reference stays
    assert left == 0
    assert sum(1 for f in calls.rglob("*") if f.is_file()) == files - recordings
    assert payments == before  # the accounting record stays


# RULES: ERA-02, RET-02 (a live case keeps the customer's data)
def test_a_debtor_with_a_live_case_keeps_the_customer_record_for_the_live_case(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    env = _demo(uow, tmp_path, subjects=40)
    email, recordings = _debtor(env, live=True)

    steps = _planned(uow, env, email)

    debtor = steps["debtors"]
    assert (debtor.action, debtor.rows, debtor.rows_kept) == ("keep", 0, 1)
    assert (debtor.kept_reason, debtor.kept_detail) == ("hold_predicate", "live_case")
    assert steps["cases"].kept_reason == "sources_keep"
    # The register's live case keeps customer data; recordings have their own, shorter rule.
    calls = steps["call_recordings"]
    assert (calls.action, calls.rows) == ("erase", recordings)


# RULES: RET-01 (the latest returned case of the customer), RET-02 (a live case)
def test_the_retention_plan_on_the_demo_counts_customers_due_and_held(
    uow: UnitOfWork, tmp_path: Path, operational_url: str
) -> None:
    env = _demo(uow, tmp_path, subjects=2000, url=operational_url)

    plan = plan_retention(uow, ORG, env=env)

    rule = next(r for r in plan.rules if r.rule == "customer_data")
    assert rule.cutoff == date(2019, 12, 31)
    datasets = {d.dataset: d for d in rule.datasets}
    assert datasets["customers"].status == "bound"
    debtors = datasets["customers"].bindings[0]
    assert debtors.status == "planned"
    # One customer's returned cases all came back in 2019 or before, but another of their
    # cases is still live: held by the live case (and by the return still to come).
    assert (debtors.due, debtors.held_any, debtors.to_act_on) == (1, 1, 0)
    assert debtors.held == {"live_case": 1, EVENT_PENDING: 1}
    # Their payments, visits and notes are read through the case: due, and held with them.
    for dataset in ("payments", "visits", "complaints"):
        assert datasets[dataset].status == "bound"
        assert all(b.status == "planned" for b in datasets[dataset].bindings)
    payments = datasets["payments"].bindings[0]
    assert (payments.due, payments.held_any, payments.held[EVENT_PENDING]) == (1, 1, 1)
    notes = datasets["visits"].bindings[1]
    assert (notes.table, notes.due, notes.to_act_on) == ("notes", 3, 0)
