"""Assemble a worker with every kind of job dataward knows, checked before it starts."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import sessionmaker

from dataward.clock import Clock
from dataward.jobs.worker import JobHandler, Worker
from dataward.outbox.config import MailSettings
from dataward.outbox.senders import Sender, make_sender
from dataward.outbox.service import SEND_JOB, OutboxDelivery
from dataward.outbox.templates import checked_templates

if TYPE_CHECKING:
    from dataward.crypto.keystore import Vault


def build_worker(
    session_factory: sessionmaker[Any],
    clock: Clock,
    vault: Vault | None,
    mail: MailSettings,
    *,
    sender: Sender | None = None,
    worker_id: str | None = None,
) -> Worker:
    """A template error raises ``TemplateInvalid`` here, before any row is claimed."""
    from dataward.notify.service import CAMPAIGN_JOB, CampaignBatches, start_pending_campaigns

    checked_templates(mail.mail_templates_dir)
    handlers: dict[str, JobHandler] = {
        SEND_JOB: OutboxDelivery(sender or make_sender(mail), mail),
        CAMPAIGN_JOB: CampaignBatches(mail),
    }
    worker = Worker(
        session_factory,
        clock,
        handlers,
        vault=vault,
        worker_id=worker_id,
        batch=mail.worker_batch,
        lease=timedelta(seconds=mail.worker_lease_seconds),
        idle_seconds=mail.worker_idle_seconds,
    )
    worker.sweeps.append(lambda uow: start_pending_campaigns(uow, mail=mail))
    return worker
