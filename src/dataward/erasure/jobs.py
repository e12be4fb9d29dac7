"""Erasure's work for every worker: ``EXECUTE_JOB`` runs ``erasure.executor.execute_plan``.

Each run marks or erases one source and queues the next run in the same transaction, so a
killed worker resumes where the last commit left it. The evidence names the worker that
held the job (``jobs.claimed_by``). ``dataward.workers`` gathers this with every other
domain's; ``jobs/`` never names it.
"""

from __future__ import annotations

from dataward.erasure.executor import execute_plan
from dataward.erasure.models import ErasurePlan
from dataward.erasure.service import EXECUTE_JOB
from dataward.jobs.errors import JobRefused
from dataward.jobs.models import Job
from dataward.jobs.service import ClaimedJob
from dataward.jobs.worker import DomainJobs
from dataward.uow import UnitOfWork


def _plan_id(job: ClaimedJob) -> str:
    plan = job.payload.get("plan")
    if not isinstance(plan, str) or not plan:
        raise JobRefused("the job names no erasure plan")
    return plan


class ExecuteHandler:
    needs_keys = True  # the subject's identities are decrypted to find the rows

    def run(self, uow: UnitOfWork, job: ClaimedJob) -> None:
        row = uow.session.get(Job, job.id)
        worker = (row.claimed_by if row is not None else None) or "worker"
        attempt = job.payload.get("attempt", 0)
        execute_plan(
            uow,
            _plan_id(job),
            worker=worker,
            attempt=attempt if isinstance(attempt, int) else 0,
        )

    def parked(self, uow: UnitOfWork, job: ClaimedJob, reason: str) -> None:
        """A run given up on leaves its error code on the plan, for the request to show."""
        plan = uow.session.get(ErasurePlan, job.payload.get("plan"))
        if plan is not None:
            plan.last_error = reason.partition("]")[0].lstrip("[")[:200]
            plan.updated_at = uow.clock.now()

    def close(self) -> None:
        return None


def erasure_jobs() -> DomainJobs:
    return DomainJobs(handlers={EXECUTE_JOB: ExecuteHandler()})
