"""Demo benchmark: ``create_demo`` (no files) against a plain insert of the same people.

For each size (10,000 and 100,000 subjects by default), on fresh SQLite files, it measures
in the same run:

- baseline: the same subject rows (kind, value pairs) inserted with Core executemany into a
  plain table: no normalisation, no keys, no encryption, no blind index, no audit;
- demo: ``create_demo`` with files off, commit included: people drawn, every identity
  checked, a data key per subject, every value sealed and indexed, one audit event per
  subject, and the whole operational database built (in a second process from 5,000);
- the add_subject loop: ``add_subject`` one subject at a time (ORM), on a sample, for scale.

It prints subjects/s for each and the ratios demo / baseline and registration / baseline
(registration = checking, sealing and writing the subjects). Goal: 100,000 subjects in under
60 s. ``--profile N`` prints where ``create_demo`` spends its time at N subjects (in one
process, so the operational build shows too).

Run with ``.venv/bin/python benchmarks/demo_bench.py`` (``--sizes 10000`` for a quick run).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import platform
import pstats
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine

from dataward.clock import FixedClock
from dataward.crypto.keystore import Vault
from dataward.crypto.secrets import KeyMaterial
from dataward.db import make_engine, make_session_factory
from dataward.demo.people import draw_people
from dataward.demo.service import DemoOptions, DemoSummary, create_demo
from dataward.migrate import upgrade
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[1]
REGISTER = ROOT / "examples" / "jtr-collections.yaml"
ORG = "jtr_collections"
GOAL_SUBJECTS = 100_000
GOAL_SECONDS = 60.0
CLOCK = FixedClock(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
SEED = 2026


@dataclass
class Result:
    subjects: int
    baseline: float
    demo: float
    summary: DemoSummary

    @property
    def register(self) -> float:
        return self.summary.check_seconds + self.summary.register_seconds


def _unit(folder: Path) -> tuple[Any, Vault]:
    url = f"sqlite:///{folder / 'dataward.db'}"
    upgrade(url)
    vault = Vault.open(
        f"sqlite:///{folder / 'keys.db'}", KeyMaterial("bench", os.urandom(32), os.urandom(32))
    )
    factory = make_session_factory(make_engine(url))
    with UnitOfWork(factory, CLOCK, vault) as uow:
        store_register(uow, load_register(REGISTER))
        uow.commit()
    return factory, vault


def baseline(folder: Path, subjects: int) -> float:
    """The same people's identities, inserted as they come into one plain table."""
    started = time.perf_counter()
    rows = [
        {"subject_no": number, "kind": kind, "value": value}
        for number, row in enumerate(draw_people(SEED, subjects, CLOCK.today()).subject_rows())
        for kind, value in row.identities
    ]
    engine = create_engine(f"sqlite:///{folder / 'plain.db'}")
    table = Table(
        "plain_identities",
        MetaData(),
        Column("id", Integer, primary_key=True),
        Column("subject_no", Integer),
        Column("kind", String(32)),
        Column("value", String(254)),
    )
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        for start in range(0, len(rows), 2000):
            conn.execute(table.insert(), rows[start : start + 2000])
    engine.dispose()
    return time.perf_counter() - started


def demo(folder: Path, subjects: int, parallel: bool | None = None) -> tuple[float, DemoSummary]:
    factory, vault = _unit(folder)
    options = DemoOptions(
        subjects=subjects,
        seed=SEED,
        operational_url=f"sqlite:///{folder / 'operational.db'}",
        files_dir=None,
        sources_path=folder / "sources.yaml",
        parallel=parallel,
    )
    gc.collect()
    started = time.perf_counter()
    with UnitOfWork(factory, CLOCK, vault) as uow:
        summary = create_demo(uow, options)
        uow.commit()
    elapsed = time.perf_counter() - started
    vault.close()
    return elapsed, summary


def add_subject_loop(folder: Path, subjects: int) -> float:
    factory, vault = _unit(folder)
    rows = list(draw_people(SEED, subjects, CLOCK.today()).subject_rows())
    started = time.perf_counter()
    with UnitOfWork(factory, CLOCK, vault) as uow:
        for row in rows:
            add_subject(uow, ORG, row.groups, row.identities)
        uow.commit()
    elapsed = time.perf_counter() - started
    vault.close()
    return elapsed


def measure(subjects: int) -> Result:
    with tempfile.TemporaryDirectory(prefix="dataward-demo-bench-") as tmp:
        folder = Path(tmp)
        base = baseline(folder, subjects)
        elapsed, summary = demo(folder, subjects)
    return Result(subjects, base, elapsed, summary)


def print_table(results: list[Result]) -> None:
    header = (
        f"{'subjects':>9}{'baseline s':>11}{'subj/s':>9}{'demo s':>8}{'subj/s':>8}"
        f"{'check s':>8}{'write s':>8}{'regist. s':>10}{'subj/s':>8}"
        f"{'demo/base':>10}{'reg/base':>9}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        print(
            f"{r.subjects:>9,}{r.baseline:>11.2f}{r.subjects / r.baseline:>9,.0f}"
            f"{r.demo:>8.2f}{r.subjects / r.demo:>8,.0f}"
            f"{r.summary.check_seconds:>8.2f}{r.summary.register_seconds:>8.2f}"
            f"{r.register:>10.2f}{r.subjects / r.register:>8,.0f}"
            f"{r.demo / r.baseline:>10.1f}{r.register / r.baseline:>9.1f}"
        )
    print()
    for r in results:
        rows = sum(r.summary.tables.values())
        print(
            f"{r.subjects:,} subjects: {rows:,} operational rows "
            f"({rows / r.summary.debtors:.1f} per debtor), "
            f"operational build {'in a second process' if r.summary.parallel else 'inline'}"
        )


def verdict(results: list[Result]) -> bool:
    ok = True
    for r in results:
        if r.subjects == GOAL_SUBJECTS:
            met = r.demo < GOAL_SECONDS
            ok &= met
            print(
                f"goal {GOAL_SUBJECTS:,} subjects < {GOAL_SECONDS:.0f} s: {r.demo:.1f} s "
                f"({'met' if met else 'MISSED'})"
            )
    return ok


def profile(subjects: int, top: int) -> None:
    with tempfile.TemporaryDirectory(prefix="dataward-demo-profile-") as tmp:
        profiler = cProfile.Profile()
        profiler.enable()
        demo(Path(tmp), subjects, parallel=False)
        profiler.disable()
    pstats.Stats(profiler).sort_stats("tottime").print_stats(top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, GOAL_SUBJECTS])
    parser.add_argument("--loop", type=int, default=1000, help="add_subject loop sample (0: off)")
    parser.add_argument("--profile", type=int, metavar="N", help="profile create_demo at N")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()
    if args.profile:
        profile(args.profile, args.top)
        return 0
    print(
        f"python {platform.python_version()} on {platform.machine()}, "
        f"{os.cpu_count()} CPUs, SQLite files in a temporary folder"
    )
    results = [measure(size) for size in args.sizes]
    print_table(results)
    ok = verdict(results)
    if args.loop:
        with tempfile.TemporaryDirectory(prefix="dataward-demo-loop-") as tmp:
            seconds = add_subject_loop(Path(tmp), args.loop)
        print(
            f"add_subject loop (ORM, one subject at a time): {args.loop:,} subjects in "
            f"{seconds:.2f} s, {args.loop / seconds:,.0f} subjects/s"
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
