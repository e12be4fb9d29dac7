"""Legal holds benchmark: the retention engine's batch question against hand-written SQL.

On SQLite (a temporary file) and PostgreSQL (a throwaway database on the test server), with
``--holds`` holds (100,000 by default) of one organisation over ``--keys`` subjects and as
many cases (50,000 each): 40% on a subject's data, 40% on a case, 20% on one record; a
third of them closed (with a release day, as ``restart_after`` leaves them); each covering
two of four datasets.

- dataward: ``holds.engine.deletable_dates`` for ``--records`` records (10,000 by default),
  each with a subject, a case, a record reference, a dataset and the day its rule makes it
  due: the query (one per 30,000 distinct references) and the answer in Python.
- baseline: the same answer by hand-written SQL: the records loaded into a temporary table
  (executemany), then one statement joining them to the holds by each scope (``UNION ALL``
  of three index-friendly joins, the dataset tested in the JSON with the database's own
  function), grouped per record; Python only turns the two aggregates into the date.

The answers are checked equal. Each side is timed ``--rounds`` times, alternating; medians
are compared. The load average is printed: other work on the machine slows both sides.

Run with ``.venv/bin/python benchmarks/bench_holds.py`` (``--backends sqlite``,
``--holds 20000`` for a quick run; ``DATAWARD_BENCH_PG_URL`` for another server).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from dataward.clock import FixedClock
from dataward.db import make_engine, make_session_factory
from dataward.holds.engine import HeldRecord, deletable_dates, deletable_on
from dataward.holds.models import LegalHold
from dataward.migrate import upgrade
from dataward.scratch import scratch_databases
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork

PG_ADMIN = os.environ.get(
    "DATAWARD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ORG = "bench_org"
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
DATASETS = ("body_worn_video", "call_recordings", "case_files", "customer_accounts")
BATCH = 10_000


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def check(ok: bool, message: str) -> None:
    if not ok:
        raise SystemExit(f"benchmark check failed: {message}")


def _load(factory: sessionmaker[Session], holds: int, keys: int, seed: int) -> list[str]:
    """Subjects, then holds over them and over as many cases; returns the subject ids."""
    rng = random.Random(seed)
    subject_ids = [str(uuid.uuid4()) for _ in range(keys)]
    with factory() as session:
        rows: list[dict[str, Any]] = [
            {
                "id": sid,
                "organisation": ORG,
                "ref": f"s_{i:016x}",
                "key_id": sid,
                "groups": ["customers"],
                "created_at": NOW,
            }
            for i, sid in enumerate(subject_ids)
        ]
        for start in range(0, len(rows), BATCH):
            session.execute(insert(Subject), rows[start : start + BATCH])
        rows = []
        for i in range(holds):
            kind = rng.random()
            scope = "subject" if kind < 0.4 else "case" if kind < 0.8 else "record"
            placed = TODAY - timedelta(days=rng.randint(1, 700))
            closed = placed + timedelta(days=rng.randint(0, 300)) if i % 3 == 0 else None
            if closed is not None and closed > TODAY:
                closed = TODAY
            on_close = "restart_after" if i % 7 else "unspecified"
            release = (
                closed + timedelta(days=90) if closed and on_close == "restart_after" else None
            )
            rows.append(
                {
                    "id": str(uuid.uuid4()),
                    "ref": f"h_{i:016x}",
                    "organisation": ORG,
                    "hold_id": "complaint_on_case",
                    "reason": "complaint",
                    "scope": scope,
                    "subject_id": rng.choice(subject_ids) if scope == "subject" else None,
                    "case_ref": f"C-{rng.randrange(keys)}" if scope == "case" else None,
                    "record_ref": f"R-{rng.randrange(keys * 4)}" if scope == "record" else None,
                    "datasets": rng.sample(DATASETS, 2),
                    "owner": "dpo@bench.example",
                    "review_on": TODAY + timedelta(days=30),
                    "placed_on": placed,
                    "closed_on": closed,
                    "on_close": on_close,
                    "release_on": release,
                    "placed_by": "bench",
                    "created_at": NOW,
                    "updated_at": NOW,
                }
            )
        for start in range(0, len(rows), BATCH):
            session.execute(insert(LegalHold), rows[start : start + BATCH])
        session.commit()
    return subject_ids


def _records(subject_ids: list[str], n: int, keys: int, seed: int) -> list[HeldRecord]:
    rng = random.Random(seed + 1)
    return [
        HeldRecord(
            dataset=rng.choice(DATASETS),
            rule_due=TODAY - timedelta(days=rng.randint(0, 500)),
            subject_id=rng.choice(subject_ids),
            case_ref=f"C-{rng.randrange(keys)}",
            record_ref=f"R-{rng.randrange(keys * 4)}",
        )
        for _ in range(n)
    ]


def _contains(dialect: str) -> str:
    if dialect == "postgresql":
        return "jsonb_exists(CAST(h.datasets AS jsonb), r.dataset)"
    return "EXISTS (SELECT 1 FROM json_each(h.datasets) AS d WHERE d.value = r.dataset)"


def _branch(scope: str, column: str, contains: str) -> str:
    return (
        "SELECT r.i, h.closed_on, h.on_close, h.release_on FROM bench_records r "
        f"JOIN legal_holds h ON h.organisation = :org AND h.scope = '{scope}' "
        f"AND h.{column} = r.{column} AND h.placed_on <= :today "
        f"AND (h.closed_on IS NULL OR h.closed_on >= r.rule_due) AND {contains}"
    )


def _day(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def raw_answer(engine: Engine, records: list[HeldRecord]) -> list[date | None]:
    """The same answer by hand: a temporary table of the records, one grouped statement."""
    contains = _contains(engine.dialect.name)
    matches = " UNION ALL ".join(
        _branch(scope, column, contains)
        for scope, column in (
            ("subject", "subject_id"),
            ("case", "case_ref"),
            ("record", "record_ref"),
        )
    )
    statement = text(
        f"WITH m AS ({matches}) "
        "SELECT r.i, r.rule_due, "
        "SUM(CASE WHEN m.i IS NOT NULL AND (m.closed_on IS NULL "
        "OR m.on_close IN ('keep', 'restart_rule')) THEN 1 ELSE 0 END), "
        "MAX(CASE WHEN m.closed_on IS NULL THEN NULL WHEN m.on_close = 'restart_after' "
        "THEN COALESCE(m.release_on, m.closed_on) ELSE m.closed_on END) "
        "FROM bench_records r LEFT JOIN m ON m.i = r.i GROUP BY r.i, r.rule_due ORDER BY r.i"
    )
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TEMPORARY TABLE bench_records (i INTEGER PRIMARY KEY, dataset VARCHAR(80), "
            "subject_id VARCHAR(36), case_ref VARCHAR(120), record_ref VARCHAR(200), "
            "rule_due DATE)"
        )
        connection.execute(
            text(
                "INSERT INTO bench_records VALUES "
                "(:i, :dataset, :subject_id, :case_ref, :record_ref, :rule_due)"
            ),
            [
                {
                    "i": i,
                    "dataset": r.dataset,
                    "subject_id": r.subject_id,
                    "case_ref": r.case_ref,
                    "record_ref": r.record_ref,
                    "rule_due": r.rule_due,
                }
                for i, r in enumerate(records)
            ],
        )
        rows = connection.execute(statement, {"org": ORG, "today": TODAY}).all()
        connection.exec_driver_sql("DROP TABLE bench_records")
    answers: list[date | None] = []
    for _, due, blocked, released in rows:
        if blocked:
            answers.append(None)
            continue
        day, release = _day(due), _day(released)
        assert day is not None
        answers.append(max(day, release) if release else day)
    return answers


def run(url: str, backend: str, holds: int, keys: int, n: int, rounds: int) -> dict[str, float]:
    upgrade(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    clock = FixedClock(NOW)
    progress(f"[{backend}] inserting {keys:,} subjects and {holds:,} holds")
    started = time.perf_counter()
    subject_ids = _load(factory, holds, keys, seed=17)
    progress(f"[{backend}] loaded in {time.perf_counter() - started:.1f} s")
    if backend == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE legal_holds")
            connection.exec_driver_sql("VACUUM ANALYZE subjects")
    else:
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
    records = _records(subject_ids, n, keys, seed=17)
    ours: list[float] = []
    theirs: list[float] = []
    answer: list[date | None] = []
    for round_ in range(1, rounds + 1):
        progress(f"[{backend}] round {round_}/{rounds}")
        with UnitOfWork(factory, clock, read_only=True) as uow:
            started = time.perf_counter()
            answer = deletable_dates(uow, ORG, records, on=TODAY)
            ours.append(time.perf_counter() - started)
        started = time.perf_counter()
        baseline = raw_answer(engine, records)
        theirs.append(time.perf_counter() - started)
        check(answer == baseline, "dataward and the hand-written SQL disagree")
    held = sum(1 for a in answer if a is None)
    later = sum(1 for a, r in zip(answer, records, strict=True) if a and a > r.rule_due)
    # The pure function on its own, for the split: all of the batch's records, no database.
    empty = [deletable_on(r.rule_due, []) for r in records]
    check(empty == [r.rule_due for r in records], "no hold leaves the rule date")
    engine.dispose()
    return {
        "ours_s": statistics.median(ours),
        "raw_s": statistics.median(theirs),
        "held": float(held),
        "later": float(later),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--holds", type=int, default=100_000)
    parser.add_argument("--keys", type=int, default=50_000)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(
        f"holds benchmark: {args.holds:,} holds over {args.keys:,} subjects and cases; "
        f"{args.records:,} records asked about, median of {args.rounds}"
    )
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    for backend in args.backends.split(","):
        shape = (args.holds, args.keys, args.records, args.rounds)
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                figures = run(f"sqlite:///{folder}/bench.db", backend, *shape)
        else:
            with scratch_databases(PG_ADMIN, "dataward_bench_holds") as (url,):
                figures = run(url, backend, *shape)
        ratio = figures["ours_s"] / figures["raw_s"]
        print(
            f"{backend}: deletable_dates {figures['ours_s'] * 1000:.0f} ms vs hand-written SQL "
            f"{figures['raw_s'] * 1000:.0f} ms = {ratio:.2f}x; of {args.records:,} records "
            f"{figures['held']:.0f} held, {figures['later']:.0f} deletable later than their "
            "rule's date"
        )
        print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
