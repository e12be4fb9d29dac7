"""What erasure keeps for a reason of law (issue 19, ERA-02), on SQLite and PostgreSQL.

Two reasons beyond holds on the subject or a record: a hold on a case, mapped to the rows of
the case by the sources file's ``entities:``; and a retention rule whose period the register
says is a legal obligation to keep (``keeps_for``), kept until the period ends where the
trigger's date can be read, wholly where it cannot, and not at all where the register is
silent.

The organisation's data is ``package_build_support``'s JTR-shaped database with, for Mary, a
second case (CASE-11) with a visit and a recording, so that the rows of one case are kept
while the rows of her other case go.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from erasure_support import erasure_request, erasure_sources, make_user
from package_build_support import CASE, JTR, ORG, Operational, build_operational
from sqlalchemy import create_engine, text

from dataward.clock import FixedClock
from dataward.erasure.evidence import evidence_of, steps_of
from dataward.erasure.executor import execute_plan
from dataward.erasure.models import DONE, ErasurePlan, ErasureStep
from dataward.erasure.plan import plan_erasure
from dataward.erasure.service import approve_erasure
from dataward.holds.service import NewHold, place_hold
from dataward.publication.registers import store_register
from dataward.publication.sources import store_sources
from dataward.register.loader import load_register
from dataward.sources.loader import parse_sources
from dataward.uow import UnitOfWork

WORKER = "w-keeps"

# The rows of a case reached directly, through one table, and through two.
CASE_COLUMNS = {
    "      table: cases\n      key: id\n": "      entities: {case: case_ref}\n",
    "      table: visits\n      key: id\n": (
        "      entities:\n        case: {via: case_id, table: cases, key: id, column: case_ref}\n"
    ),
    "      table: recordings\n      key: id\n": (
        "      entities:\n"
        "        case:\n"
        "          via: visit_id\n"
        "          table: visits\n"
        "          key: id\n"
        "          then: {via: case_id, table: cases, key: id}\n"
        "          column: case_ref\n"
    ),
}
VISIT_MADE = "  - {id: visit_made, name: Agent visit made, entity: visit}\n"


@pytest.fixture
def agency(tmp_path: Path) -> Operational:
    found = build_operational(tmp_path / "agency")
    engine = create_engine(found.url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO cases VALUES (11, 1, 'CASE-11', '2026-04-01')"))
        conn.execute(text("INSERT INTO visits VALUES (110, 11, '2026-04-02', 'second case')"))
        conn.execute(text("INSERT INTO recordings VALUES (1100, 110, 'bwv/case-11.mp4')"))
    engine.dispose()
    return found


def _ids(agency: Operational, table: str) -> list[int]:
    engine = create_engine(agency.url)
    with engine.connect() as conn:
        found = [int(r[0]) for r in conn.execute(text(f"SELECT id FROM {table} ORDER BY id"))]
    engine.dispose()
    return found


def _sources(*, events: str = "", cases: bool = True) -> str:
    found = erasure_sources(keep_payments=False)
    if cases:
        for anchor, entities in CASE_COLUMNS.items():
            assert found.count(anchor) == 1, anchor
            found = found.replace(anchor, anchor + entities)
    if events:
        anchor = "      table: visits\n      key: id\n"
        found = found.replace(anchor, anchor + events)
    return found


def _register(tmp_path: Path, rule: str = "") -> Path:
    """The JTR register with a visit event, and ``rule`` first among its retention rules."""
    body = JTR.read_text(encoding="utf-8")
    body = body.replace("\nevents:\n", "\nevents:\n" + VISIT_MADE, 1)
    body = body.replace("\nretention_rules:\n", "\nretention_rules:\n" + rule, 1)
    path = tmp_path / "jtr-collections.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def _stored(uow: UnitOfWork, register: Path, sources: str) -> None:
    store_register(uow, load_register(register))
    store_sources(uow, parse_sources(sources, "sources.yaml"), organisation=ORG, actor="dpo")
    uow.commit()


def _rule(keeps_for: str | None, *, covers: str = "visits") -> str:
    given = f"    keeps_for: {keeps_for}\n" if keeps_for is not None else ""
    return (
        "  - id: visit_records\n"
        "    name: Records of agents' visits\n"
        f"    covers: {{datasets: [{covers}]}}\n"
        "    trigger: {any_of: [visit_made]}\n"
        "    offset: {days: 270}\n"
        "    action: delete\n" + given
    )


def _case_hold(
    uow: UnitOfWork, case_ref: str, datasets: tuple[str, ...], hold_id: str | None = None
) -> str:
    """A hold on a case: one the register does not describe (matched on every entity the
    binding names), or one of the register's (matched on the entities it sits on)."""
    placed = place_hold(
        uow,
        NewHold(
            organisation=ORG,
            scope="case",
            owner="dpo@jtr.example",
            review_on=date(2027, 7, 1),
            hold_id=hold_id,
            reason=None if hold_id else "complaint",
            case_ref=case_ref,
            datasets=datasets,
        ),
        actor=CASE,
    )
    uow.commit()
    return placed.ref


