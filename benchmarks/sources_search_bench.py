"""Access search through the connectors vs hand-written SQL, on the demo agency.

On SQLite (a temporary file) and PostgreSQL (the ``bench`` database of the test server,
never ``test``; its demo tables are dropped and made again):

- build the demo agency's operational database (``--subjects`` people, no files) with the
  demo's own generators (Core executemany, a chunk of debtors at a time), and its own
  sources file (``demo.sources``);
- ``--rows-per-subject R`` scales it up to about R rows per person: the per-case tables
  (payments, agent visits, notes, call recordings) are copied in the database itself
  (``INSERT ... SELECT`` with shifted ids, on the same cases), so each person has more
  history, not more people, and generating 6M rows takes a minute, not an hour;
- for ``--samples`` debtors drawn at random (seeded), time fetching every row of the person
  across every bound dataset: ``stream_subject`` over the demo's sources file, every row
  read, looked up by email (root keys, then one query per binding);
- baseline, in the same run and on the same database: a hand-written SQL script fetching
  the same rows for the same person (one ``SELECT`` per table, joins to ``debtors`` /
  ``new_occupiers`` on the email), every row read. The row counts of both are compared
  per subject and the run stops if they differ;
- without an index on the email columns (the demo's schema has none, as the check warns),
  then after ``CREATE INDEX`` on ``debtors.email`` and ``new_occupiers.email`` (the
  statements ``sources check --connect`` prints); ``--no-index`` or ``--indexed`` for one.
  The two take turns going first, subject by subject: whichever goes first reads the
  person's pages from disk and the other finds them in the cache.

Median and p95 per subject, and the ratio dataward / hand-written (how many times slower).
Progress goes to stderr.

Run with ``.venv/bin/python benchmarks/sources_search_bench.py`` (20,000 people, both
backends). The issue's tiers::

    --subjects 100000                           # about 1M rows
    --subjects 100000 --rows-per-subject 60     # about 6M rows

``--backend sqlite`` (or ``postgresql``) for one backend; ``DATAWARD_BENCH_PG_URL`` for
another server or database.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, make_url

from dataward.demo import schema
from dataward.demo.operational import build_operational
from dataward.demo.people import draw_people
from dataward.demo.sources import OPERATIONAL_URL_FROM, sources_document
from dataward.sources.connectors import open_all
from dataward.sources.connectors.base import stream_subject
from dataward.sources.models import SourcesFile

PG_URL = os.environ.get(
    "DATAWARD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
)
SEED = 18
TODAY = date(2026, 11, 25)
DATASETS = {
    "customers",
    "cases",
    "payments",
    "visits",
    "body_worn_video",
    "call_recordings",
    "vulnerability_evidence",
    "new_occupier_evidence",
    "complaints",
    "portal_accounts",
    "research_bwv_footage",
    "vehicle_camera_footage",
    "web_enquiries",
}
_BY_CASE = "JOIN cases c ON x.case_id = c.id JOIN debtors d ON c.debtor_id = d.id"
HAND_SQL = (
    "SELECT x.* FROM debtors x WHERE x.email = :email",
    "SELECT x.* FROM cases x JOIN debtors d ON x.debtor_id = d.id WHERE d.email = :email",
    *(
        f"SELECT x.* FROM {table} x {_BY_CASE} WHERE d.email = :email"
        for table in ("payments", "agent_visits", "notes", "body_worn_video", "call_recordings")
    ),
    "SELECT x.* FROM vulnerability_evidence x JOIN debtors d ON x.debtor_id = d.id "
    "WHERE d.email = :email",
    "SELECT x.* FROM new_occupiers x WHERE x.email = :email",
    "SELECT x.* FROM new_occupier_evidence x JOIN new_occupiers o ON x.new_occupier_id = o.id "
    "WHERE o.email = :email",
    "SELECT x.* FROM assessments x JOIN new_occupier_evidence e ON x.evidence_id = e.id "
    "JOIN new_occupiers o ON e.new_occupier_id = o.id WHERE o.email = :email",
    f"SELECT x.* FROM complaints x {_BY_CASE} WHERE d.email = :email",
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def demo_sources() -> SourcesFile:
    document = sources_document(
        organisation="jtr_collections", files_dir=None, register_datasets=DATASETS
    )
    return SourcesFile.model_validate(yaml.safe_load(yaml.safe_dump(document)))


# Tables with rows per case, copied to scale a person's history up (``--rows-per-subject``).
PER_CASE = (schema.payments, schema.agent_visits, schema.notes, schema.call_recordings)


@contextmanager
def database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{Path(folder) / 'agency.db'}"
        return
    name = make_url(PG_URL).database
    if name in (None, "test", "postgres"):
        raise SystemExit(f"DATAWARD_BENCH_PG_URL names database {name!r}: use one of its own")
    engine = create_engine(PG_URL)
    try:
        schema.metadata.drop_all(engine)
    finally:
        engine.dispose()
    try:
        yield PG_URL
    finally:
        engine = create_engine(PG_URL)
        try:
            schema.metadata.drop_all(engine)
        finally:
            engine.dispose()


def scale(conn: Connection, counts: dict[str, int], subjects: int, per_subject: int) -> int:
    """Copy the per-case tables until there are about ``per_subject`` rows a person.

    Each copy shifts the ids past the original maximum and keeps the case, so the rows
    belong to the same people: set-based, in the database, one statement per table a copy.
    """
    base = sum(counts.values())
    per_copy = sum(counts[t.name] for t in PER_CASE)
    copies = max(0, round((per_subject * subjects - base) / per_copy))
    added = 0
    for table in PER_CASE:
        top = int(conn.execute(text(f"SELECT MAX(id) FROM {table.name}")).scalar_one())
        names = [c.name for c in table.columns if c.name != "id"]
        listed = ", ".join(names)
        for copy in range(1, copies + 1):
            conn.execute(
                text(
                    f"INSERT INTO {table.name} (id, {listed}) "
                    f"SELECT id + {copy * top}, {listed} FROM {table.name} WHERE id <= {top}"
                )
            )
            added += counts[table.name]
    return added


def build(url: str, subjects: int, per_subject: int) -> tuple[list[str], int]:
    people = draw_people(SEED, subjects, TODAY)
    engine = create_engine(url)
    try:
        schema.metadata.create_all(engine)
        with engine.begin() as conn:
            counts = build_operational(conn, people, seed=SEED, today=TODAY, files=None)
        added = 0
        if per_subject:
            with engine.begin() as conn:
                added = scale(conn, counts, subjects, per_subject)
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            with engine.begin() as conn:
                conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()
    emails = [d.email for d in people.debtors if d.email]
    return emails, sum(counts.values()) + added


def hand_written(conn: Connection, email: str) -> int:
    rows = 0
    for statement in HAND_SQL:
        rows += len(conn.execute(text(statement), {"email": email}).all())
    return rows


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(url: str, emails: list[str], samples: int) -> dict[str, Any]:
    sources = demo_sources()
    connectors = open_all(sources, {OPERATIONAL_URL_FROM: url})
    sql = connectors["demo_operational"]
    engine = create_engine(url)
    chosen = random.Random(SEED).sample(emails, samples)
    queries: list[str] = []
    ours: list[float] = []
    theirs: list[float] = []
    rows_total = 0
    try:
        with engine.connect() as conn:

            def ours_for(email: str) -> int:
                count = 0
                for part in stream_subject(sources, connectors, {"email": [email]}):
                    count += sum(1 for _ in part.rows)
                return count

            ours_for(chosen[0])  # reflects the tables once
            hand_written(conn, chosen[0])
            listener = getattr(sql, "engine")  # noqa: B009 - the SQL connector's own engine

            def count(*_args: Any) -> None:
                queries.append("q")

            event.listen(listener, "before_cursor_execute", count)
            ours_for(chosen[0])
            event.remove(listener, "before_cursor_execute", count)
            for number, email in enumerate(chosen):
                # Whichever runs first reads the person's pages from disk; the other finds
                # them cached. Taking turns shares that cost evenly between the two.
                if number % 2:
                    started = time.perf_counter()
                    expected = hand_written(conn, email)
                    middle = time.perf_counter()
                    got = ours_for(email)
                    ended = time.perf_counter()
                    ours.append(ended - middle)
                    theirs.append(middle - started)
                else:
                    started = time.perf_counter()
                    got = ours_for(email)
                    middle = time.perf_counter()
                    expected = hand_written(conn, email)
                    ended = time.perf_counter()
                    ours.append(middle - started)
                    theirs.append(ended - middle)
                if got != expected:
                    raise SystemExit(
                        f"row counts differ: {got} through sources, {expected} by hand"
                    )
                rows_total += got
    finally:
        engine.dispose()
        for connector in connectors.values():
            connector.close()
    return {
        "median": statistics.median(ours) * 1000,
        "p95": percentile(ours, 0.95) * 1000,
        "hand_median": statistics.median(theirs) * 1000,
        "hand_p95": percentile(theirs, 0.95) * 1000,
        "ratio": statistics.median(ours) / statistics.median(theirs),
        "rows": rows_total / len(chosen),
        "queries": len(queries),
    }


def add_indexes(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE INDEX ix_debtors_email ON debtors (email)"))
            conn.execute(text("CREATE INDEX ix_new_occupiers_email ON new_occupiers (email)"))
            conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subjects", type=int, default=20_000)
    parser.add_argument(
        "--rows-per-subject",
        type=int,
        default=0,
        help="Scale the per-case tables up to about this many rows a person (0: as built).",
    )
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument(
        "--backend",
        "--backends",
        dest="backends",
        default="sqlite,postgresql",
        help="sqlite, postgresql, or both (comma-separated).",
    )
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--no-index", action="store_true", help="Only without the email index.")
    which.add_argument("--indexed", action="store_true", help="Only with the email index.")
    args = parser.parse_args()
    runs = [False] if args.no_index else [True] if args.indexed else [False, True]
    tier = f", about {args.rows_per_subject} rows a person" if args.rows_per_subject else ""
    print(f"# sources search: {args.subjects} people{tier}, {args.samples} subjects per run")
    print(
        f"# {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    print(
        "backend     rows     index  rows/subj  queries  median ms  p95 ms  hand median  "
        "hand p95  ratio"
    )
    for backend in args.backends.split(","):
        with database(backend) as url:
            started = time.perf_counter()
            emails, rows = build(url, args.subjects, args.rows_per_subject)
            log(f"{backend}: built {rows} rows in {time.perf_counter() - started:.1f} s")
            for indexed in runs:
                if indexed:
                    add_indexes(url)
                m = measure(url, emails, args.samples)
                print(
                    f"{backend:<11} {rows:>8}  {'yes' if indexed else 'no':<5}  "
                    f"{m['rows']:>9.1f}  {m['queries']:>7}  {m['median']:>9.2f}  "
                    f"{m['p95']:>6.2f}  {m['hand_median']:>11.2f}  {m['hand_p95']:>8.2f}  "
                    f"{m['ratio']:>5.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
