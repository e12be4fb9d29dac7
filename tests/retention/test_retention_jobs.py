"""The daily retention run in the worker (RULES: RET-01, RET-03): the sweep queues one run
job per organisation from the set hour; the job steps the run and queues itself again
until it is finished."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from retention_site import ORG, Site, build_site, ids, store
from sqlalchemy import select

from dataward.clock import FixedClock
from dataward.config import Settings
from dataward.jobs.models import Job
from dataward.jobs.service import ClaimedJob
from dataward.retention.jobs import RUN_JOB, RetentionSweep, RunHandler, retention_jobs
from dataward.retention.models import RetentionRun
from dataward.uow import UnitOfWork


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Site:
    built = build_site(tmp_path)
    for name, value in built.env.items():
        monkeypatch.setenv(name, value)  # the job opens the sources from the environment
    return built


def _due_jobs(uow: UnitOfWork) -> list[Job]:
    return list(uow.session.scalars(select(Job).where(Job.kind == RUN_JOB, Job.state == "due")))


def test_the_sweep_queues_one_run_a_day_from_the_set_hour(
    uow: UnitOfWork, site: Site, clock: FixedClock
) -> None:
    store(uow, site)
    clock.set(datetime(2026, 11, 25, 1, 30, tzinfo=UTC))  # 01:30 UK time: too early
    sweep = RetentionSweep(hour=2)
    assert sweep(uow) == []
    clock.advance(timedelta(hours=1))
    assert sweep(uow) == [ORG]
    assert RetentionSweep(hour=2)(uow) == []  # another worker: the job is already queued
    assert len(_due_jobs(uow)) == 1


# RULES: RET-01, RET-03
def test_the_job_steps_the_run_until_it_is_finished(uow: UnitOfWork, site: Site) -> None:
    store(uow, site)
    handler = RunHandler()
    job = ClaimedJob(0, RUN_JOB, {"organisation": ORG}, 1, 8)
    for _ in range(100):
        handler.run(uow, job)
        uow.commit()
        if not _due_jobs(uow):
            break
        for queued in _due_jobs(uow):
            queued.state = "done"
    run = uow.session.scalars(select(RetentionRun)).one()
    assert run.state == "done"
    assert ids(site, "body_worn_video") == {2, 3, 4}


def test_disabled_retention_has_no_sweep() -> None:
    assert list(retention_jobs(Settings(retention_enabled=False)).sweeps) == []
    assert len(retention_jobs(Settings()).sweeps) == 1
