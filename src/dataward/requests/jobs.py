"""Rights requests' work for every worker: one sweep that keeps deadlines and reminders.

Once after the worker starts (a new process reads the holiday calendar afresh, so a
``holidays`` upgrade or a new bank holiday shows here) and then once a day, it recomputes
every open due date and tells the assignees of those that moved. Once a day, from
``DATAWARD_REQUEST_REMINDER_HOUR`` (UK time), it sends the day's reminders and the DPO's
digests. Each part commits with the rows that say it was done, so any number of workers,
or a worker killed half-way, send each reminder once (``requests.reminders``).

``dataward.workers`` gathers this with every other domain's; ``jobs/`` never names it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from dataward.clock import in_uk_time
from dataward.config import Settings
from dataward.errors import ConfigurationError
from dataward.jobs.worker import DomainJobs
from dataward.logging import get_logger
from dataward.outbox.config import MailSettings
from dataward.requests.digest import send_digests
from dataward.requests.reminders import Told, recompute_and_tell, reminder_days, send_reminders
from dataward.uow import UnitOfWork

log = get_logger(__name__)

# How often one worker looks whether the day's run is due: the look costs nothing.
CHECK_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class RemindersRun:
    """What one run of reminders and digests did (for the CLI and the log)."""

    reminders: Told
    digests: int


def run_reminders(
    uow: UnitOfWork, *, today: date, days: tuple[int, ...], mail: MailSettings, actor: str
) -> RemindersRun:
    """The day's reminders, then the DPO's digests (which count today's state)."""
    told = send_reminders(uow, today=today, days=days, mail=mail, actor=actor)
    digests = send_digests(uow, today=today, mail=mail, actor=actor)
    return RemindersRun(told, digests)


class RequestSweep:
    """Recompute at start and daily; reminders and digests daily from the set hour.

    The day last done is remembered per process only: the rows written make a second run on
    the same day (another worker, a restart) send nothing again.
    """

    def __init__(self, days: tuple[int, ...], hour: int, mail: MailSettings) -> None:
        self.days, self.hour, self.mail = days, hour, mail
        self._next_check: datetime | None = None
        self._recomputed_on: date | None = None
        self._reminded_on: date | None = None

    def __call__(self, uow: UnitOfWork) -> RemindersRun | None:
        now = uow.clock.now()
        if self._next_check is not None and now < self._next_check:
            return None
        self._next_check = now + CHECK_EVERY
        try:
            uow.vault  # noqa: B018
        except ConfigurationError:
            return None  # every message is sealed: a worker with the key store does this
        today = uow.clock.today()
        if self._recomputed_on != today:
            result, told = recompute_and_tell(uow, mail=self.mail, actor="worker")
            # Committed here, so a failure in the reminders below does not undo it.
            uow.commit()
            self._recomputed_on = today
            if result.moved:
                log.info("requests.due_moved", moved=len(result.moved), told=told.total)
        if self._reminded_on == today or in_uk_time(now).hour < self.hour:
            return None
        run = run_reminders(uow, today=today, days=self.days, mail=self.mail, actor="worker")
        # Committed before the day is marked done: a failed commit is tried again.
        uow.commit()
        self._reminded_on = today
        log.info(
            "requests.reminders_sent",
            reminders=run.reminders.total,
            undeliverable=run.reminders.undeliverable,
            digests=run.digests,
        )
        return run


def request_jobs(settings: Settings, mail: MailSettings) -> DomainJobs:
    """Malformed reminder days raise ``RemindersInvalid`` here, before any row is claimed."""
    days = reminder_days(settings.request_reminder_days)
    return DomainJobs(sweeps=[RequestSweep(days, settings.request_reminder_hour, mail)])
