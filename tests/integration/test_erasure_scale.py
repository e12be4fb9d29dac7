"""Erasure at scale (issue 19, ERA-02, ERA-03): the survey, the plan and the executor work a
batch at a time, the planned key digests live in ``erasure_step_keys``, and the files of the
rows that go are recorded before their source changes, so a worker killed between the
source's commit and the file deletion leaves no file behind. SQLite and PostgreSQL.

``SURVEY_BATCH`` is made tiny here (4 rows) so that the fixture subject, given 25 more
visits, spans many batches; the benchmark (``benchmarks/erasure_bench.py``) runs the real
size on a million rows.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from erasure_support import erasure_request, make_user, stored_for_erasure
from package_build_support import CASE, ORG, Operational, build_operational
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import sessionmaker

from dataward.clock import FixedClock
from dataward.crypto.keystore import Vault
from dataward.erasure import executor, jobs, survey
from dataward.erasure.evidence import evidence_of, row_erased, step_digests, steps_of
from dataward.erasure.executor import execute_plan
from dataward.erasure.models import (
    DONE,
    FILE_DELETED,
    FILE_PENDING,
    STALE,
    STEP_EXECUTING,
    ErasurePlan,
    ErasureStepFile,
    ErasureStepKey,
)
from dataward.erasure.plan import plan_erasure
from dataward.erasure.service import EXECUTE_JOB, approve_erasure
from dataward.erasure.survey import key_digest
from dataward.holds.service import NewHold, place_hold
from dataward.jobs.worker import Worker
from dataward.sources.connectors import open_all
from dataward.uow import UnitOfWork

WORKER = "w-scale"
EXTRA_VISITS = range(300, 325)


@pytest.fixture
def agency(tmp_path: Path) -> Operational:
    return build_operational(tmp_path / "agency")


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Batches of 4 rows; the size of every batch sorted is recorded."""
    monkeypatch.setattr(survey, "SURVEY_BATCH", 4)
    sizes: list[int] = []
    original = survey.Survey._sorted

    def recording(self: survey.Survey, rows: list[dict[str, Any]]) -> survey.SurveyBatch:
        sizes.append(len(rows))
        return original(self, rows)

    monkeypatch.setattr(survey.Survey, "_sorted", recording)
    return sizes


def _sql(agency: Operational, *statements: str) -> list[tuple[Any, ...]]:
    engine = create_engine(agency.url)
    found: list[tuple[Any, ...]] = []
    with engine.begin() as conn:
        for statement in statements:
            result = conn.execute(text(statement))
            if result.returns_rows:
                found = [tuple(r) for r in result]
    engine.dispose()
    return found


def _more_visits(agency: Operational) -> None:
    values = ", ".join(f"({n}, 10, '2026-04-01', 'more')" for n in EXTRA_VISITS)
    _sql(agency, f"INSERT INTO visits VALUES {values}")


def _approved(uow: UnitOfWork, agency: Operational) -> ErasurePlan:
    stored_for_erasure(uow)
    row = erasure_request(uow)
    plan_erasure(uow, ORG, row.ref, actor=CASE, env=agency.env)
    uow.commit()
    plan = approve_erasure(uow, ORG, row.ref, actor=make_user(uow, "dpo@jtr.example", "dpo"))
    uow.commit()
    return plan


def _run_all(uow: UnitOfWork, plan: ErasurePlan, agency: Operational) -> list[str]:
    done = []
    for _ in range(10):
        step = execute_plan(uow, plan.id, worker=WORKER, env=agency.env)
        uow.commit()
        done.append(
            "marked" if step.marked else "erased" if step.state == "running" else step.state
        )
        if step.state != "running":
            return done
    raise AssertionError(f"the plan did not finish: {done}")


def _files(uow: UnitOfWork, plan: ErasurePlan) -> list[tuple[str, str | None]]:
    ids = [s.id for s in steps_of(uow, plan)]
    return sorted(
        (f.state, f.path)
        for f in uow.session.scalars(
            select(ErasureStepFile).where(ErasureStepFile.step_id.in_(ids))
        )
    )


