"""The worker loop: claim a batch, run each job in its own transaction, repeat.

Delivery is at-least-once. A job's effects and its ``done`` mark commit together; a worker
killed between doing the outside work (an SMTP send) and that commit leaves the row
claimed, and another worker takes it when the lease runs out. Handlers make the repeat
harmless (an email is resent with the same Message-ID).
"""

from __future__ import annotations

import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import sessionmaker

from dataward.clock import Clock
from dataward.jobs.service import ClaimedJob, claim, complete, fail, release, renew
from dataward.logging import get_logger
from dataward.uow import KeyStore, UnitOfWork

log = get_logger(__name__)

Sweep = Callable[[UnitOfWork], object]  # see ``Worker.sweeps``


class JobHandler(Protocol):
    """What a kind of job does. ``run`` works inside the worker's unit of work and never
    commits; ``parked`` lets the domain mark its own row when the job is given up."""

    needs_keys: bool

    def run(self, uow: UnitOfWork, job: ClaimedJob) -> None: ...

    def parked(self, uow: UnitOfWork, job: ClaimedJob, reason: str) -> None: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class DomainJobs:
    """What one domain gives every worker: a handler per kind of job it queues, and its
    sweeps. Domains export theirs (``outbox.jobs``, ``notify.jobs``) and the wiring
    (``dataward.workers``) gathers them, so this package names no domain."""

    handlers: Mapping[str, JobHandler] = field(default_factory=dict)
    sweeps: Sequence[Sweep] = ()


@dataclass
class WorkerStats:
    claimed: int = 0
    done: int = 0
    retried: int = 0
    parked: int = 0
    lost: int = 0
    released: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def default_worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class Worker:
    def __init__(
        self,
        session_factory: sessionmaker[Any],
        clock: Clock,
        handlers: Mapping[str, JobHandler],
        *,
        vault: KeyStore | None = None,
        worker_id: str | None = None,
        batch: int = 20,
        lease: timedelta = timedelta(minutes=5),
        idle_seconds: float = 1.0,
    ) -> None:
        self._factory = session_factory
        self._clock = clock
        self._vault = vault
        # A worker without the key store leaves jobs that need it to a worker that has it.
        self.handlers = {k: h for k, h in handlers.items() if vault is not None or not h.needs_keys}
        self.id = worker_id or default_worker_id()
        self.batch = batch
        self.lease = lease
        self.idle_seconds = idle_seconds
        self.stats = WorkerStats()
        self._stop = threading.Event()
        self.on_batch: Callable[[list[ClaimedJob]], None] | None = None
        # Checks that turn a recorded fact into due rows (a significant notice change into a
        # campaign); each runs in its own transaction, at most every ``sweep_seconds``.
        self.sweeps: list[Sweep] = []
        self.sweep_seconds = 10.0
        self._swept_at: float | None = None

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self._factory, self._clock, self._vault)

    def request_stop(self) -> None:
        """Finish the job in hand, hand back the rest of the batch, then return."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self, once: bool = False) -> WorkerStats:
        """Loop until stopped; with ``once``, stop when nothing is due. Returns this run's
        figures."""
        self.stats = WorkerStats()
        log.info("worker.started", worker=self.id, kinds=sorted(self.handlers))
        try:
            while not self._stop.is_set():
                self._sweep()
                jobs = self._claim()
                if not jobs:
                    if once:
                        break
                    self._stop.wait(self.idle_seconds)
                    continue
                if self.on_batch is not None:
                    self.on_batch(jobs)
                self._run_batch(jobs)
        finally:
            for handler in self.handlers.values():
                handler.close()
            log.info("worker.stopped", worker=self.id, done=self.stats.done)
        return self.stats

    def _sweep(self) -> None:
        now = time.monotonic()
        if self._swept_at is not None and now - self._swept_at < self.sweep_seconds:
            return
        self._swept_at = now
        for sweep in self.sweeps:
            try:
                with self.uow() as uow:
                    sweep(uow)
                    uow.commit()
            except Exception as exc:
                log.error("worker.sweep_failed", worker=self.id, error=type(exc).__name__)

    def _claim(self) -> list[ClaimedJob]:
        try:
            with self.uow() as uow:
                jobs = claim(
                    uow.session,
                    self.id,
                    self._clock.now(),
                    kinds=sorted(self.handlers),
                    lease=self.lease,
                    limit=self.batch,
                )
                uow.commit()
        except OperationalError as exc:
            # SQLite busy past its timeout, or the database briefly gone: try again later.
            log.warning("worker.claim_failed", worker=self.id, error=type(exc.orig).__name__)
            return []
        self.stats.claimed += len(jobs)
        return jobs

    def _run_batch(self, jobs: list[ClaimedJob]) -> None:
        renewed_at = time.monotonic()
        for index, job in enumerate(jobs):
            if self._stop.is_set():
                self._release([j.id for j in jobs[index:]])
                return
            # Long batches keep their leases, so no other worker takes rows still queued here.
            if time.monotonic() - renewed_at > self.lease.total_seconds() / 2:
                self._renew([j.id for j in jobs[index:]])
                renewed_at = time.monotonic()
            self.run_job(job)

    def run_job(self, job: ClaimedJob) -> None:
        handler = self.handlers[job.kind]
        error: BaseException | None = None
        with self.uow() as uow:
            try:
                handler.run(uow, job)
                if complete(uow, job, self.id):
                    uow.commit()
                    self.stats.done += 1
                    self.stats.by_kind[job.kind] = self.stats.by_kind.get(job.kind, 0) + 1
                else:
                    # Another worker took the row after our lease ran out; it does the job.
                    self.stats.lost += 1
                    log.warning("worker.lease_lost", worker=self.id, job=job.id)
                return
            except Exception as exc:
                error = exc
        self._record_failure(handler, job, error)

    def _record_failure(self, handler: JobHandler, job: ClaimedJob, error: BaseException) -> None:
        try:
            with self.uow() as uow:
                failure = fail(uow, job, self.id, error)
                if failure.outcome == "parked":
                    handler.parked(uow, job, failure.reason)
                uow.commit()
        except Exception as exc:
            # The lease runs out and the row is tried again: nothing is lost.
            log.error("worker.failure_not_recorded", job=job.id, error=type(exc).__name__)
            return
        if failure.outcome == "parked":
            self.stats.parked += 1
        elif failure.outcome == "retry":
            self.stats.retried += 1
        else:
            self.stats.lost += 1
        log.warning(
            "worker.job_failed",
            worker=self.id,
            job=job.id,
            kind=job.kind,
            attempts=job.attempts,
            outcome=failure.outcome,
            error=type(error).__name__,
        )

    def _renew(self, job_ids: list[int]) -> None:
        with self.uow() as uow:
            renew(uow.session, job_ids, self.id, self._clock.now() + self.lease)
            uow.commit()

    def _release(self, job_ids: list[int]) -> None:
        with self.uow() as uow:
            self.stats.released += release(uow.session, job_ids, self.id, self._clock.now())
            uow.commit()
