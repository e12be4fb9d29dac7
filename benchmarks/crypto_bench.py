"""Subjects benchmark: encrypted store and blind-index lookup against plain SQL, same run.

On SQLite (temporary files) and PostgreSQL (throwaway databases on the test server) it
measures:

- add: ``subjects.service.add_subject`` with three identities each (email, phone, NI
  number), ``--n`` subjects, one unit of work committed every ``--batch``. Each subject gets
  its own AES-GCM data key wrapped by the KEK in the key store, three sealed identities,
  three blind-index rows and one audit-chain row.
  Baseline: a plain INSERT of the same three normalised values per subject into a plain
  indexed table in the same main database, committed every ``--batch``.
- find: ``subjects.service.find_subjects`` by email (written in upper case, so it is
  normalised), ``--n`` lookups, one unit of work per ``--batch``; every lookup must find
  exactly its subject. Baseline: an indexed ``SELECT`` by the normalised value.

It prints rates (per second) and the ratio baseline / dataward (how many times slower the
encrypted path is). ``--profile`` prints where ``add_subject`` spends its time on SQLite.

Run with ``.venv/bin/python benchmarks/crypto_bench.py`` (``--backends sqlite`` to skip
PostgreSQL; ``DATAWARD_BENCH_PG_URL`` to point at another server).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import platform
import pstats
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    select,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from dataward.clock import SystemClock
from dataward.crypto.cipher import new_key
from dataward.crypto.keystore import Vault
from dataward.crypto.secrets import KeyMaterial
from dataward.db import make_engine, make_session_factory
from dataward.migrate import upgrade
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.scratch import scratch_databases
from dataward.subjects.identities import IdentityKind, normalise
from dataward.subjects.service import add_subject, find_subjects
from dataward.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[1]
REGISTER = ROOT / "tests" / "fixtures" / "subjects" / "acme.yaml"
PG_ADMIN = os.environ.get(
    "DATAWARD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)

plain = MetaData()
plain_identities = Table(
    "bench_plain_identities",
    plain,
    Column("id", Integer, primary_key=True),
    Column("subject_no", Integer, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("value", String(254), nullable=False),
)
Index("ix_bench_plain_lookup", plain_identities.c.kind, plain_identities.c.value)


@dataclass
class Row:
    operation: str
    backend: str
    n: int
    seconds: float
    baseline_seconds: float

    @property
    def rate(self) -> float:
        return self.n / self.seconds

    @property
    def baseline_rate(self) -> float:
        return self.n / self.baseline_seconds

    @property
    def ratio(self) -> float:
        return self.baseline_rate / self.rate


def people(n: int) -> list[list[tuple[str, str]]]:
    """Identities as a person might type them: mixed case, spaces."""
    return [
        [
            ("email", f"Person.{i}@Example.com"),
            ("phone", f"07911 {100000 + i}"),
            ("ni_number", f"AB {i // 10000 % 100:02d} {i % 10000:04d} C"),
        ]
        for i in range(n)
    ]


@contextmanager
def sqlite_urls() -> Iterator[tuple[str, str]]:
    with tempfile.TemporaryDirectory(prefix="dataward-crypto-") as folder:
        yield f"sqlite:///{folder}/main.db", f"sqlite:///{folder}/keys.db"


@contextmanager
def postgres_urls() -> Iterator[tuple[str, str]]:
    with scratch_databases(PG_ADMIN, "dataward_bench_main", "dataward_bench_keys") as (
        first,
        second,
    ):
        yield first, second


def check(ok: bool, what: str) -> None:
    """Results are checked too (not with assert, which ``python -O`` drops)."""
    if not ok:
        raise SystemExit(f"benchmark produced a wrong result: {what}")


def timed(work: Callable[[], None]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def add_all(
    factory: sessionmaker[Any], vault: Vault, batches: list[list[list[tuple[str, str]]]]
) -> list[str]:
    refs: list[str] = []
    for batch in batches:
        with UnitOfWork(factory, SystemClock(), vault) as uow:
            refs.extend(
                add_subject(uow, "acme", ["customers"], p, actor="bench").ref for p in batch
            )
            uow.commit()
    return refs


def run_backend(backend: str, main_url: str, keys_url: str, n: int, batch: int) -> list[Row]:
    upgrade(main_url)
    engine = make_engine(main_url)
    factory = make_session_factory(engine)
    vault = Vault.open(keys_url, KeyMaterial("kek-bench", new_key(), new_key()))
    with UnitOfWork(factory) as uow:
        store_register(uow, load_register(REGISTER))
        uow.commit()
    plain.create_all(engine)
    try:
        typed = people(n)
        batches = [typed[i : i + batch] for i in range(0, n, batch)]
        normalised = [[(k, normalise(IdentityKind(k), v)) for k, v in p] for p in typed]
        emails = [p[0][1] for p in typed]

        refs: list[str] = []
        add_seconds = timed(lambda: refs.extend(add_all(factory, vault, batches)))
        check(len(set(refs)) == n, f"{len(set(refs))} distinct refs")
        plain_add = timed(lambda: insert_plain(engine, normalised, batch))

        def find_all() -> None:
            for start in range(0, n, batch):
                with UnitOfWork(factory, SystemClock(), vault) as uow:
                    for i in range(start, min(start + batch, n)):
                        found = find_subjects(uow, "acme", "email", emails[i].upper())
                        check([s.ref for s in found] == [refs[i]], f"find #{i}")

        find_seconds = timed(find_all)
        plain_find = timed(lambda: select_plain(engine, normalised, batch))
    finally:
        vault.close()
        engine.dispose()
    return [
        Row("add subject (3 identities)", backend, n, add_seconds, plain_add),
        Row("find by email", backend, n, find_seconds, plain_find),
    ]


def insert_plain(engine: Engine, normalised: list[list[tuple[str, str]]], batch: int) -> None:
    statement = insert(plain_identities)
    for start in range(0, len(normalised), batch):
        with engine.begin() as conn:
            for no in range(start, min(start + batch, len(normalised))):
                conn.execute(
                    statement,
                    [{"subject_no": no, "kind": k, "value": v} for k, v in normalised[no]],
                )


def select_plain(engine: Engine, normalised: list[list[tuple[str, str]]], batch: int) -> None:
    query = select(plain_identities.c.subject_no).where(
        plain_identities.c.kind == "email", plain_identities.c.value == bindparam("v")
    )
    for start in range(0, len(normalised), batch):
        with engine.begin() as conn:
            for no in range(start, min(start + batch, len(normalised))):
                found = conn.execute(query, {"v": normalised[no][0][1]}).scalars().all()
                check(found == [no], f"plain find #{no}")


def profile_add(n: int, batch: int, top: int) -> None:
    with sqlite_urls() as (main_url, keys_url):
        upgrade(main_url)
        engine = make_engine(main_url)
        factory = make_session_factory(engine)
        vault = Vault.open(keys_url, KeyMaterial("kek-bench", new_key(), new_key()))
        with UnitOfWork(factory) as uow:
            store_register(uow, load_register(REGISTER))
            uow.commit()
        typed = people(n)
        batches = [typed[i : i + batch] for i in range(0, n, batch)]
        profiler = cProfile.Profile()
        profiler.enable()
        add_all(factory, vault, batches)
        profiler.disable()
        vault.close()
        engine.dispose()
    print(f"\nprofile: add_subject x {n} on SQLite, top {top} by own time")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(top)
    print(f"profile: top {top} by cumulative time")
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(top)


def print_table(rows: list[Row]) -> None:
    header = (
        f"{'operation':<28}{'backend':<12}{'n':>6}{'rate/s':>10}{'baseline/s':>12}"
        f"{'ratio':>8}{'ms each':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r.operation:<28}{r.backend:<12}{r.n:>6}{r.rate:>10.0f}{r.baseline_rate:>12.0f}"
            f"{r.ratio:>8.1f}{1000 * r.seconds / r.n:>9.2f}"
        )
    print("ratio = baseline rate / dataward rate (times slower than plain SQL)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--profile", action="store_true", help="profile add_subject on SQLite")
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    print(
        f"python {platform.python_version()} on {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} CPUs; n={args.n}, commit every {args.batch}"
    )
    rows: list[Row] = []
    for backend in args.backends.split(","):
        urls = sqlite_urls() if backend == "sqlite" else postgres_urls()
        with urls as (main_url, keys_url):
            print(f"running {backend} ...", flush=True)
            rows.extend(run_backend(backend, main_url, keys_url, args.n, args.batch))
    print()
    print_table(rows)
    if args.profile:
        profile_add(min(args.n, 1_000), args.batch, args.top)


if __name__ == "__main__":
    main()
