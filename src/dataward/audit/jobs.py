"""The audit chain's jobs, for every worker: a sweep that signs a head every
``DATAWARD_AUDIT_HEAD_MINUTES`` (when a key and a destination are set), and a delivery job
per destination (``audit.head_deliver`` for the file and the URL, ``audit.head_email``
through the outbox), each retried on its own by the job machinery.

``dataward.workers`` gathers these with every other domain's; ``jobs/`` never names them.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dataward.audit.errors import HeadDeliveryRefused, HeadSettingsInvalid
from dataward.audit.head_service import (
    EMAIL,
    HEAD_DELIVER_JOB,
    HEAD_EMAIL_JOB,
    HEAD_MESSAGE,
    HeadSettings,
    deliver,
    delivery_of,
    write_due_head,
)
from dataward.audit.heads import SignedHead
from dataward.config import Settings
from dataward.jobs.errors import JobFailed
from dataward.jobs.service import ClaimedJob
from dataward.jobs.worker import DomainJobs
from dataward.logging import get_logger
from dataward.outbox.config import MailSettings
from dataward.outbox.service import queue_staff_message
from dataward.publication.registers import list_organisations
from dataward.uow import UnitOfWork

log = get_logger(__name__)

# How often one worker looks whether a head is due: a cheap read, but not every 10 s.
CHECK_EVERY = timedelta(minutes=1)


class HeadSweep:
    """Signs a head when one is due; looks at most once per ``CHECK_EVERY`` per worker."""

    def __init__(self, config: HeadSettings) -> None:
        self.config = config
        self._next_check: datetime | None = None

    def __call__(self, uow: UnitOfWork) -> SignedHead | None:
        now = uow.clock.now()
        if self._next_check is not None and now < self._next_check:
            return None
        self._next_check = now + CHECK_EVERY
        head = write_due_head(uow, self.config)
        if head is not None:
            log.info("audit.head_signed", seq=head.seq, destinations=len(self.config.destinations))
        return head


class HeadDelivery:
    """``audit.head_deliver``: append the head to the file, or POST it to the URL."""

    needs_keys = False

    def __init__(self, config: HeadSettings) -> None:
        self.config = config

    def run(self, uow: UnitOfWork, job: ClaimedJob) -> None:
        kind, head = delivery_of(job.payload)
        deliver(head, kind, self.config)

    def parked(self, uow: UnitOfWork, job: ClaimedJob, reason: str) -> None:
        # The job row keeps the reason and `job.parked` is in the chain; the log says which
        # destination kind, never where it points.
        log.error(
            "audit.head_delivery_parked", job=job.id, destination=job.payload.get("destination")
        )

    def close(self) -> None:
        return None


class HeadEmail:
    """``audit.head_email``: queue the head to ``DATAWARD_AUDIT_HEAD_EMAIL`` in the outbox
    (sealed like every message, which is why this job needs the key store)."""

    needs_keys = True

    def __init__(self, config: HeadSettings, mail: MailSettings) -> None:
        self.config = config
        self.mail = mail

    def run(self, uow: UnitOfWork, job: ClaimedJob) -> None:
        _, head = delivery_of(job.payload)
        if self.config.email is None:
            raise HeadDeliveryRefused("the email destination of signed heads is no longer set")
        organisations = list_organisations(uow)
        if not organisations:
            # The message goes out in an organisation's name; one will exist once a
            # register is loaded, so this is tried again rather than given up.
            raise JobFailed("no organisation has a register yet to send the head in its name")
        queue_staff_message(
            uow,
            organisations[0].organisation,
            self.config.email,
            HEAD_MESSAGE,
            {
                "seq": head.seq,
                "row_hash": head.row_hash,
                "signed_at": f"{head.signed_at:%Y-%m-%d %H:%M:%S} UTC",
                "key_id": head.key_id,
                "line": head.line(),
            },
            actor="worker",
            mail=self.mail,
        )

    def parked(self, uow: UnitOfWork, job: ClaimedJob, reason: str) -> None:
        log.error("audit.head_delivery_parked", job=job.id, destination=EMAIL)

    def close(self) -> None:
        return None


def audit_jobs(settings: Settings, mail: MailSettings) -> DomainJobs:
    """Malformed head settings raise ``HeadSettingsInvalid`` here, before any row is claimed.

    The delivery handlers are there whatever the settings, so heads queued before a
    setting was removed are parked with a reason rather than left due for ever.
    """
    config = HeadSettings.from_settings(settings)
    if config.key is None and config.destinations:
        raise HeadSettingsInvalid(
            "signed-head destinations are set but DATAWARD_AUDIT_HEAD_KEY is not: "
            "`dataward keys audit-head` makes one"
        )
    return DomainJobs(
        handlers={HEAD_DELIVER_JOB: HeadDelivery(config), HEAD_EMAIL_JOB: HeadEmail(config, mail)},
        sweeps=[HeadSweep(config)] if config.active else [],
    )
