"""Jobs service: queue due rows, claim them once, finish, retry or park them. Never commits.

Claiming is the one place where backends differ. PostgreSQL picks rows with ``SELECT ...
FOR UPDATE SKIP LOCKED``, so concurrent workers take disjoint rows without waiting for
each other. SQLite has one writer: a single conditional ``UPDATE ... WHERE <still
claimable> RETURNING`` runs under its write lock, so a second worker waits for the lock and
then finds the rows already taken. Either way the ``WHERE`` repeats the claimable test, so a
row is never claimed twice while its lease runs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from dataward.audit.service import record
from dataward.errors import DatawardError, ValidationFailed
from dataward.jobs.audit_actions import JOB_PARKED, JOB_REQUEUED, JOB_RETRY_SCHEDULED
from dataward.jobs.errors import JobNotFound
from dataward.jobs.models import Job
from dataward.uow import UnitOfWork

DUE, CLAIMED, DONE, PARKED = "due", "claimed", "done", "parked"
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=1)
_EMAIL_LIKE = re.compile(r"[^\s<>\"'@]+@[^\s<>\"'@]+")


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int


def enqueue(
    uow: UnitOfWork,
    kind: str,
    payload: dict[str, Any],
    *,
    due_at: datetime | None = None,
    max_attempts: int = 8,
) -> Job:
    """Add a due row in the caller's transaction: it exists only if the change that caused it
    commits."""
    if max_attempts < 1:
        raise ValidationFailed("max_attempts must be at least 1")
    now = uow.clock.now()
    job = Job(
        kind=kind,
        payload=payload,
        state=DUE,
        due_at=due_at or now,
        attempts=0,
        max_attempts=max_attempts,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(job)
    return job


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at an hour: a down SMTP server is not hammered."""
    step = BACKOFF_BASE * (1 << min(max(attempts - 1, 0), 20))
    return min(step, BACKOFF_CAP)


def _claimable(now: datetime, lease: timedelta) -> ColumnElement[bool]:
    """Rows a worker may take now.

    Besides rows that are due and leases that ran out, this survives a clock moved
    backwards: a row due "immediately" when queued (``due_at <= created_at``) stays due; a
    retry due further ahead than the longest backoff, or a lease longer than a lease can
    be, was written by a clock that was ahead, and is taken rather than left waiting.
    """
    return or_(
        and_(
            Job.state == DUE,
            or_(
                Job.due_at <= now,
                Job.due_at <= Job.created_at,
                and_(Job.attempts > 0, Job.due_at > now + BACKOFF_CAP),
            ),
        ),
        and_(
            Job.state == CLAIMED,
            or_(Job.lease_until <= now, Job.lease_until > now + lease),
        ),
    )


