"""At-least-once delivery with real worker processes on PostgreSQL, one of them SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from outbox_support import Inbox, add_people, load_acme, smtp_server
from sqlalchemy import select

from dataward.clock import SystemClock
from dataward.crypto.keystore import Vault
from dataward.crypto.secrets import KeyMaterial, encode_key
from dataward.db import make_engine, make_session_factory
from dataward.migrate import upgrade
from dataward.outbox.config import MailSettings
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import queue_subject_message
from dataward.scratch import scratch_databases
from dataward.uow import UnitOfWork

DATAWARD = Path(sys.executable).parent / "dataward"
COUNT = 60
HOLD_AT = 5


def _wait(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_a_killed_worker_loses_nothing_and_a_resend_keeps_its_message_id(
    tmp_path: Path,
) -> None:
    material = KeyMaterial("kek-kill", os.urandom(32), os.urandom(32))
    admin_url = os.environ.get("DATAWARD_TEST_DATABASE_URL", "")
    assert admin_url, "DATAWARD_TEST_DATABASE_URL is not set: run the suite with `make test`"
    with scratch_databases(admin_url, "dataward_kill", "dataward_kill_keys") as (db_url, keys_url):
        upgrade(db_url)
        engine = make_engine(db_url)
        vault = Vault.open(keys_url, material)
        factory = make_session_factory(engine)
        mail = MailSettings(_env_file=None, mail_from="privacy@acme.example")  # type: ignore[call-arg]
        context = {"summary": "s", "notice_url": "https://x.example/n", "from_version": 1}
        with UnitOfWork(factory, SystemClock(), vault) as uow:
            load_acme(uow)
            people = add_people(uow, COUNT)
            queued = [
                queue_subject_message(
                    uow,
                    s,
                    f"person{n}@example.com",
                    "notice_change",
                    {**context, "to_version": 2},
                    mail=mail,
                ).message_id
                for n, s in enumerate(people)
            ]
            uow.commit()
        inbox = Inbox(hold_at=HOLD_AT, delay=0.01)
        with smtp_server(inbox) as port:
            env = {
                **os.environ,
                "DATAWARD_DATABASE_URL": db_url,
                "DATAWARD_KEYSTORE_URL": keys_url,
                "DATAWARD_KEK": encode_key(material.kek),
                "DATAWARD_KEK_ID": material.kek_id,
                "DATAWARD_BLIND_INDEX_KEY": encode_key(material.index_key),
                "DATAWARD_SMTP_HOST": "127.0.0.1",  # set: real SMTP (issue 14, item 9)
                "DATAWARD_SMTP_PORT": str(port),
                "DATAWARD_SMTP_SECURITY": "none",
                "DATAWARD_MAIL_FROM": "privacy@acme.example",
                "DATAWARD_WORKER_LEASE_SECONDS": "3",
                "DATAWARD_WORKER_BATCH": "10",
                "DATAWARD_WORKER_IDLE_SECONDS": "0.1",
                "DATAWARD_LOG_FORMAT": "json",
            }

            def start(name: str) -> subprocess.Popen[bytes]:
                log = (tmp_path / f"{name}.log").open("wb")
                return subprocess.Popen(
                    [str(DATAWARD), "worker"], env=env, cwd=tmp_path, stdout=log, stderr=log
                )

            first = start("first")
            try:
                # The first worker is inside message 5's DATA, holding rows 1-10.
                _wait(inbox.held.is_set, 60, "the first worker to reach the held message")
                second = start("second")
                try:
                    _wait(lambda: len(inbox.messages) >= HOLD_AT + 5, 60, "the second worker")
                    first.send_signal(signal.SIGKILL)
                    first.wait(10)
                    inbox.release.set()

                    def all_sent() -> bool:
                        with factory() as session:
                            states = set(session.scalars(select(OutboxMessage.status)))
                        return states == {"sent"}

                    _wait(all_sent, 90, "every message to be sent")
                    second.send_signal(signal.SIGTERM)
                    assert second.wait(30) == 0  # a graceful stop
                finally:
                    if second.poll() is None:
                        second.kill()
            finally:
                if first.poll() is None:
                    first.kill()
        vault.close()
        engine.dispose()
    received = Counter(inbox.message_ids())
    assert set(received) == set(queued)  # every message delivered
    duplicates = [mid for mid, n in received.items() if n > 1]
    assert queued[HOLD_AT - 1] in duplicates  # accepted, but the killed worker never knew
    for mid in duplicates:
        copies = [m for m in inbox.messages if m["Message-ID"] == mid]
        bodies = {(str(m["To"]), m.get_body(("plain",)).get_content()) for m in copies}  # type: ignore[union-attr]
        assert len(bodies) == 1  # the same message, not just the same id
