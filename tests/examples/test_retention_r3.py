"""R3 Repairs' retention rules on its own jobs database (issue 20): R3's own register and the
sources file `dataward examples data --org r3` writes (RULES: RET-01, RET-02; facts
``retention.g1``..``g8``).

R3's notice gives no period for any rule ("a set time", "as long as reasonably necessary"):
the plan lists every rule as needing a decision and nothing goes. Once R3 decides a period
(its retention policy; here a copy of the register with one), it is counted in the
Scottish calendar and R3's holds keep what they hold.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from retention_support import (
    Sweep,
    fill,
    run_sql,
    store_sources_document,
)
from runs_support import EXAMPLES, R3, runs, store_example

from dataward.demo import repairs
from dataward.demo.example_data import shape_of, sources_document
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.uow import UnitOfWork

ORG = "r3_repairs"
ENDED = date(2026, 11, 20)  # a Friday; Monday 30 November is St Andrew's Day in Scotland


def _rows() -> dict[str, list[dict[str, Any]]]:
    """Customer 1 (nothing held), 2 (a complaint open), 3 (a restriction for legal claims);
    members 1 (left), 2 (left, litigation in prospect), 3 (still a member)."""
    person = {"full_name": "P", "address": "1 Court St, Haddington"}
    job = {"property_address": "1 Court St", "reported_on": date(2026, 11, 1), "fault": "Oven"}
    return {
        "customers": [
            {"id": i, "account_id": f"ACC-{i}", "email": f"c{i}@example.com", **person}
            for i in (1, 2, 3)
        ],
        "jobs": [
            {"id": i, "customer_id": c, "completed_on": end, **job}
            for i, c, end in ((1, 1, ENDED), (2, 2, ENDED), (3, 3, ENDED), (4, 1, None))
        ],
        "job_visits": [
            {"id": i, "job_id": j, "visited_on": date(2026, 11, 2), "engineer": "Engineer A"}
            for i, j in ((1, 1), (2, 4), (3, 3))
        ],
        "members": [
            {"id": i, "full_name": "M", "email": f"m{i}@example.com"}
            | {"joined_on": date(2020, 1, 1), "left_on": left}
            for i, left in ((1, ENDED), (2, ENDED), (3, None))
        ],
        "complaints": [
            {"id": 1, "customer_id": 2, "job_id": 2, "member_id": None}
            | {"opened_on": date(2026, 11, 10), "closed_on": None, "category": "delay"},
        ],
        "litigation_prospects": [
            {"id": 1, "customer_id": None, "member_id": 2}
            | {"noted_on": date(2026, 11, 10), "closed_on": None},
        ],
        "restrictions": [
            {"id": 1, "customer_id": 3, "requested_on": date(2026, 10, 1), "lifted_on": None},
        ],
    }


def _repairs(uow: UnitOfWork, url: str, *, register: Path | None = None) -> Sweep:
    fill(url, repairs.metadata, _rows())
    if register is None:
        store_example(uow, R3)
    else:
        store_register(uow, load_register(register), actor="test")
    document = sources_document(shape_of("r3"), EXAMPLES)
    store_sources_document(uow, ORG, document)
    return Sweep(uow, ORG, {"R3_JOBS_DB_URL": url})


# RULES: RET-01; reported, never guessed. Facts retention.g1, g5, g6, g8.
@runs("retention.g1", "retention.g5", "retention.g6", "retention.g8")
def test_it_lists_every_rule_whose_period_the_notice_does_not_give_as_needing_a_decision(
    uow: UnitOfWork, source_url: str
) -> None:
    sweep = _repairs(uow, source_url)
    day = sweep.day(date(2032, 1, 5))  # years after every service and membership ended
    reasons = {r.rule: (r.status, r.reason) for r in day.plan.rules}
    asap = "the period is 'as soon as reasonably necessary': set a fixed period"
    unstated = "the notice gives no period (unspecified)"
    assert reasons == {
        "general_limit": ("needs_decision", asap),
        "service_data": ("needs_decision", unstated),
        "membership_data": ("needs_decision", unstated),
        "paper_disposal": ("needs_decision", asap),
    }
    assert all(rule.datasets == [] for rule in day.plan.rules)
    assert {(r.rule, r.status, r.rows) for r in day.records if not r.rule.startswith("own:")} == {
        (rule, "needs_decision", 0) for rule in reasons
    }
    assert not any(day.deleted.values())


def _decided(tmp_path: Path) -> Path:
    """R3's register with a period decided for service and membership data: ten working
    days, a test's choice (R3's retention policy is not public)."""
    text = (EXAMPLES / R3.register_file).read_text(encoding="utf-8")
    service = 'offset: {unspecified: "A set time whose length'
    membership = 'offset: {unspecified: "The same set time as for service data'
    lines = [
        "    offset: {working_days: 10}\n" if service in line or membership in line else line
        for line in text.splitlines(keepends=True)
    ]
    assert sum(service in line or membership in line for line in text.splitlines()) == 2
    decided = tmp_path / "r3-decided.yaml"
    decided.write_text("".join(lines), encoding="utf-8")
    return decided


# RULES: RET-01 (working days in Scotland), RET-02 (a complaint, a prospect of litigation
# and a restriction for legal claims keep the data; the notice gives no end, so once each
# closes the rule resumes). Facts retention.g2, g3 (g5, g6 once a period is decided).
@runs("retention.g3")
def test_a_decided_period_runs_in_scottish_working_days_and_r3s_holds_keep_their_data(
    uow: UnitOfWork, source_url: str, tmp_path: Path
) -> None:
    sweep = _repairs(uow, source_url, register=_decided(tmp_path))

    # Ten working days from Friday 20 November: 4 December in England, but St Andrew's Day
    # (Monday 30 November) is a Scottish bank holiday, so 7 December.
    day = sweep.day(date(2026, 12, 4))
    assert day.rule("service_data").cutoff == date(2026, 11, 19)
    assert day.gone("service_data", "jobs") == []
    assert day.gone("membership_data", "members") == []
    day = sweep.day(date(2026, 12, 7))
    assert day.gone("service_data", "jobs") == [1]
    assert day.gone("service_data", "job_visits") == [1]
    assert day.gone("membership_data", "members") == [1]
    jobs = day.record("service_data", "jobs")
    assert (jobs.held["complaint"], jobs.held["restriction_for_legal_claims"]) == (1, 1)
    assert day.record("membership_data", "members").held["prospect_of_litigation"] == 1

    run_sql(source_url, "UPDATE complaints SET closed_on = :day", day=date(2027, 1, 15))
    run_sql(source_url, "UPDATE litigation_prospects SET closed_on = :day", day=date(2027, 1, 15))
    day = sweep.day(date(2027, 1, 15))
    assert day.gone("service_data", "jobs") == [2]
    assert day.gone("membership_data", "members") == [2]
    # The closed complaint and prospect go with their job and member, before them: they
    # point at them.
    assert day.gone("service_data", "complaints") == [1]
    assert day.gone("membership_data", "litigation_prospects") == [1]
    assert [r.table for r in day.records if r.rows and not r.rule.startswith("own:")] == [
        "complaints",
        "jobs",
        "litigation_prospects",
        "members",
    ]

    # The restriction is held until lifted; its job's visit goes with it.
    assert sweep.day(date(2027, 1, 19)).gone("service_data", "jobs") == []
    run_sql(source_url, "UPDATE restrictions SET lifted_on = :day", day=date(2027, 1, 20))
    day = sweep.day(date(2027, 1, 20))
    assert day.gone("service_data", "jobs") == [3]
    assert day.gone("service_data", "job_visits") == [3]
