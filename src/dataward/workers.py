"""Workers with every kind of job dataward knows, wired at the edge beside ``runtime``.

Each domain exports its jobs (``outbox.jobs``, ``notify.jobs``) and ``jobs/`` only claims,
runs and retries due rows, so this is the one place that knows both: a new domain adds its
jobs with one line in ``domain_jobs``.

``dataward worker`` runs ``build_worker``'s worker in a process of its own; ``make run``
also runs one inside the server process (``start_embedded_worker``). Any number of both
share the database safely.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import sessionmaker

from dataward.access.jobs import access_jobs
from dataward.audit.jobs import audit_jobs
from dataward.clock import Clock
from dataward.complaints.jobs import complaint_jobs
from dataward.config import Settings, get_settings
from dataward.crypto.keystore import Vault
from dataward.crypto.secrets import key_material
from dataward.erasure.jobs import erasure_jobs
from dataward.errors import ConfigurationError
from dataward.jobs.worker import DomainJobs, JobHandler, Worker
from dataward.logging import get_logger
from dataward.notify.jobs import notify_jobs
from dataward.outbox.config import MailSettings, get_mail_settings
from dataward.outbox.jobs import outbox_jobs
from dataward.outbox.senders import Sender
from dataward.requests.jobs import request_jobs
from dataward.retention.jobs import retention_jobs
from dataward.uow import KeyStore

log = get_logger(__name__)


def domain_jobs(mail: MailSettings, *, sender: Sender | None = None) -> list[DomainJobs]:
    """Every domain's jobs, in this order (each checks its own settings as it builds)."""
    return [
        outbox_jobs(mail, sender=sender),
        notify_jobs(mail),
        audit_jobs(get_settings(), mail),
        request_jobs(get_settings(), mail),
        complaint_jobs(get_settings(), mail),
        access_jobs(get_settings(), mail),
        erasure_jobs(),
        retention_jobs(get_settings()),
    ]


def build_worker(
    session_factory: sessionmaker[Any],
    clock: Clock,
    vault: KeyStore | None,
    mail: MailSettings,
    *,
    sender: Sender | None = None,
    worker_id: str | None = None,
) -> Worker:
    """A template error raises ``TemplateInvalid`` here, before any row is claimed."""
    domains = domain_jobs(mail, sender=sender)
    handlers: dict[str, JobHandler] = {}
    for domain in domains:
        handlers.update(domain.handlers)
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
    worker.sweeps.extend(sweep for domain in domains for sweep in domain.sweeps)
    return worker


class EmbeddedWorker:
    """One worker inside the server process (``make run``), on a thread of its own.

    Without key material it still starts but leaves jobs that need keys (every outbox
    message) for a worker that has them, and ``note`` says so at start.
    """

    def __init__(self, worker: Worker, vault: Vault | None, note: str | None) -> None:
        self.worker = worker
        self.vault = vault
        self.note = note
        self.thread = threading.Thread(target=self._run, name="dataward-worker", daemon=True)

    def _run(self) -> None:
        try:
            self.worker.run()
        except Exception as exc:  # the server keeps serving; the log says why work stopped
            log.error("worker.crashed", error=type(exc).__name__)

    def start(self) -> EmbeddedWorker:
        self.thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the job in hand (SIGTERM to the server ends here), then close."""
        self.worker.request_stop()
        self.thread.join(timeout)
        if self.vault is not None:
            self.vault.close()


def start_embedded_worker(
    settings: Settings, session_factory: sessionmaker[Any], clock: Clock
) -> EmbeddedWorker:
    """Template errors and a wrong KEK raise here, before the server starts serving."""
    vault: Vault | None = None
    note: str | None = None
    try:
        material = key_material(settings)
    except ConfigurationError as error:
        note = (
            f"The built-in worker runs without the key store ({error.message}); outbox "
            "messages wait until a worker with DATAWARD_KEK runs."
        )
    else:
        vault = Vault.open(settings.keystore_url, material, clock)
    try:
        # Links follow `serve --port`; without SMTP settings, files only on loopback.
        mail = get_mail_settings().for_port(settings.port).for_host(settings.host)
        worker = build_worker(session_factory, clock, vault, mail)
    except Exception:
        if vault is not None:
            vault.close()
        raise
    return EmbeddedWorker(worker, vault, note).start()
