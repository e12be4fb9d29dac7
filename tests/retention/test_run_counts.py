"""The run's evidence counts (RULES: RET-03), taken when a database binding's record finishes
rather than in a pass over its due rows before acting (issue 20): they equal what the plan
counts on the same data. Today is 25 November 2026 (the ``clock`` fixture)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from retention_site import ORG, build_site, finish, store
from sqlalchemy import select

from dataward.holds.service import NewHold, place_hold
from dataward.retention.models import RetentionEvidence, RetentionRun
from dataward.retention.plan import plan_retention
from dataward.retention.plan_types import BindingPlan, RetentionPlan
from dataward.retention.run import evidence_of, run_step
from dataward.uow import UnitOfWork


def _hold_case_one(uow: UnitOfWork) -> None:
    place_hold(
        uow,
        NewHold(
            ORG, "case", "DPO", date(2027, 1, 1), case_ref="CASE1", datasets=("body_worn_video",)
        ),
        actor="dpo",
    )


# RULES: RET-03 (due and held by each hold, counted when the record finishes), RET-02
def test_the_counts_taken_after_acting_equal_the_plans_counts_of_the_same_data(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    site = build_site(tmp_path)
    store(uow, site)
    _hold_case_one(uow)
    plan = plan_retention(uow, ORG, env=site.env)
    planned = {
        (r.rule, d.dataset, b.table): b
        for r in plan.rules
        for d in r.datasets
        for b in d.bindings
        if b.status == "planned"
    }
    steps = finish(uow, site.env)
    records = evidence_of(uow, steps[-1].run_id)
    compared = 0
    for found in records:
        binding = planned.get((found.rule, found.dataset, found.table))
        if binding is None or found.status not in ("done", "flagged"):
            continue
        assert (found.due, found.held) == (binding.to_act_on, binding.held), found.table
        compared += 1
    bwv = next(r for r in records if r.table == "body_worn_video")
    # The legal hold, the open complaint and the investigation each keep one recording.
    assert sum(bwv.held.values()) == 3
    assert (bwv.due, bwv.rows) == (1, 1)
    assert compared >= 3
    run = uow.session.scalars(select(RetentionRun)).one()
    # The run's rows to act on, grown record by record, end at what the plan found.
    assert run.to_act_on == sum(
        b.to_act_on for b in planned.values() if b.to_act_on and b.conditions is not None
    )


# RULES: RET-03 (counts left to the record's end, not a pass before acting)
def test_a_database_binding_with_rows_to_act_on_is_counted_when_its_record_finishes(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    site = build_site(tmp_path)
    store(uow, site)
    light = plan_retention(uow, ORG, env=site.env, for_reader=False, counts=False)
    full = plan_retention(uow, ORG, env=site.env)

    def planned(plan: RetentionPlan) -> list[BindingPlan]:
        return [b for r in plan.rules for d in r.datasets for b in d.bindings]

    pairs = list(zip(planned(light), planned(full), strict=True))
    # Recordings 1 and 5 are due and free: not counted; the plan knows there are some.
    bwv = next(b for b, _ in pairs if b.table == "body_worn_video")
    assert (bwv.counted, bwv.due, bwv.held) == (False, 0, {})
    # A database binding with nothing to act on is counted at once, as the reader's plan.
    for light_one, full_one in pairs:
        if full_one.status == "planned" and full_one.conditions is not None:
            assert light_one.counted == (full_one.to_act_on == 0), full_one.table
            if light_one.counted:
                assert (light_one.due, light_one.held) == (full_one.due, full_one.held)
    assert any(b.counted for b, _ in pairs if b.status == "planned")
    first = run_step(uow, ORG, worker="w", env=site.env)
    uow.commit()
    assert first.did == "planned"
    record = uow.session.scalars(
        select(RetentionEvidence).where(RetentionEvidence.table == "body_worn_video")
    ).one()
    assert (record.status, record.due, record.held) == ("open", 0, {})
    finish(uow, site.env)
    uow.session.refresh(record)
    assert (record.status, record.due, record.rows) == ("done", 2, 2)
    assert record.held == {"complaint_on_case": 1, "investigation_on_case": 1}