def test_a_subject_with_more_rows_than_a_batch_is_planned_and_erased_batch_by_batch(
    uow: UnitOfWork, agency: Operational, small_batches: list[int]
) -> None:
    _more_visits(agency)
    plan = _approved(uow, agency)
    visits = next(s for s in steps_of(uow, plan) if s.dataset == "visits")
    expected = sorted(key_digest("agency", "visits", k) for k in (100, 101, *EXTRA_VISITS))

    # ERA-02: the plan counts the 27 visits and keeps their digests in the child table.
    assert visits.rows == 27
    assert step_digests(uow, visits) == expected
    stored = uow.session.scalar(
        select(func.count()).select_from(ErasureStepKey).where(ErasureStepKey.step_id == visits.id)
    )
    assert stored == 27
    assert max(small_batches) == 4
    assert small_batches.count(4) >= 6  # the visits alone span seven batches

    small_batches.clear()
    assert _run_all(uow, plan, agency) == ["marked", "erased", DONE]

    assert plan.state == DONE
    assert max(small_batches) == 4
    assert _sql(agency, "SELECT id FROM visits") == [(200,)]
    assert _sql(agency, "SELECT id FROM debtors WHERE email IS NULL") == [(1,)]
    evidence = {e.dataset: e for e in evidence_of(uow, plan)}
    # ERA-03: the count and the digest of the sorted key digests, one a line.
    assert (evidence["visits"].rows, evidence["visits"].resumed) == (27, False)
    joined = "".join(f"{d}\n" for d in expected)
    assert evidence["visits"].keys_digest == hashlib.sha256(joined.encode()).hexdigest()
    assert row_erased(uow, plan, key_digest("agency", "visits", 317))
    assert not row_erased(uow, plan, key_digest("agency", "visits", 200))
    assert plan.rows_erased == 7 + len(EXTRA_VISITS)


