"""``queue_run``, the console's "Run now" (RULES: RET-01, RET-03): the daily job queued for
today once, never a second while one waits; a finished day refused; a run a stopped worker
left half-done resumed; a clock behind the latest run refused. Today is 25 November 2026."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from retention_site import ORG, Site, build_site, finish, store
from sqlalchemy import select

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.jobs.models import Job
from dataward.retention.errors import RetentionClockBehind, RetentionInvalid, RetentionRanToday
from dataward.retention.jobs import RUN_JOB, queue_run
from dataward.retention.run import run_step
from dataward.uow import UnitOfWork


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return build_site(tmp_path)


def _jobs(uow: UnitOfWork) -> list[Job]:
    return list(uow.session.scalars(select(Job).where(Job.kind == RUN_JOB)))


def _queued_entries(uow: UnitOfWork) -> list[AuditEvent]:
    return list(
        uow.session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.run_queued"))
    )


# RULES: RET-01, RET-03
def test_it_queues_the_daily_job_once_and_audits_it(uow: UnitOfWork, site: Site) -> None:
    store(uow, site)
    assert queue_run(uow, ORG, actor="user:dpo") is True
    uow.commit()
    [job] = _jobs(uow)
    assert (job.state, job.payload) == ("due", {"organisation": ORG})
    [entry] = _queued_entries(uow)
    assert (entry.actor, entry.entity_type, entry.entity_id) == ("user:dpo", "job", str(job.id))
    assert entry.details == {"organisation": ORG, "as_of": "2026-11-25"}
    assert queue_run(uow, ORG, actor="user:admin") is False  # one is waiting
    job.state = "claimed"  # a worker is on it
    assert queue_run(uow, ORG, actor="user:admin") is False
    uow.commit()
    assert len(_jobs(uow)) == 1
    assert len(_queued_entries(uow)) == 1


# RULES: RET-03 (one run a day)
def test_today_finished_is_refused(uow: UnitOfWork, site: Site) -> None:
    store(uow, site)
    finish(uow, site.env)
    with pytest.raises(RetentionRanToday, match="next runs tomorrow"):
        queue_run(uow, ORG, actor="user:dpo")
    assert _jobs(uow) == []


# RULES: RET-01 (a run a stopped worker left half-done goes on)
def test_a_run_left_running_with_no_job_is_resumed(uow: UnitOfWork, site: Site) -> None:
    store(uow, site)
    first = run_step(uow, ORG, worker="w", env=site.env)
    uow.commit()
    assert (first.did, first.finished) == ("planned", False)
    assert queue_run(uow, ORG, actor="user:dpo") is True
    assert len(_jobs(uow)) == 1


# RULES: RET-01 (a clock moved backwards deletes nothing early)
def test_a_clock_behind_the_latest_run_is_refused(
    uow: UnitOfWork, site: Site, clock: FixedClock
) -> None:
    store(uow, site)
    finish(uow, site.env)
    clock.set(datetime(2026, 11, 24, 12, tzinfo=UTC))
    with pytest.raises(RetentionClockBehind):
        queue_run(uow, ORG, actor="user:dpo")
    assert _jobs(uow) == []


def test_an_organisation_with_no_sources_file_is_refused(uow: UnitOfWork) -> None:
    with pytest.raises(RetentionInvalid, match="no sources file"):
        queue_run(uow, "nobody", actor="user:dpo")
