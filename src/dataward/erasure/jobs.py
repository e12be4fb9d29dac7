"""Erasure's work for every worker: ``EXECUTE_JOB`` runs ``erasure.executor.execute_plan``.

Each run marks or erases one source and queues the next run in the same transaction, so a
killed worker resumes where the last commit left it. The evidence names the worker that
held the job (``jobs.claimed_by``). ``dataward.workers`` gathers this with every other
domain's; ``jobs/`` never names it.
"""

from __future__ import annotations

from sqlalchemy import select

from dataward.erasure.executor import execute_plan
from dataward.erasure.models import RUNNING, ErasurePlan
from dataward.erasure.service import EXECUTE_JOB
from dataward.jobs.errors import JobRefused
from dataward.jobs.models import Job
from dataward.jobs.service import ClaimedJob
from dataward.jobs.worker import DomainJobs
from dataward.sources.connectors import open_all
from dataward.sources.connectors.base import Connector
from dataward.sources.versions import sources_version
from dataward.uow import UnitOfWork


def _plan_id(job: ClaimedJob) -> str:
    plan = job.payload.get("plan")
    if not isinstance(plan, str) or not plan:
        raise JobRefused("the job names no erasure plan")
    return plan


# Sources versions whose connectors a worker keeps open between runs.
KEPT_OPEN = 4


class ExecuteHandler:
    """Runs ``execute_plan``, keeping each sources version's connectors open between runs
    (a plan takes three runs or more; opening a connector again reflects its tables again,
    most of a small erasure's time). A run whose source failed drops them; ``close``
    closes them all."""

    needs_keys = True  # the subject's identities are decrypted to find the rows

    def __init__(self) -> None:
        self._open: dict[tuple[str, int], dict[str, Connector]] = {}

    def run(self, uow: UnitOfWork, job: ClaimedJob) -> None:
        row = uow.session.get(Job, job.id)
        worker = (row.claimed_by if row is not None else None) or "worker"
        attempt = job.payload.get("attempt", 0)
        plan_id = _plan_id(job)
        found = uow.session.execute(
            select(ErasurePlan.organisation, ErasurePlan.sources_version).where(
                ErasurePlan.id == plan_id
            )
        ).first()
        marker = (found[0], found[1]) if found is not None else None
        try:
            step = execute_plan(
                uow,
                plan_id,
                worker=worker,
                attempt=attempt if isinstance(attempt, int) else 0,
                connectors=self._connectors(uow, marker) if marker is not None else None,
            )
        except Exception:
            self._drop(marker)
            raise
        if step.failed or step.state not in (RUNNING,):
            self._drop(marker)

    def _connectors(self, uow: UnitOfWork, marker: tuple[str, int]) -> dict[str, Connector]:
        if marker not in self._open:
            while len(self._open) >= KEPT_OPEN:
                self._drop(next(iter(self._open)))
            sources = sources_version(uow, *marker).parsed().sources
            self._open[marker] = open_all(sources)
        return self._open[marker]

    def _drop(self, marker: tuple[str, int] | None) -> None:
        for connector in self._open.pop(marker, {}).values() if marker else ():
            connector.close()

    def parked(self, uow: UnitOfWork, job: ClaimedJob, reason: str) -> None:
        """A run given up on leaves its error code on the plan, for the request to show."""
        plan = uow.session.get(ErasurePlan, job.payload.get("plan"))
        if plan is not None:
            plan.last_error = reason.partition("]")[0].lstrip("[")[:200]
            plan.updated_at = uow.clock.now()

    def close(self) -> None:
        for marker in list(self._open):
            self._drop(marker)


def erasure_jobs() -> DomainJobs:
    return DomainJobs(handlers={EXECUTE_JOB: ExecuteHandler()})