def claim(
    session: Session,
    worker: str,
    now: datetime,
    *,
    kinds: Sequence[str],
    lease: timedelta,
    limit: int,
) -> list[ClaimedJob]:
    """Take up to ``limit`` claimable rows for ``worker`` until ``now + lease``.

    The caller commits at once: a claim is its own short transaction, so the lease is
    visible to other workers while the work runs.
    """
    if not kinds:
        return []
    claimable = and_(_claimable(now, lease), Job.kind.in_(list(kinds)))
    pick = select(Job.id).where(claimable).order_by(Job.due_at, Job.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        ids = list(session.scalars(pick.with_for_update(skip_locked=True)))
        if not ids:
            return []
        target: ColumnElement[bool] = Job.id.in_(ids)
    else:
        target = Job.id.in_(pick.scalar_subquery())
    rows = session.execute(
        update(Job)
        .where(target, claimable)
        .values(
            state=CLAIMED,
            claimed_by=worker,
            lease_until=now + lease,
            attempts=Job.attempts + 1,
            updated_at=now,
        )
        .returning(Job.id, Job.kind, Job.payload, Job.attempts, Job.max_attempts)
    ).all()
    claimed = [ClaimedJob(r[0], r[1], dict(r[2] or {}), r[3], r[4]) for r in rows]
    return sorted(claimed, key=lambda j: j.id)


def _mine(job_id: int, worker: str) -> ColumnElement[bool]:
    return and_(Job.id == job_id, Job.state == CLAIMED, Job.claimed_by == worker)


def _rowcount(session: Session, statement: Any) -> int:
    result: CursorResult[Any] = session.execute(statement)  # type: ignore[assignment]
    return int(result.rowcount)


def renew(session: Session, job_ids: Sequence[int], worker: str, until: datetime) -> int:
    """Extend the lease of rows this worker still holds; returns how many it still holds."""
    if not job_ids:
        return 0
    return _rowcount(
        session,
        update(Job)
        .where(Job.id.in_(list(job_ids)), Job.state == CLAIMED, Job.claimed_by == worker)
        .values(lease_until=until),
    )


def complete(uow: UnitOfWork, job: ClaimedJob, worker: str) -> bool:
    """Mark done, in the transaction that did the work; False if the lease was lost."""
    now = uow.clock.now()
    return (
        _rowcount(
            uow.session,
            update(Job)
            .where(_mine(job.id, worker))
            .values(state=DONE, finished_at=now, lease_until=None, updated_at=now),
        )
        == 1
    )


def release(session: Session, job_ids: Sequence[int], worker: str, now: datetime) -> int:
    """Hand back claimed rows not started (graceful stop); the claim does not count as a try."""
    if not job_ids:
        return 0
    return _rowcount(
        session,
        update(Job)
        .where(Job.id.in_(list(job_ids)), Job.state == CLAIMED, Job.claimed_by == worker)
        .values(
            state=DUE,
            claimed_by=None,
            lease_until=None,
            attempts=func.max(Job.attempts - 1, 0)
            if session.get_bind().dialect.name == "sqlite"
            else func.greatest(Job.attempts - 1, 0),
            updated_at=now,
        ),
    )


def describe_error(error: BaseException) -> str:
    """A reason fit to store and show: the error's own words, with addresses blanked.

    Servers often echo the recipient in a refusal; the jobs table and console must not
    hold that personal data.
    """
    if isinstance(error, DatawardError):
        text = f"[{error.code}] {error.message}"
    else:
        text = f"{type(error).__name__}: {error}"
    return _EMAIL_LIKE.sub("<address>", text)[:1000]


@dataclass(frozen=True)
class Failure:
    outcome: str  # "retry", "parked" or "lost"
    reason: str
    due_at: datetime | None = None


def fail(uow: UnitOfWork, job: ClaimedJob, worker: str, error: BaseException) -> Failure:
    """Record a failed try in a fresh transaction: retry later, or park with the reason."""
    now = uow.clock.now()
    reason = describe_error(error)
    permanent = bool(getattr(error, "permanent", False))
    code = error.code if isinstance(error, DatawardError) else type(error).__name__
    if permanent or job.attempts >= job.max_attempts:
        values: dict[str, Any] = {
            "state": PARKED,
            "last_error": reason,
            "lease_until": None,
            "finished_at": now,
            "updated_at": now,
        }
        failure = Failure("parked", reason)
    else:
        due = now + backoff(job.attempts)
        values = {
            "state": DUE,
            "due_at": due,
            "claimed_by": None,
            "lease_until": None,
            "last_error": reason,
            "updated_at": now,
        }
        failure = Failure("retry", reason, due)
    if _rowcount(uow.session, update(Job).where(_mine(job.id, worker)).values(**values)) != 1:
        return Failure("lost", reason)
    record(
        uow,
        actor=f"worker:{worker}",
        action=JOB_PARKED if failure.outcome == "parked" else JOB_RETRY_SCHEDULED,
        entity_type="job",
        entity_id=str(job.id),
        details={"kind": job.kind, "attempts": job.attempts, "error": code},
    )
    return failure


def requeue(uow: UnitOfWork, job_id: int, *, actor: str) -> Job:
    """Put a parked row back in the queue with a fresh count of tries (after a fix)."""
    job = uow.session.get(Job, job_id)
    if job is None:
        raise JobNotFound(f"no job {job_id}")
    if job.state != PARKED:
        raise ValidationFailed(f"job {job_id} is {job.state}, only a parked job can be retried")
    now = uow.clock.now()
    job.state = DUE
    job.due_at = now
    job.attempts = 0
    job.claimed_by = None
    job.finished_at = None
    job.updated_at = now
    uow.session.flush()
    record(
        uow,
        actor=actor,
        action=JOB_REQUEUED,
        entity_type="job",
        entity_id=str(job.id),
        details={"kind": job.kind},
    )
    return job


def parked_jobs(session: Session, limit: int = 200) -> list[Job]:
    return list(
        session.scalars(
            select(Job).where(Job.state == PARKED).order_by(Job.updated_at.desc()).limit(limit)
        )
    )


def counts_by_state(session: Session) -> dict[str, int]:
    rows = session.execute(select(Job.state, func.count()).group_by(Job.state)).all()
    counts = {DUE: 0, CLAIMED: 0, DONE: 0, PARKED: 0}
    counts.update({state: int(n) for state, n in rows})
    return counts
