"""Retention's work for every worker: once a day per organisation with a register and a
sources file, from ``DATAWARD_RETENTION_HOUR`` (UK time, default 02:00), a sweep queues
``retention.run``;
the job runs one ``run_step`` and queues itself again while the run has more to do, so a
killed worker resumes from the last committed step and two workers take turns on the run's
locked row. ``DATAWARD_RETENTION_ENABLED=false`` stops the daily runs (the CLI still runs).

"Run now" in the console (``queue_run``) queues the same job for today, once.

``dataward.workers`` gathers this with every other domain's; ``jobs/`` never names it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from dataward.audit.service import record
from dataward.clock import in_uk_time
from dataward.config import Settings
from dataward.holds.service import today_of
from dataward.jobs.errors import JobRefused
from dataward.jobs.models import Job
from dataward.jobs.service import CLAIMED, DUE, ClaimedJob, enqueue
from dataward.jobs.worker import DomainJobs
from dataward.logging import get_logger
from dataward.publication.registers import list_organisations
from dataward.retention import audit_actions as actions
from dataward.retention.errors import RetentionClockBehind, RetentionInvalid, RetentionRanToday
from dataward.retention.models import DONE, RetentionRun
from dataward.retention.run import run_step
from dataward.sources.versions import newest_sources
from dataward.uow import UnitOfWork

log = get_logger(__name__)

RUN_JOB = "retention.run"
CHECK_EVERY = timedelta(minutes=5)
_WAITING = (DUE, CLAIMED)


class RetentionSweep:
    """Queues the day's run for each organisation once, from the set hour."""

    def __init__(self, hour: int) -> None:
        self.hour = hour
        self._next_check: datetime | None = None
        self._queued: dict[str, date] = {}

    def __call__(self, uow: UnitOfWork) -> list[str]:
        now = uow.clock.now()
        if self._next_check is not None and now < self._next_check:
            return []
        self._next_check = now + CHECK_EVERY
        if in_uk_time(now).hour < self.hour:
            return []
        today = today_of(uow)
        queued: list[str] = []
        for organisation in sorted({row.organisation for row in list_organisations(uow)}):
            if self._queued.get(organisation) == today:
                continue
            # An organisation with no sources file loaded has nothing to run on yet.
            if newest_sources(uow, organisation) is None:
                continue
            if not _ran_or_waiting(uow, organisation, today):
                enqueue(uow, RUN_JOB, {"organisation": organisation})
                queued.append(organisation)
            self._queued[organisation] = today
        if queued:
            log.info("retention.run_queued", organisations=len(queued))
        return queued


def _ran_or_waiting(uow: UnitOfWork, organisation: str, today: date) -> bool:
    """Today's run exists, or a run job is already queued (another worker's sweep)."""
    ran = uow.session.scalar(
        select(RetentionRun.id).where(
            RetentionRun.organisation == organisation, RetentionRun.as_of >= today
        )
    )
    return ran is not None or _waiting(uow, organisation)


def _waiting(uow: UnitOfWork, organisation: str) -> bool:
    """A run job of the organisation is queued or being worked on."""
    payloads = uow.session.scalars(
        select(Job.payload).where(Job.kind == RUN_JOB, Job.state.in_(_WAITING))
    )
    return any(p.get("organisation") == organisation for p in payloads)


def queue_run(uow: UnitOfWork, organisation: str, *, actor: str) -> bool:
    """ "Run now": the daily job, queued for today (the worker runs it). False when one is
    queued or at work already (nothing added). Today's run finished is refused: one run a
    day. A run left running with no job (a worker stopped between steps) is resumed by the
    job queued here. Audited; the job audits the run itself."""
    if newest_sources(uow, organisation) is None:
        raise RetentionInvalid(
            f"{organisation} has no sources file: load one with dataward sources load"
        )
    today = today_of(uow)
    latest = uow.session.scalars(
        select(RetentionRun)
        .where(RetentionRun.organisation == organisation)
        .order_by(RetentionRun.as_of.desc())
        .limit(1)
    ).first()
    if latest is not None and latest.as_of > today:
        raise RetentionClockBehind(
            f"retention ran for {latest.as_of.isoformat()}, after today {today.isoformat()}"
        )
    if latest is not None and latest.as_of == today and latest.state == DONE:
        raise RetentionRanToday(
            f"today's retention run of {organisation} is done; the next runs tomorrow"
        )
    if _waiting(uow, organisation):
        return False
    job = enqueue(uow, RUN_JOB, {"organisation": organisation})
    uow.session.flush()
    record(
        uow,
        actor=actor,
        action=actions.RUN_QUEUED,
        entity_type="job",
        entity_id=str(job.id),
        details={"organisation": organisation, "as_of": today.isoformat()},
    )
    log.info("retention.run_queued_by_hand", job=job.id)
    return True


class RunHandler:
    """``retention.run``: one step, and the next queued while the run is not finished."""

    needs_keys = True  # a subject hold's identities are decrypted to find its rows

    def run(self, uow: UnitOfWork, job: ClaimedJob) -> None:
        organisation = job.payload.get("organisation")
        if not isinstance(organisation, str) or not organisation:
            raise JobRefused("the job names no organisation")
        row = uow.session.get(Job, job.id)
        worker = (row.claimed_by if row is not None else None) or "worker"
        try:
            step = run_step(uow, organisation, worker=worker)
        except RetentionClockBehind:
            log.error("retention.clock_behind", organisation=organisation)
            return
        if not step.finished:
            enqueue(uow, RUN_JOB, {"organisation": organisation})

    def parked(self, uow: UnitOfWork, job: ClaimedJob, reason: str) -> None:
        log.error("retention.run_parked", job=job.id)

    def close(self) -> None:
        return None


def retention_jobs(settings: Settings) -> DomainJobs:
    sweeps = [RetentionSweep(settings.retention_hour)] if settings.retention_enabled else []
    return DomainJobs(handlers={RUN_JOB: RunHandler()}, sweeps=sweeps)