def _plan(uow: UnitOfWork, agency: Operational) -> tuple[str, ErasurePlan]:
    row = erasure_request(uow)
    plan = plan_erasure(uow, ORG, row.ref, actor=CASE, env=agency.env)
    uow.commit()
    return row.ref, plan


def _steps(uow: UnitOfWork, plan: ErasurePlan) -> dict[str, ErasureStep]:
    return {s.dataset: s for s in steps_of(uow, plan)}


def _summary(step: Any) -> tuple[int, int, str | None, str | None]:
    return step.rows, step.rows_kept, step.kept_reason, step.kept_detail


def _run_all(uow: UnitOfWork, plan: ErasurePlan, agency: Operational) -> None:
    for _ in range(10):
        step = execute_plan(uow, plan.id, worker=WORKER, env=agency.env)
        uow.commit()
        if step.state != "running":
            assert step.state == DONE, step
            return
    raise AssertionError("the plan did not finish")


# RULES: ERA-02 (a legal hold on a case keeps the case's rows, and only those)
def test_a_case_hold_keeps_exactly_the_rows_of_its_case(
    uow: UnitOfWork, agency: Operational, tmp_path: Path
) -> None:
    _stored(uow, _register(tmp_path), _sources())
    hold = _case_hold(uow, "CASE-10", ("cases", "visits", "body_worn_video"))

    ref, plan = _plan(uow, agency)

    steps = _steps(uow, plan)
    detail = f"case hold {hold}"
    # The case row itself (its column), its visits (one hop) and recordings (two hops).
    assert _summary(steps["cases"]) == (1, 1, "legal_hold", detail)
    assert _summary(steps["visits"]) == (1, 2, "legal_hold", detail)
    assert _summary(steps["body_worn_video"]) == (1, 3, "legal_hold", detail)
    assert _summary(steps["payments"]) == (1, 0, None, None)  # not in the hold's datasets

    approve_erasure(uow, ORG, ref, actor=make_user(uow, "dpo@jtr.example", "dpo"))
    uow.commit()
    _run_all(uow, plan, agency)

    # CASE-11's rows went; CASE-10's stayed; the stranger's (20, 200, 2000) were never touched.
    assert _ids(agency, "cases") == [10, 20]
    assert _ids(agency, "visits") == [100, 101, 200]
    assert _ids(agency, "recordings") == [1000, 1001, 1002, 2000]
    evidence = {e.dataset: e for e in evidence_of(uow, plan)}
    assert (evidence["visits"].rows, evidence["visits"].rows_kept) == (1, 2)
    assert (evidence["visits"].kept_reason, evidence["visits"].kept_detail) == (
        "legal_hold",
        detail,
    )


# RULES: ERA-02, RET-02 (a hold placed after approval keeps its rows at execution)
def test_a_case_hold_placed_after_approval_keeps_its_rows_and_the_evidence_says_so(
    uow: UnitOfWork, agency: Operational, tmp_path: Path
) -> None:
    _stored(uow, _register(tmp_path), _sources())
    ref, plan = _plan(uow, agency)
    assert _summary(_steps(uow, plan)["visits"]) == (3, 0, None, None)
    approve_erasure(uow, ORG, ref, actor=make_user(uow, "dpo@jtr.example", "dpo"))
    uow.commit()

    hold = _case_hold(uow, "CASE-11", ("visits",), hold_id="complaint_on_case")  # on: [case]
    _run_all(uow, plan, agency)

    assert _ids(agency, "visits") == [110, 200]
    assert _ids(agency, "cases") == [20]  # the hold keeps only the datasets it names
    evidence = {e.dataset: e for e in evidence_of(uow, plan)}
    visits = evidence["visits"]
    assert (visits.rows, visits.rows_kept, visits.kept_reason) == (2, 1, "legal_hold")
    assert visits.kept_detail == f"held since approval, case hold {hold}"
    assert plan.shredded is False


# RULES: ERA-02 (a hold on another case, or a closed one, keeps nothing)
def test_a_hold_on_a_case_the_binding_cannot_name_keeps_nothing_of_it(
    uow: UnitOfWork, agency: Operational, tmp_path: Path
) -> None:
    _stored(uow, _register(tmp_path), _sources(cases=False))
    _case_hold(uow, "CASE-10", ("visits",))
    _case_hold(uow, "CASE-20", ("visits",))

    _, plan = _plan(uow, agency)

    # Without entities: the plan cannot tell the case's rows, as before this change.
    assert _summary(_steps(uow, plan)["visits"]) == (3, 0, None, None)