def test_the_erase_run_reads_again_only_the_bindings_that_planned_rows(
    uow: UnitOfWork, agency: Operational, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sql(agency, "DELETE FROM visits")  # the subject's visits binding plans no rows
    plan = _approved(uow, agency)
    surveyed: list[list[str]] = []
    original = executor._Surveyor.__call__

    def recording(self: Any, step: Any) -> survey.Survey | None:
        surveyed[-1].append(step.id)
        return original(self, step)

    monkeypatch.setattr(executor._Surveyor, "__call__", recording)
    runs: list[str] = []
    for _ in range(10):
        surveyed.append([])
        step = execute_plan(uow, plan.id, worker=WORKER, env=agency.env)
        uow.commit()
        runs.append("marked" if step.marked else step.state)
        if step.state != "running":
            break

    steps = [s for s in steps_of(uow, plan) if s.action == "erase"]
    planned = sorted(s.id for s in steps if s.rows)
    empty = sorted(s.id for s in steps if not s.rows)
    # The subject has rows in some bindings and none in others, or this proves nothing.
    assert planned
    assert empty
    marking = [i for run, ids in zip(runs, surveyed, strict=True) if run == "marked" for i in ids]
    erasing = [i for run, ids in zip(runs, surveyed, strict=True) if run == "running" for i in ids]
    # ERA-02: the marking run reads every binding (rows that appeared make it stale) ...
    assert sorted(marking) == sorted(planned + empty)
    # ... the erase run only those with planned keys to change or to find held now.
    assert sorted(erasing) == planned
    assert runs[-1] == DONE
    # ERA-03: a binding with nothing planned still gets its evidence, of no rows.
    gone = {e.step_id: e.rows for e in evidence_of(uow, plan)}
    assert all(gone[step_id] == 0 for step_id in empty)


def test_a_planned_row_vanished_in_a_late_batch_makes_the_plan_stale_and_changes_nothing(
    uow: UnitOfWork, agency: Operational, small_batches: list[int]
) -> None:
    _more_visits(agency)
    plan = _approved(uow, agency)
    _sql(agency, "DELETE FROM visits WHERE id = 323")

    assert _run_all(uow, plan, agency) == [STALE]

    assert plan.state == STALE
    assert _sql(agency, "SELECT count(*) FROM visits") == [(27,)]
    assert _sql(agency, "SELECT count(*) FROM recordings") == [(4,)]
    assert evidence_of(uow, plan) == []
    # The recordings' paths recorded while marking were forgotten with the stale plan.
    assert _files(uow, plan) == []


def test_a_row_appeared_in_a_later_batch_makes_the_plan_stale(
    uow: UnitOfWork, agency: Operational, small_batches: list[int]
) -> None:
    _more_visits(agency)
    plan = _approved(uow, agency)
    _sql(agency, "INSERT INTO visits VALUES (399, 10, '2026-05-01', 'late')")

    assert _run_all(uow, plan, agency) == [STALE]
    assert _sql(agency, "SELECT count(*) FROM visits") == [(29,)]
    assert evidence_of(uow, plan) == []


def test_a_worker_killed_between_the_source_commit_and_the_file_deletion_leaves_no_file(
    uow: UnitOfWork, agency: Operational, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = _approved(uow, agency)
    assert execute_plan(uow, plan.id, worker=WORKER, env=agency.env).marked
    uow.commit()
    # Marking recorded the files of the rows that go (committed before the source changes).
    assert _files(uow, plan) == [
        (FILE_PENDING, "bwv/visit-1.mp4"),
        (FILE_PENDING, "bwv/visit-1b.mp4"),
    ]

    def killed(*args: object) -> int:
        raise RuntimeError("worker killed")

    monkeypatch.setattr(executor, "_delete_pending_files", killed)
    with pytest.raises(RuntimeError):
        execute_plan(uow, plan.id, worker=WORKER, env=agency.env)
    uow.rollback()
    # The source committed; the files are still there, and still recorded pending.
    assert _sql(agency, "SELECT id FROM recordings") == [(2000,)]
    assert sorted(p.name for p in (agency.files / "bwv").iterdir()) == [
        "stranger.mp4",
        "visit-1.mp4",
        "visit-1b.mp4",
    ]
    assert {s.state for s in steps_of(uow, plan) if s.action == "erase"} == {STEP_EXECUTING}
    monkeypatch.undo()

    assert _run_all(uow, plan, agency) == ["erased", DONE]

    assert sorted(p.name for p in (agency.files / "bwv").iterdir()) == ["stranger.mp4"]
    # Deleted and their paths forgotten.
    assert _files(uow, plan) == [(FILE_DELETED, None), (FILE_DELETED, None)]
    evidence = [e for e in evidence_of(uow, plan) if e.dataset == "body_worn_video"]
    assert [(e.rows, e.files, e.resumed) for e in evidence] == [(3, 2, True)]
    assert len(evidence_of(uow, plan)) == 5
    assert plan.rows_erased == 7


def test_a_run_with_nothing_pending_deletes_only_the_files_it_recorded(
    uow: UnitOfWork, agency: Operational
) -> None:
    plan = _approved(uow, agency)
    # A file appears in the folder after marking: not recorded, so never deleted.
    assert execute_plan(uow, plan.id, worker=WORKER, env=agency.env).marked
    uow.commit()
    (agency.files / "bwv" / "later.mp4").write_bytes(b"later")

    assert _run_all(uow, plan, agency) == ["erased", DONE]

    assert sorted(p.name for p in (agency.files / "bwv").iterdir()) == [
        "later.mp4",
        "stranger.mp4",
    ]


def test_the_worker_keeps_a_plans_connectors_open_between_runs_and_closes_them(
    uow: UnitOfWork,
    session_factory: sessionmaker[Any],
    clock: FixedClock,
    vault: Vault,
    agency: Operational,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in agency.env.items():
        monkeypatch.setenv(name, value)
    plan = _approved(uow, agency)
    opened: list[dict[str, Any]] = []
    closed: list[str] = []

    def counting(sources: Any, env: Any = None) -> dict[str, Any]:
        found = open_all(sources, env)
        opened.append(found)
        for connector in found.values():
            original = connector.close

            def close(original: Any = original, name: str = connector.name) -> None:
                closed.append(name)
                original()

            monkeypatch.setattr(connector, "close", close)
        return found

    monkeypatch.setattr(jobs, "open_all", counting)
    handler = jobs.ExecuteHandler()
    worker = Worker(session_factory, clock, {EXECUTE_JOB: handler}, vault=vault, worker_id=WORKER)

    stats = worker.run(once=True)

    # Three runs (mark, erase, finish), the connectors opened once and closed at the end.
    assert stats.by_kind == {EXECUTE_JOB: 3}
    assert len(opened) == 1
    assert sorted(closed) == ["agency", "agency_files"]
    uow.session.expire_all()
    done = uow.session.get(ErasurePlan, plan.id)
    assert done is not None
    assert done.state == DONE
    assert _sql(agency, "SELECT id FROM visits") == [(200,)]


def test_a_record_held_since_marking_keeps_its_row_and_its_file(
    uow: UnitOfWork, agency: Operational
) -> None:
    plan = _approved(uow, agency)
    assert execute_plan(uow, plan.id, worker=WORKER, env=agency.env).marked
    uow.commit()
    # ERA-02: a record hold on one recording, placed after its file was recorded.
    place_hold(
        uow,
        NewHold(
            organisation=ORG,
            scope="record",
            owner="dpo@jtr.example",
            review_on=date(2027, 7, 1),
            reason="litigation",
            record_ref="1000",
            datasets=("body_worn_video",),
        ),
        actor=CASE,
    )
    uow.commit()

    assert _run_all(uow, plan, agency) == ["erased", DONE]

    assert _sql(agency, "SELECT id FROM recordings ORDER BY id") == [(1000,), (2000,)]
    assert sorted(p.name for p in (agency.files / "bwv").iterdir()) == [
        "stranger.mp4",
        "visit-1.mp4",
    ]
    # The held row's file is kept and its path forgotten; the other file went.
    assert _files(uow, plan) == [(FILE_DELETED, None), ("kept", None)]
    (evidence,) = [e for e in evidence_of(uow, plan) if e.dataset == "body_worn_video"]
    assert (evidence.rows, evidence.rows_kept, evidence.files) == (2, 1, 1)
    assert not row_erased(uow, plan, key_digest("agency", "recordings", 1000))
    assert row_erased(uow, plan, key_digest("agency", "recordings", 1002))
