"""One worker inside the server process (``make run``), on a thread of its own.

Deployments with more load run ``dataward worker`` processes instead or as well; they share
the database safely. Without key material the embedded worker still starts but leaves jobs
that need keys (every outbox message) for a worker that has them, and says so at start.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy.orm import sessionmaker

from dataward.clock import Clock
from dataward.config import Settings
from dataward.crypto.keystore import Vault
from dataward.crypto.secrets import key_material
from dataward.errors import ConfigurationError
from dataward.jobs.runner import build_worker
from dataward.jobs.worker import Worker
from dataward.logging import get_logger
from dataward.outbox.config import get_mail_settings

log = get_logger(__name__)


class EmbeddedWorker:
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
        worker = build_worker(session_factory, clock, vault, get_mail_settings())
    except Exception:
        if vault is not None:
            vault.close()
        raise
    return EmbeddedWorker(worker, vault, note).start()
