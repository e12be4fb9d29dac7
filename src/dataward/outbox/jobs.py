"""The outbox's jobs, for every worker: deliver each queued message (``outbox.send``).

``dataward.workers`` gathers these with every other domain's; ``jobs/`` never names them.
"""

from __future__ import annotations

from dataward.jobs.worker import DomainJobs
from dataward.outbox.config import MailSettings
from dataward.outbox.senders import Sender, make_sender
from dataward.outbox.service import SEND_JOB, OutboxDelivery
from dataward.outbox.templates import checked_templates


def outbox_jobs(mail: MailSettings, *, sender: Sender | None = None) -> DomainJobs:
    """A template error raises ``TemplateInvalid`` here, before any row is claimed.

    ``sender`` replaces the one ``mail`` names (tests and benchmarks count what is sent).
    """
    checked_templates(mail.mail_templates_dir)
    return DomainJobs(handlers={SEND_JOB: OutboxDelivery(sender or make_sender(mail), mail)})
