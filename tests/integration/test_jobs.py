"""Due rows and the worker loop, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from dataward.audit.models import AuditEvent
from dataward.audit.service import verify
from dataward.clock import FixedClock
from dataward.errors import ValidationFailed
from dataward.jobs.errors import JobNotFound, JobRefused
from dataward.jobs.models import Job
from dataward.jobs.service import (
    BACKOFF_CAP,
    ClaimedJob,
    backoff,
    claim,
    describe_error,
    enqueue,
    requeue,
)
from dataward.jobs.worker import Worker
from dataward.uow import UnitOfWork

LEASE = timedelta(minutes=5)


class Recorder:
    """A job kind that notes what it ran, writes a job of its own, and can be told to fail."""

    needs_keys = False

    def __init__(self, fail_with: Exception | None = None) -> None:
        self.ran: list[int] = []
        self.parked_reasons: list[str] = []
        self.fail_with = fail_with
        self.closed = False

    def run(self, uow: UnitOfWork, job: ClaimedJob) -> None:
        self.ran.append(job.id)
        # A side effect in the job's transaction: it must vanish if the job fails.
        enqueue(uow, "side_effect", {"from": job.id})
        uow.session.flush()
        if self.fail_with is not None:
            raise self.fail_with

    def parked(self, uow: UnitOfWork, job: ClaimedJob, reason: str) -> None:
        self.parked_reasons.append(reason)

    def close(self) -> None:
        self.closed = True


def _worker(factory: sessionmaker[Any], clock: FixedClock, handler: Recorder, **kw: Any) -> Worker:
    return Worker(factory, clock, {"test": handler}, worker_id=kw.pop("worker_id", "w1"), **kw)


def _job(uow: UnitOfWork, job_id: int) -> Job:
    uow.session.expire_all()
    job = uow.session.get(Job, job_id)
    assert job is not None
    return job


def _queue(uow: UnitOfWork, count: int = 1, **kw: Any) -> list[int]:
    jobs = [enqueue(uow, "test", {"n": n}, **kw) for n in range(count)]
    uow.session.flush()
    ids = [j.id for j in jobs]
    uow.commit()
    return ids


def _side_effects(uow: UnitOfWork) -> int:
    return int(uow.session.scalar(select(func.count()).where(Job.kind == "side_effect")) or 0)


def test_it_claims_a_due_row_for_one_worker_only(uow: UnitOfWork, clock: FixedClock) -> None:
    _queue(uow, 3)
    first = claim(uow.session, "a", clock.now(), kinds=["test"], lease=LEASE, limit=2)
    uow.commit()
    second = claim(uow.session, "b", clock.now(), kinds=["test"], lease=LEASE, limit=5)
    uow.commit()
    assert len(first) == 2
    assert len(second) == 1
    assert {j.id for j in first}.isdisjoint({j.id for j in second})
    assert claim(uow.session, "c", clock.now(), kinds=["test"], lease=LEASE, limit=5) == []


def test_it_leaves_rows_that_are_not_due_yet(uow: UnitOfWork, clock: FixedClock) -> None:
    [job_id] = _queue(uow, due_at=clock.now() + timedelta(hours=1))
    assert claim(uow.session, "a", clock.now(), kinds=["test"], lease=LEASE, limit=5) == []
    clock.advance(timedelta(hours=1))
    [claimed] = claim(uow.session, "a", clock.now(), kinds=["test"], lease=LEASE, limit=5)
    assert claimed.id == job_id
    assert claimed.attempts == 1


def test_it_only_claims_kinds_the_worker_knows(uow: UnitOfWork, clock: FixedClock) -> None:
    enqueue(uow, "other", {})
    uow.commit()
    assert claim(uow.session, "a", clock.now(), kinds=["test"], lease=LEASE, limit=5) == []
    assert claim(uow.session, "a", clock.now(), kinds=[], lease=LEASE, limit=5) == []


def test_it_gives_a_dead_workers_rows_to_another_after_the_lease(
    uow: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any]
) -> None:
    [job_id] = _queue(uow)
    claim(uow.session, "dead", clock.now(), kinds=["test"], lease=LEASE, limit=5)
    uow.commit()
    handler = Recorder()
    worker = _worker(session_factory, clock, handler)
    assert worker.run(once=True).done == 0  # the lease still runs
    clock.advance(LEASE + timedelta(seconds=1))
    stats = _worker(session_factory, clock, handler).run(once=True)
    assert stats.done == 1
    assert handler.ran == [job_id]
    job = _job(uow, job_id)
    assert (job.state, job.claimed_by, job.attempts) == ("done", "w1", 2)


def test_it_retries_with_backoff_then_parks_with_the_error(
    uow: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any]
) -> None:
    [job_id] = _queue(uow, max_attempts=3)
    handler = Recorder(fail_with=OSError("connection refused by bob@example.com"))
    worker = _worker(session_factory, clock, handler)
    assert worker.run(once=True).retried == 1
    job = _job(uow, job_id)
    assert job.state == "due"
    assert job.due_at == clock.now() + backoff(1)
    assert worker.run(once=True).claimed == 0  # backing off
    clock.advance(backoff(1))
    assert worker.run(once=True).retried == 1
    assert _job(uow, job_id).due_at == clock.now() + backoff(2)
    clock.advance(backoff(2))
    assert worker.run(once=True).parked == 1
    job = _job(uow, job_id)
    assert job.state == "parked"
    assert job.attempts == 3
    assert job.last_error == "OSError: connection refused by <address>"
    assert handler.parked_reasons == [job.last_error]
    actions = list(uow.session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))
    assert actions == ["job.retry_scheduled", "job.retry_scheduled", "job.parked"]
    assert verify(uow.session).intact


def test_it_parks_a_refused_job_at_once(
    uow: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any]
) -> None:
    [job_id] = _queue(uow)
    handler = Recorder(fail_with=JobRefused("this can never work"))
    assert _worker(session_factory, clock, handler).run(once=True).parked == 1
    job = _job(uow, job_id)
    assert (job.state, job.attempts) == ("parked", 1)
    assert job.last_error == "[job_refused] this can never work"


def test_it_rolls_back_everything_a_failed_job_wrote(
    uow: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any]
) -> None:
    _queue(uow)
    _worker(session_factory, clock, Recorder(fail_with=RuntimeError("boom"))).run(once=True)
    assert _side_effects(uow) == 0
    _queue(uow)
    clock.advance(BACKOFF_CAP)
    _worker(session_factory, clock, Recorder()).run(once=True)
    assert _side_effects(uow) == 2  # both rows done this time, each with its side effect


def test_a_stop_finishes_the_job_in_hand_and_hands_back_the_rest(
    uow: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any]
) -> None:
    ids = _queue(uow, 5)
    handler = Recorder()
    worker = _worker(session_factory, clock, handler, batch=5)
    original = handler.run

    def run_then_stop(unit: UnitOfWork, job: ClaimedJob) -> None:
        original(unit, job)
        worker.request_stop()  # as SIGTERM does, while the first job runs

    handler.run = run_then_stop  # type: ignore[method-assign]
    stats = worker.run()
    assert (stats.done, stats.released) == (1, 4)
    assert handler.closed
    states = [_job(uow, i) for i in ids]
    assert [j.state for j in states] == ["done", "due", "due", "due", "due"]
    assert [j.attempts for j in states[1:]] == [0, 0, 0, 0]  # a hand-back is not a try


def test_it_survives_the_clock_moving_backwards(
    uow: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any]
) -> None:
    queued_early = _queue(uow)
    claim(uow.session, "dead", clock.now(), kinds=["test"], lease=LEASE, limit=5)
    uow.commit()
    queued_late = _queue(uow)
    clock.advance(-timedelta(hours=3))
    handler = Recorder()
    stats = _worker(session_factory, clock, handler).run(once=True)
    # The dead worker's lease reaches further than a lease can: the clock went back.
    # The row queued "now" under the later clock is due at once all the same.
    assert sorted(handler.ran) == sorted(queued_early + queued_late)
    assert stats.done == 2
    assert _worker(session_factory, clock, handler).run(once=True).done == 0  # nothing twice


def test_a_retry_written_under_a_clock_that_was_ahead_is_not_stranded(
    uow: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any]
) -> None:
    [job_id] = _queue(uow)
    _worker(session_factory, clock, Recorder(fail_with=OSError("down"))).run(once=True)
    assert _job(uow, job_id).state == "due"
    clock.advance(-timedelta(days=1))
    handler = Recorder()
    assert _worker(session_factory, clock, handler).run(once=True).done == 1
    assert handler.ran == [job_id]


def test_it_requeues_a_parked_job_and_refuses_others(
    uow: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any]
) -> None:
    [job_id] = _queue(uow)
    _worker(session_factory, clock, Recorder(fail_with=JobRefused("no"))).run(once=True)
    requeue(uow, job_id, actor="dpo")
    uow.commit()
    job = _job(uow, job_id)
    assert (job.state, job.attempts) == ("due", 0)
    with pytest.raises(ValidationFailed, match="only a parked job"):
        requeue(uow, job_id, actor="dpo")
    with pytest.raises(JobNotFound):
        requeue(uow, 999_999, actor="dpo")


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n).total_seconds() for n in (1, 2, 3)] == [30, 60, 120]
    assert backoff(40) == BACKOFF_CAP


def test_error_descriptions_blank_addresses() -> None:
    text = describe_error(RuntimeError("550 <jane.doe@example.com>: no such user"))
    assert "jane" not in text
    assert text == "RuntimeError: 550 <<address>>: no such user"


def test_enqueue_refuses_a_job_with_no_tries(uow: UnitOfWork) -> None:
    with pytest.raises(ValidationFailed):
        enqueue(uow, "test", {}, max_attempts=0)
    assert uow.session.scalar(select(func.count()).select_from(Job)) == 0
