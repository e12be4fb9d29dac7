"""Outbox throughput to a local aiosmtpd server, and the cost of claiming rows.

    .venv/bin/python benchmarks/outbox_bench.py                 # SQLite
    .venv/bin/python benchmarks/outbox_bench.py --pg-url postgresql+psycopg://postgres@127.0.0.1:5432/test

Prints messages/s with one and with two workers (threads, each with its own connections)
and the claim overhead: claiming every row in batches with ``claim`` (conditional UPDATE on
SQLite, SELECT ... FOR UPDATE SKIP LOCKED then UPDATE on PostgreSQL) against a plain
``UPDATE ... WHERE id IN (...)`` of the same rows in the same batches, in the same run.
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import select, update

from dataward.clock import SystemClock
from dataward.crypto.keystore import Vault
from dataward.crypto.secrets import KeyMaterial
from dataward.db import make_engine, make_session_factory
from dataward.jobs.models import Job
from dataward.jobs.service import claim, enqueue
from dataward.migrate import upgrade
from dataward.outbox.config import MailSettings
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import queue_subject_message
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.scratch import scratch_databases
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork
from dataward.workers import build_worker

ROOT = Path(__file__).resolve().parents[1]
REGISTER = ROOT / "tests" / "fixtures" / "subjects" / "acme.yaml"


class Counter:
    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.count += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def databases(pg_url: str | None, folder: Path) -> Iterator[tuple[str, str]]:
    if pg_url is None:
        yield f"sqlite:///{folder / 'main.db'}", f"sqlite:///{folder / 'keys.db'}"
        return
    with scratch_databases(pg_url, "outbox_bench", "outbox_bench_keys") as (main, keys):
        yield main, keys


def requeue_all(factory: Any) -> None:
    with factory() as session:
        session.execute(
            update(Job)
            .where(Job.kind == "outbox.send")
            .values(state="due", attempts=0, claimed_by=None, lease_until=None)
        )
        session.execute(update(OutboxMessage).values(status="queued", sent_at=None))
        session.commit()


def deliver(factory: Any, vault: Vault, mail: MailSettings, workers: int) -> float:
    runs = [
        build_worker(factory, SystemClock(), vault, mail, worker_id=f"bench-{n}")
        for n in range(workers)
    ]
    threads = [threading.Thread(target=w.run, kwargs={"once": True}) for w in runs]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def claim_overhead(factory: Any, rows: int, batch: int) -> tuple[float, float]:
    """Seconds to take every row with ``claim``, and with a plain UPDATE of the same rows."""
    now = datetime.now(UTC)
    with UnitOfWork(factory, SystemClock()) as uow:
        uow.session.execute(Job.__table__.delete().where(Job.kind == "bench"))
        for n in range(rows):
            enqueue(uow, "bench", {"n": n}, due_at=now - timedelta(seconds=1))
        uow.commit()
    with factory() as session:
        ids = list(session.scalars(select(Job.id).where(Job.kind == "bench").order_by(Job.id)))
    started = time.perf_counter()
    taken = 0
    with factory() as session:
        while True:
            got = claim(
                session, "bench", now, kinds=["bench"], lease=timedelta(minutes=5), limit=batch
            )
            session.commit()
            if not got:
                break
            taken += len(got)
    claimed = time.perf_counter() - started
    assert taken == rows, (taken, rows)
    with factory() as session:
        session.execute(update(Job).where(Job.kind == "bench").values(state="due"))
        session.commit()
    started = time.perf_counter()
    with factory() as session:
        for start in range(0, rows, batch):
            chunk = ids[start : start + batch]
            session.execute(
                update(Job)
                .where(Job.id.in_(chunk))
                .values(state="claimed", claimed_by="bench", lease_until=now, updated_at=now)
            )
            session.commit()
    plain = time.perf_counter() - started
    return claimed, plain


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=500)
    parser.add_argument("--claim-rows", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=20)
    parser.add_argument("--pg-url", default=None, help="admin URL; throwaway databases are made")
    args = parser.parse_args()
    backend = "postgresql" if args.pg_url else "sqlite"
    with tempfile.TemporaryDirectory() as tmp, databases(args.pg_url, Path(tmp)) as urls:
        db_url, keys_url = urls
        upgrade(db_url)
        engine = make_engine(db_url)
        factory = make_session_factory(engine)
        vault = Vault.open(keys_url, KeyMaterial("kek-bench", os.urandom(32), os.urandom(32)))
        inbox = Counter()
        port = free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        mail = MailSettings(
            _env_file=None,  # type: ignore[call-arg]
            smtp_host="127.0.0.1",  # set, so mail goes by SMTP (issue 14: files otherwise)
            smtp_port=port,
            smtp_security="none",
            mail_from="privacy@acme.example",
            worker_batch=args.batch,
            worker_idle_seconds=0.05,
        )
        try:
            with UnitOfWork(factory, SystemClock(), vault) as uow:
                store_register(uow, load_register(REGISTER))
                context = {"summary": "s", "notice_url": "u", "from_version": 1, "to_version": 2}
                for n in range(args.messages):
                    address = f"person{n}@example.com"
                    subject = add_subject(uow, "acme", ["customers"], [("email", address)])
                    queue_subject_message(
                        uow, subject, address, "notice_change", context, mail=mail
                    )
                uow.commit()
            one = deliver(factory, vault, mail, 1)
            assert inbox.count == args.messages, inbox.count
            requeue_all(factory)
            two = deliver(factory, vault, mail, 2)
            assert inbox.count == 2 * args.messages, inbox.count
            claimed, plain = claim_overhead(factory, args.claim_rows, args.batch)
        finally:
            controller.stop()
            vault.close()
            engine.dispose()
    print(f"backend: {backend}, messages: {args.messages}, batch: {args.batch}")
    print(f"one worker:  {args.messages / one:8.1f} messages/s ({one:.2f} s)")
    print(f"two workers: {args.messages / two:8.1f} messages/s ({two:.2f} s), {one / two:.2f}x one")
    print(
        f"claim {args.claim_rows} rows: {claimed * 1000:.0f} ms; plain UPDATE of the same rows: "
        f"{plain * 1000:.0f} ms; ratio {claimed / plain:.2f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
