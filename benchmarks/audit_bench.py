"""Audit chain benchmark: append and verify against plain SQL, measured in the same run.

On SQLite (temporary files) and PostgreSQL (throwaway databases on the test server):

- append: ``audit.service.record`` ``--n`` times, committed every ``--batch`` rows. Each
  append takes the chain lock, reads the head, hashes the row and flushes it.
  Baseline: a plain INSERT of the same rows (same columns, no lock, no head, no hash) into
  a plain table of the same shape, committed every ``--batch``.
- verify: ``audit.service.verify`` over ``--rows`` rows (1,000,000 by default). The rows are
  made fast: the chain is computed in Python with ``audit.chain.row_digest`` and inserted
  with executemany in batches of 10,000. Baseline: a plain ``SELECT`` streaming the same
  rows and hashing nothing. For the split, it also times the ORM pages verify reads
  without hashing.

Ratios are dataward time / baseline time (how many times slower). Progress goes to stderr.

Run with ``.venv/bin/python benchmarks/audit_bench.py`` (``--backends sqlite`` to skip
PostgreSQL, ``--rows 100000`` for a quick run; ``DATAWARD_BENCH_PG_URL`` for another server).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    func,
    insert,
    select,
    text,
)
from sqlalchemy.engine import Engine

from dataward.audit.chain import GENESIS, canonical_time, row_digest, state_hash
from dataward.audit.models import AuditEvent
from dataward.audit.service import _rows, record, verify
from dataward.clock import FixedClock
from dataward.db import make_engine, make_session_factory
from dataward.migrate import upgrade
from dataward.scratch import scratch_databases
from dataward.uow import UnitOfWork

PG_ADMIN = os.environ.get(
    "DATAWARD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
INSERT_BATCH = 10_000
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

plain = MetaData()
plain_events = Table(
    "bench_plain_audit",
    plain,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("occurred_at", DateTime(timezone=False), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(100), nullable=False),
    Column("entity_type", String(60), nullable=False),
    Column("entity_id", String(200), nullable=False),
    Column("subject_ref", String(64)),
    Column("before_hash", String(64)),
    Column("after_hash", String(64)),
    Column("details", JSON, nullable=False),
)


def check(ok: bool, what: str) -> None:
    """Results are checked too (not with assert, which ``python -O`` drops)."""
    if not ok:
        raise SystemExit(f"benchmark produced a wrong result: {what}")


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def event(i: int) -> dict[str, Any]:
    """The i-th event, as a service would record it (a subject being created)."""
    ref = f"s_{i:016x}"
    return {
        "actor": f"caseworker:{i % 7}",
        "action": "subject.created",
        "entity_type": "subject",
        "entity_id": ref,
        "subject_ref": ref,
        "after": {"groups": ["customers"], "identities": ["email", "phone"]},
        "details": {"organisation": "acme", "identities": 2},
    }


@dataclass
class Append:
    backend: str
    n: int
    seconds: float
    baseline: float


@dataclass
class Verify:
    backend: str
    rows: int
    generate: float
    seconds: float
    baseline: float
    orm_pages: float


@contextmanager
def sqlite_urls() -> Iterator[tuple[str, str]]:
    with tempfile.TemporaryDirectory(prefix="dataward-audit-") as folder:
        yield f"sqlite:///{folder}/append.db", f"sqlite:///{folder}/verify.db"


@contextmanager
def postgres_urls() -> Iterator[tuple[str, str]]:
    with scratch_databases(PG_ADMIN, "dataward_bench_append", "dataward_bench_verify") as (
        first,
        second,
    ):
        yield first, second


def measure_append(backend: str, url: str, n: int, batch: int) -> Append:
    upgrade(url)
    engine = make_engine(url)
    plain.create_all(engine)
    factory = make_session_factory(engine)
    clock = FixedClock(START)
    events = [event(i) for i in range(n)]
    try:
        started = time.perf_counter()
        for start in range(0, n, batch):
            with UnitOfWork(factory, clock) as uow:
                for item in events[start : start + batch]:
                    record(uow, **item)
                    clock.advance(timedelta(milliseconds=1))
                uow.commit()
        seconds = time.perf_counter() - started

        statement = insert(plain_events)
        moment = canonical_time(START)
        started = time.perf_counter()
        for start in range(0, n, batch):
            with engine.begin() as conn:
                for seq in range(start, min(start + batch, n)):
                    item = events[seq]
                    conn.execute(
                        statement,
                        {
                            "seq": seq + 1,
                            "occurred_at": moment + timedelta(milliseconds=seq),
                            "actor": item["actor"],
                            "action": item["action"],
                            "entity_type": item["entity_type"],
                            "entity_id": item["entity_id"],
                            "subject_ref": item["subject_ref"],
                            "before_hash": None,
                            "after_hash": None,
                            "details": item["details"],
                        },
                    )
        baseline = time.perf_counter() - started

        with factory() as session:
            result = verify(session)
            check(result.intact and result.rows == n, f"appended chain: {result}")
            plain_rows = session.scalar(select(func.count()).select_from(plain_events))
            check(plain_rows == n, f"plain rows: {plain_rows}")
    finally:
        engine.dispose()
    return Append(backend, n, seconds, baseline)


def chain_rows(count: int) -> Iterator[list[dict[str, Any]]]:
    """``count`` chained rows in batches, hashed exactly as ``record`` hashes them."""
    prev_hash = GENESIS
    start = canonical_time(START)
    rows: list[dict[str, Any]] = []
    for i in range(count):
        item = event(i)
        fields: dict[str, Any] = {
            "seq": i + 1,
            "occurred_at": start + timedelta(microseconds=1_000 * i + 7),
            "actor": item["actor"],
            "action": item["action"],
            "entity_type": item["entity_type"],
            "entity_id": item["entity_id"],
            "subject_ref": item["subject_ref"],
            "before_hash": None,
            "after_hash": state_hash(item["after"]),
            "details": item["details"],
            "prev_hash": prev_hash,
        }
        prev_hash = fields["row_hash"] = row_digest(**fields)
        rows.append(fields)
        if len(rows) == INSERT_BATCH:
            yield rows
            rows = []
    if rows:
        yield rows


def fill(engine: Engine, count: int) -> float:
    table = AuditEvent.__table__
    started = time.perf_counter()
    done = 0
    for rows in chain_rows(count):
        with engine.begin() as conn:
            conn.execute(insert(table), rows)
        done += len(rows)
        if done % 100_000 == 0 or done == count:
            progress(f"  generated {done:,} rows ({time.perf_counter() - started:.0f} s)")
    return time.perf_counter() - started


def stream_plain(engine: Engine) -> int:
    """The baseline: read every row in insertion order, hash nothing."""
    count = 0
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=INSERT_BATCH).execute(
            select(AuditEvent.__table__).order_by(AuditEvent.id)
        )
        for _row in result:
            count += 1
    return count


def measure_verify(backend: str, url: str, rows: int) -> Verify:
    upgrade(url)
    engine = make_engine(url)
    try:
        progress(f"{backend}: generating {rows:,} chained rows")
        generate = fill(engine, rows)
        if backend == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE audit_events"))
        progress(f"{backend}: plain SELECT of {rows:,} rows")
        started = time.perf_counter()
        streamed = stream_plain(engine)
        baseline = time.perf_counter() - started
        check(streamed == rows, f"streamed {streamed} rows")
        progress(f"{backend}: the same ORM pages verify reads, hashing nothing")
        with make_session_factory(engine)() as session:
            started = time.perf_counter()
            paged = sum(1 for _row in _rows(session, 5000))
            orm_pages = time.perf_counter() - started
        check(paged == rows, f"paged {paged} rows")
        progress(f"{backend}: verify over {rows:,} rows")
        with make_session_factory(engine)() as session:
            started = time.perf_counter()
            result = verify(session)
            seconds = time.perf_counter() - started
        check(result.intact and result.head_seq == rows == result.rows, f"verify: {result}")
    finally:
        engine.dispose()
    return Verify(backend, rows, generate, seconds, baseline, orm_pages)


def print_tables(appends: list[Append], verifies: list[Verify], batch: int) -> None:
    header = f"{'append':<12}{'n':>7}{'rate/s':>10}{'baseline/s':>12}{'ratio':>8}{'ms each':>9}"
    print(header)
    print("-" * len(header))
    for a in appends:
        print(
            f"{a.backend:<12}{a.n:>7}{a.n / a.seconds:>10.0f}{a.n / a.baseline:>12.0f}"
            f"{a.seconds / a.baseline:>8.1f}{1000 * a.seconds / a.n:>9.3f}"
        )
    print(f"(commit every {batch}; ratio = record time / plain INSERT time)")
    print()
    header = (
        f"{'verify':<12}{'rows':>10}{'seconds':>9}{'rows/s':>10}"
        f"{'baseline s':>12}{'baseline rows/s':>17}{'ratio':>7}{'ORM pages s':>13}"
        f"{'generate s':>12}"
    )
    print(header)
    print("-" * len(header))
    for v in verifies:
        print(
            f"{v.backend:<12}{v.rows:>10,}{v.seconds:>9.1f}{v.rows / v.seconds:>10.0f}"
            f"{v.baseline:>12.1f}{v.rows / v.baseline:>17.0f}{v.seconds / v.baseline:>7.1f}"
            f"{v.orm_pages:>13.1f}{v.generate:>12.1f}"
        )
    print("(ratio = verify time / plain streaming SELECT time; ORM pages = the keyset pages")
    print(" verify reads, loaded as ORM objects, hashing nothing: the part that is not hashing)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5_000, help="appends")
    parser.add_argument("--batch", type=int, default=100, help="appends per commit")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows to verify")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(
        f"python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs"
    )
    appends: list[Append] = []
    verifies: list[Verify] = []
    for backend in args.backends.split(","):
        urls = sqlite_urls() if backend == "sqlite" else postgres_urls()
        with urls as (append_url, verify_url):
            progress(f"{backend}: {args.n:,} appends")
            appends.append(measure_append(backend, append_url, args.n, args.batch))
            verifies.append(measure_verify(backend, verify_url, args.rows))
    print()
    print_tables(appends, verifies, args.batch)


if __name__ == "__main__":
    main()
