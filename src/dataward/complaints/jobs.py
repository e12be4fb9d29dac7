"""Complaints' work for every worker: the day's reminders of CMP-01's clocks.

Once a day, from ``DATAWARD_REQUEST_REMINDER_HOUR`` (UK time; the same hour and days as the
request reminders), it sends the day's complaint reminders. It commits with the rows that
say each was sent, so any number of workers, or a worker killed half-way, send each
reminder once (``complaints.reminders``).

``dataward.workers`` gathers this with every other domain's; ``jobs/`` never names it.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from dataward.clock import in_uk_time
from dataward.complaints.reminders import send_complaint_reminders
from dataward.config import Settings
from dataward.errors import ConfigurationError
from dataward.jobs.worker import DomainJobs
from dataward.logging import get_logger
from dataward.outbox.config import MailSettings
from dataward.requests.reminders import Told, reminder_days
from dataward.uow import UnitOfWork

log = get_logger(__name__)

# How often one worker looks whether the day's run is due: the look costs nothing.
CHECK_EVERY = timedelta(minutes=5)


class ComplaintSweep:
    """Reminders daily from the set hour. The day last done is remembered per process
    only: the rows written make a second run on the same day send nothing again."""

    def __init__(self, days: tuple[int, ...], hour: int, mail: MailSettings) -> None:
        self.days, self.hour, self.mail = days, hour, mail
        self._next_check: datetime | None = None
        self._reminded_on: date | None = None

    def __call__(self, uow: UnitOfWork) -> Told | None:
        now = uow.clock.now()
        if self._next_check is not None and now < self._next_check:
            return None
        self._next_check = now + CHECK_EVERY
        today = in_uk_time(now).date()  # complaints' clocks run on UK days
        if self._reminded_on == today or in_uk_time(now).hour < self.hour:
            return None
        try:
            uow.vault  # noqa: B018
        except ConfigurationError:
            return None  # every message is sealed: a worker with the key store does this
        told = send_complaint_reminders(
            uow, today=today, days=self.days, mail=self.mail, actor="worker"
        )
        # Committed before the day is marked done: a failed commit is tried again.
        uow.commit()
        self._reminded_on = today
        log.info(
            "complaints.reminders_sent", reminders=told.total, undeliverable=told.undeliverable
        )
        return told


def complaint_jobs(settings: Settings, mail: MailSettings) -> DomainJobs:
    """Malformed reminder days raise ``RemindersInvalid`` here, before any row is claimed."""
    days = reminder_days(settings.request_reminder_days)
    return DomainJobs(sweeps=[ComplaintSweep(days, settings.request_reminder_hour, mail)])
