"""``run_step`` (RULES: RET-01, RET-02, RET-03, ERA-02): JTR's rules acted on in the demo
agency's schema, with explicit dates. Today is 25 November 2026 (the ``clock`` fixture).

Body-worn video (90 days, cutoff 27 August): recordings 1 and 5 are due and free; 2 is due
but a complaint is open on its case; 3 is due tomorrow; 4 is due but its case's
investigation closed on 1 October and the register keeps it 90 days after (restart_after).
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from retention_site import ORG, Site, build_site, finish, ids, store
from sqlalchemy import create_engine, select, text

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.holds.service import NewHold, place_hold
from dataward.retention import run as run_module
from dataward.retention.errors import RetentionClockBehind
from dataward.retention.models import RetentionBatch, RetentionEvidence, RetentionRun
from dataward.retention.run import evidence_of, run_step
from dataward.uow import UnitOfWork


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return build_site(tmp_path)


def _record(uow: UnitOfWork, rule: str, dataset: str, table: str = "") -> RetentionEvidence:
    found = uow.session.scalars(
        select(RetentionEvidence).where(
            RetentionEvidence.rule == rule,
            RetentionEvidence.dataset == dataset,
            *([RetentionEvidence.table == table] if table else []),
        )
    ).all()
    assert len(found) == 1, found
    return found[0]


# RULES: RET-01, RET-02 (a source hold predicate, a hold restarting after closure)
def test_it_deletes_due_rows_and_keeps_held_and_not_yet_due_rows(
    uow: UnitOfWork, site: Site
) -> None:
    store(uow, site)
    steps = finish(uow, site.env)
    assert ids(site, "body_worn_video") == {2, 3, 4}
    # Calls: 1 due (cutoff 26 October), 2 due tomorrow, 3 held by the complaint on case 6.
    assert ids(site, "call_recordings") == {2, 3}
    assert steps[0].did == "planned"
    assert steps[-1].finished
    assert steps[-1].state == "done"
    run = uow.session.scalars(select(RetentionRun)).one()
    assert (run.as_of, run.state) == (date(2026, 11, 25), "done")
    assert run.rows == steps[-1].rows
    assert run.rows >= 3


# RULES: RET-03 (one record per rule and dataset and binding, with count, digest, versions)
def test_it_writes_one_evidence_record_per_rule_dataset_and_binding(
    uow: UnitOfWork, site: Site
) -> None:
    store(uow, site)
    steps = finish(uow, site.env, worker="worker-7")
    records = evidence_of(uow, steps[-1].run_id)
    targets = [(r.rule, r.dataset, r.connection, r.table) for r in records]
    assert len(targets) == len(set(targets))
    bwv = _record(uow, "body_worn_video", "body_worn_video")
    assert (bwv.status, bwv.rows, bwv.action) == ("done", 2, "delete")
    assert bwv.held == {"complaint_on_case": 1, "investigation_on_case": 1}
    assert bwv.keys_digest is not None
    assert len(bwv.keys_digest) == 64
    assert bwv.worker == "worker-7"
    assert bwv.register_version == 1
    assert bwv.sources_version == 1
    vague = _record(uow, "vulnerability_evidence", "")
    assert vague.status == "needs_decision"
    assert vague.rows == 0
    # Nothing of a row is kept: batches are done and keep no keys or paths.
    for batch in uow.session.scalars(select(RetentionBatch)):
        assert (batch.state, batch.keys, batch.paths) == ("done", None, None)
    actions = [e.action for e in uow.session.scalars(select(AuditEvent))]
    assert actions.count("retention.rule_ran") == len(records)
    assert actions.count("retention.run_done") == 1


# RULES: RET-03 (one run per organisation per day)
def test_a_second_run_the_same_day_finds_it_done(uow: UnitOfWork, site: Site) -> None:
    store(uow, site)
    first = finish(uow, site.env)
    again = run_step(uow, ORG, worker="w", env=site.env)
    assert (again.did, again.run_id, again.finished) == ("already_done", first[-1].run_id, True)
    assert len(uow.session.scalars(select(RetentionRun)).all()) == 1


# RULES: RET-02, ERA-02 (a legal hold placed on a case)
def test_a_legal_hold_on_a_case_keeps_its_rows(uow: UnitOfWork, site: Site) -> None:
    store(uow, site)
    place_hold(
        uow,
        NewHold(
            ORG, "case", "DPO", date(2027, 1, 1), case_ref="CASE1", datasets=("body_worn_video",)
        ),
        actor="dpo",
    )
    finish(uow, site.env)
    assert ids(site, "body_worn_video") == {1, 2, 3, 4}


# RULES: RET-02 (a hold placed after the batch was chosen keeps its rows at delete time)
def test_a_hold_placed_between_choosing_and_deleting_keeps_the_rows(
    uow: UnitOfWork, site: Site
) -> None:
    store(uow, site)
    for _ in range(40):
        step = run_step(uow, ORG, worker="w", env=site.env)
        uow.commit()
        if step.did == "chosen" and step.record and step.record.startswith("body_worn_video"):
            break
    batch = uow.session.scalars(select(RetentionBatch).where(RetentionBatch.state == "pending"))
    assert sorted(batch.one().keys or []) == [1, 5]
    place_hold(
        uow,
        NewHold(
            ORG, "record", "DPO", date(2027, 1, 1), record_ref="5", datasets=("body_worn_video",)
        ),
        actor="dpo",
    )
    uow.commit()
    finish(uow, site.env)
    assert ids(site, "body_worn_video") == {2, 3, 4, 5}
    assert _record(uow, "body_worn_video", "body_worn_video").rows == 1


# RULES: RET-01 (the clock moved across the due date), RET-02 (restart_after)
def test_rows_go_once_the_clock_crosses_their_due_date_and_the_hold_releases(
    uow: UnitOfWork, site: Site, clock: FixedClock
) -> None:
    store(uow, site)
    finish(uow, site.env)
    assert ids(site, "call_recordings") == {2, 3}
    clock.advance(timedelta(days=1))  # 26 November: call 2 (27 October) is 30 days old
    finish(uow, site.env)
    assert ids(site, "call_recordings") == {3}  # the complaint on case 6 keeps call 3
    # The investigation on recording 4's case closed 1 October; the register keeps it 90
    # days after the closure: held until 30 December, the day it is released.
    clock.advance(timedelta(days=33))  # 29 December: still held
    finish(uow, site.env)
    assert ids(site, "body_worn_video") == {2, 3, 4}
    clock.advance(timedelta(days=1))  # 30 December
    finish(uow, site.env)
    assert ids(site, "body_worn_video") == {2, 3}  # the complaint on case 6 is still open
    assert len(uow.session.scalars(select(RetentionRun)).all()) == 4


# RULES: RET-01 (a clock moved backwards deletes nothing early)
def test_a_clock_moved_backwards_is_refused(uow: UnitOfWork, site: Site, clock: FixedClock) -> None:
    store(uow, site)
    clock.advance(timedelta(days=1))
    finish(uow, site.env)
    before = ids(site, "body_worn_video")
    clock.advance(timedelta(days=-1))
    with pytest.raises(RetentionClockBehind):
        run_step(uow, ORG, worker="w", env=site.env)
    assert ids(site, "body_worn_video") == before


# RULES: RET-03 (resumable: killed after the source committed, before dataward did)
def test_a_run_killed_after_the_source_commits_resumes_without_double_work(
    uow: UnitOfWork, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    store(uow, site)
    real = run_module.after_source_commit
    crashed: list[int] = []

    def crash(opened: Any, pending: RetentionBatch, acted: Any) -> int:
        record = uow.session.get(RetentionEvidence, pending.evidence_id)
        assert record is not None
        if not crashed and record.rule == "body_worn_video":
            crashed.append(1)
            raise RuntimeError("killed")
        return real(opened, pending, acted)

    monkeypatch.setattr(run_module, "after_source_commit", crash)
    with pytest.raises(RuntimeError):
        finish(uow, site.env, batch_size=1)
    uow.rollback()
    assert crashed
    steps = finish(uow, site.env, batch_size=1)
    assert ids(site, "body_worn_video") == {2, 3, 4}
    records = evidence_of(uow, steps[-1].run_id)
    resumed = [(r.rule, r.dataset) for r in records if r.resumed]
    assert resumed == [("body_worn_video", "body_worn_video")]
    total = sum(r.rows for r in records)
    assert total == steps[-1].rows
    bwv = _record(uow, "body_worn_video", "body_worn_video")
    assert bwv.rows == 2


# RULES: RET-03 (two workers: each row acted on once, one record per target)
def test_two_workers_interleaving_act_on_each_row_once(
    uow: UnitOfWork, site: Site, session_factory: Any, clock: FixedClock
) -> None:
    store(uow, site)
    uow.commit()
    workers = [UnitOfWork(session_factory, clock, uow.vault) for _ in range(2)]
    done = False
    for turn in range(400):
        mine = workers[turn % 2]
        with mine:
            step = run_step(mine, ORG, worker=f"w{turn % 2}", env=site.env, batch_size=1)
            mine.commit()
        if step.finished:
            done = True
            break
    assert done
    records = evidence_of(uow, step.run_id)
    targets = [(r.rule, r.dataset, r.connection, r.table) for r in records]
    assert len(targets) == len(set(targets))
    assert _record(uow, "body_worn_video", "body_worn_video").rows == 2
    assert {r.worker for r in records if r.rows} <= {"w0", "w1"}
    assert ids(site, "body_worn_video") == {2, 3, 4}


# Bad input: a trigger holding non-dates; the rule is skipped, the others run
def test_a_trigger_holding_non_dates_is_skipped_with_counts_and_the_others_run(
    uow: UnitOfWork, site: Site
) -> None:
    engine = create_engine(site.url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE body_worn_video SET recorded_at = 'not a date' WHERE id = 3"))
    engine.dispose()
    store(uow, site)
    finish(uow, site.env)
    bwv = _record(uow, "body_worn_video", "body_worn_video")
    assert (bwv.status, bwv.rows) == ("skipped", 0)
    assert "recording_made 1" in bwv.reason
    assert ids(site, "body_worn_video") == {1, 2, 3, 4, 5}
    assert ids(site, "call_recordings") == {2, 3}


# Bad input: a trigger column missing
def test_a_missing_trigger_column_is_skipped(uow: UnitOfWork, site: Site) -> None:
    engine = create_engine(site.url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE call_recordings RENAME COLUMN recorded_at TO made_at"))
    engine.dispose()
    store(uow, site)
    finish(uow, site.env)
    calls = _record(uow, "call_recordings", "call_recordings")
    assert calls.status == "skipped"
    assert "no column recorded_at" in calls.reason
    assert ids(site, "call_recordings") == {1, 2, 3}
    assert ids(site, "body_worn_video") == {2, 3, 4}


# Faults: a source down waits, the others go on
def test_a_source_down_waits(uow: UnitOfWork, site: Site) -> None:
    store(uow, site)
    finish(uow, {})
    bwv = _record(uow, "body_worn_video", "body_worn_video")
    assert bwv.status == "waits"
    assert "cannot be reached" in bwv.reason
    assert ids(site, "body_worn_video") == {1, 2, 3, 4, 5}
    assert _record(uow, "vulnerability_evidence", "").status == "needs_decision"


# RULES: RET-01 (files are removed after their rows commit)
def test_files_go_only_after_their_rows_commit(
    uow: UnitOfWork, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = build_site(tmp_path, files=True)
    assert site.files is not None
    store(uow, site)
    seen: list[tuple[set[Any], bool]] = []
    real = run_module.batches.delete_batch_files

    def watched(connectors: Any, paths: Any, keys: set[Any]) -> int:
        for key, _, path in paths:
            if key in keys and path.startswith("body_worn_video/"):
                seen.append((ids(site, "body_worn_video"), key))
        return real(connectors, paths, keys)

    monkeypatch.setattr(run_module.batches, "delete_batch_files", watched)
    finish(uow, site.env)
    assert seen
    for remaining, key in seen:
        assert key not in remaining  # the row had gone from the source already
    left = sorted(p.name for p in (site.files / "body_worn_video").iterdir())
    assert left == ["2.mp4", "3.mp4", "4.mp4"]
    bwv = _record(uow, "body_worn_video", "body_worn_video")
    assert (bwv.rows, bwv.files) == (2, 2)