# RULES: ERA-02, RET-01 (a legal obligation keeps the rows still in its period)
def test_a_legal_obligation_keeps_only_the_rows_still_in_its_period(
    uow: UnitOfWork, agency: Operational, tmp_path: Path, clock: FixedClock
) -> None:
    law = '{legal_obligation: "the Taking Control of Goods Regulations 2013"}'
    register = _register(tmp_path, _rule(law))
    _stored(uow, register, _sources(events="      events: {visit_made: visited_on}\n"))
    # Visits of 2 March, 9 March and 2 April: 270 days end on 27 November, 4 December and
    # 28 December 2026.
    clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))

    ref, plan = _plan(uow, agency)

    assert _summary(_steps(uow, plan)["visits"]) == (1, 2, "legal_obligation", "rule visit_records")

    # A week later the 9 March visit's period has ended too.
    clock.set(datetime(2026, 12, 8, 10, 0, tzinfo=UTC))
    plan = plan_erasure(uow, ORG, ref, actor=CASE, env=agency.env)
    uow.commit()
    assert _summary(_steps(uow, plan)["visits"]) == (2, 1, "legal_obligation", "rule visit_records")

    approve_erasure(uow, ORG, ref, actor=make_user(uow, "dpo@jtr.example", "dpo"))
    uow.commit()
    _run_all(uow, plan, agency)
    assert _ids(agency, "visits") == [110, 200]
    (evidence,) = [e for e in evidence_of(uow, plan) if e.dataset == "visits"]
    assert (evidence.rows, evidence.rows_kept, evidence.kept_reason) == (2, 1, "legal_obligation")


# RULES: ERA-02 (never guess a date: an unbound trigger keeps the whole binding)
def test_a_legal_claims_rule_whose_trigger_is_not_bound_keeps_every_row(
    uow: UnitOfWork, agency: Operational, tmp_path: Path
) -> None:
    claims = '{legal_claims: "claims under the Limitation Act 1980"}'
    _stored(uow, _register(tmp_path, _rule(claims, covers="payments")), _sources())

    _, plan = _plan(uow, agency)

    steps = _steps(uow, plan)
    assert (steps["payments"].action, *_summary(steps["payments"])) == (
        "keep",
        0,
        1,
        "legal_claims",
        "rule visit_records: its trigger is not bound here, the date could not be read",
    )
    assert _summary(steps["visits"]) == (3, 0, None, None)
    assert plan.shred_when_done is False


# RULES: ERA-02 (silence stays silence: a rule without keeps_for keeps nothing)
def test_a_rule_the_register_does_not_mark_keeps_nothing(
    uow: UnitOfWork, agency: Operational, tmp_path: Path, clock: FixedClock
) -> None:
    register = _register(tmp_path, _rule(None))
    _stored(uow, register, _sources(events="      events: {visit_made: visited_on}\n"))
    clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))

    _, plan = _plan(uow, agency)

    assert _summary(_steps(uow, plan)["visits"]) == (3, 0, None, None)


# RULES: ERA-02, ERA-03 (a period that ended since approval: never executed blindly)
def test_a_period_that_ends_after_approval_makes_the_plan_stale_and_changes_nothing(
    uow: UnitOfWork, agency: Operational, tmp_path: Path, clock: FixedClock
) -> None:
    law = '{legal_obligation: "the Taking Control of Goods Regulations 2013"}'
    register = _register(tmp_path, _rule(law))
    _stored(uow, register, _sources(events="      events: {visit_made: visited_on}\n"))
    clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    ref, plan = _plan(uow, agency)
    approve_erasure(uow, ORG, ref, actor=make_user(uow, "dpo@jtr.example", "dpo"))
    uow.commit()

    clock.set(datetime(2026, 12, 8, 10, 0, tzinfo=UTC))  # the 9 March visit's period ended
    states = []
    for _ in range(3):
        step = execute_plan(uow, plan.id, worker=WORKER, env=agency.env)
        uow.commit()
        states.append(step.state)
        if step.state != "running":
            break

    assert states[-1] == "stale"
    assert _ids(agency, "visits") == [100, 101, 110, 200]


# RULES: ERA-02, RET-01 (the clock from the latest event: "after the last visit")
def test_a_period_from_the_latest_event_keeps_every_row_until_the_last_ends(
    uow: UnitOfWork, agency: Operational, tmp_path: Path, clock: FixedClock
) -> None:
    law = '{legal_obligation: "the Taking Control of Goods Regulations 2013"}'
    rule = _rule(law).replace(
        "{any_of: [visit_made]}", "{any_of: [visit_made], latest_of_entity: true}"
    )
    _stored(
        uow,
        _register(tmp_path, rule),
        _sources(events="      events: {visit_made: visited_on}\n"),
    )
    # The last visit (2 April) ends its 270 days on 28 December 2026.
    clock.set(datetime(2026, 12, 8, 10, 0, tzinfo=UTC))
    ref, plan = _plan(uow, agency)
    assert _summary(_steps(uow, plan)["visits"]) == (0, 3, "legal_obligation", "rule visit_records")

    clock.set(datetime(2026, 12, 28, 10, 0, tzinfo=UTC))
    plan = plan_erasure(uow, ORG, ref, actor=CASE, env=agency.env)
    uow.commit()
    assert _summary(_steps(uow, plan)["visits"]) == (3, 0, None, None)
