"""The retention plan on the demo agency scaled to millions of rows (issue 20).

The demo agency's schema (``dataward.demo.schema``) is filled in a temporary SQLite file or
a throwaway PostgreSQL database (``--source``): ``--debtors`` debtors (200,000 by default),
two cases each, six body-worn-video recordings and six call recordings per debtor (about
3.2 million rows in all), with about one row in ten due today (25 November 2026): BWV
recorded on or before 27 August 2026, calls on or before 26 October 2026, customers whose
last case was returned in 2019 or before. One case in 100 has an open complaint, one in 200
an investigation closed 1 October 2026 (still held 90 days), one in 20 debtors a live case.
Indexes: the demo's foreign keys, plus one on each trigger column (what an agency asked to
run retention would add).

Then, each in a child process of its own so that its peak RSS (``ru_maxrss``) is its own:

- **plan**: dataward's database (SQLite in the temporary folder) with the JTR register, the
  demo sources file (the customers' cases' ``returned_on`` as their trigger), a subject
  legal hold on one customer and a case hold; ``plan_retention`` timed (setup apart);
- **baseline**: hand-written SQL in the same source: for the same four bindings (BWV, calls,
  debtors, cases), a ``COUNT`` of the due rows and of the due rows any hold keeps, written
  as a person would (EXISTS on complaints and investigations, NOT EXISTS of a later case).

Printed: rows, seconds and peak RSS (MB) of each, the ratio plan / baseline, and whether
the due and held counts agree (they must). Progress goes to stderr.

Run with ``.venv/bin/python benchmarks/retention_plan_bench.py`` (``--debtors 20000`` for a
quick run; ``--source postgresql`` for the agency on PostgreSQL, ``DATAWARD_BENCH_PG_URL``
for another server than the test one).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get(
    "DATAWARD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ORG = "jtr_collections"
TODAY = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
PER_DEBTOR = 6  # recordings of each kind per debtor

# The hand-written conditions, written as a person would (EXISTS on complaints and
# investigations, NOT EXISTS of a later case): binding -> (rows, due, held among the due).
# Cutoffs as in docs/retention.md: BWV 27 August 2026, calls 26 October 2026, customers
# 2019. The run bench acts on ``due AND NOT (held)`` by hand with the same conditions.
_COMPLAINT_OR_INVESTIGATION = (
    "EXISTS (SELECT 1 FROM complaints x WHERE x.case_id = {case}"
    " AND (x.closed_on IS NULL OR x.closed_on >= '2026-08-28'))"
    " OR EXISTS (SELECT 1 FROM investigations i WHERE i.case_id = {case}"
    " AND (i.closed_on IS NULL OR i.closed_on >= '2026-08-28'))"
)
_CUSTOMER_LAST_RETURNED = (
    "EXISTS (SELECT 1 FROM cases c WHERE c.debtor_id = d.id AND c.returned_on < '2020-01-01')"
    " AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.debtor_id = d.id"
    " AND c.returned_on >= '2020-01-01')"
)
CONDITIONS: dict[str, tuple[str, str, str]] = {
    "body_worn_video": (
        "body_worn_video b JOIN cases c ON c.id = b.case_id",
        "b.recorded_at < '2026-08-28'",
        _COMPLAINT_OR_INVESTIGATION.format(case="b.case_id")
        + " OR c.debtor_id = 10 OR c.case_ref = 'CASE-3'",
    ),
    "call_recordings": (
        "call_recordings r",
        "r.recorded_at < '2026-10-27'",
        _COMPLAINT_OR_INVESTIGATION.format(case="r.case_id"),
    ),
    "debtors": (
        "debtors d",
        _CUSTOMER_LAST_RETURNED,
        "d.id = 10 OR EXISTS (SELECT 1 FROM cases c WHERE c.debtor_id = d.id"
        " AND c.returned_on IS NULL)",
    ),
    "cases": (
        "cases c",
        "c.returned_on < '2020-01-01' AND NOT EXISTS (SELECT 1 FROM cases o"
        " WHERE o.debtor_id = c.debtor_id AND o.returned_on >= '2020-01-01')",
        "c.debtor_id = 10 OR EXISTS (SELECT 1 FROM cases o WHERE o.debtor_id = c.debtor_id"
        " AND o.returned_on IS NULL) OR c.case_ref = 'CASE-3'",
    ),
}
BASELINE: dict[str, tuple[str, str]] = {
    table: (
        f"SELECT count(*) FROM {rows} WHERE {due}",
        f"SELECT count(*) FROM {rows} WHERE {due} AND ({held})",
    )
    for table, (rows, due, held) in CONDITIONS.items()
}


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _debtors(n: int) -> Iterator[tuple[Any, ...]]:
    for i in range(1, n + 1):
        yield (
            i,
            f"C{i}",
            "Mx",
            "A",
            None,
            f"Person{i}",
            date(1980, 1, 1) + timedelta(days=i % 9000),
            None,
            None,
            None,
            f"{i} Street",
            None,
            "Town",
            "AB1 2CD",
            False,
            date(2015, 1, 1),
        )


def _returned(debtor: int, which: int) -> date | None:
    """One debtor in ten has both cases returned in 2015-2019 (due); one in twenty a live
    case; the rest a case returned in 2021-2026."""
    if debtor % 10 == 0:
        return date(2015 + debtor % 5, 1 + which * 5, 1 + debtor % 28)
    if debtor % 20 == 1 and which == 1:
        return None
    return date(2021 + (debtor + which) % 6, 1 + debtor % 12, 1 + debtor % 28)


def _cases(n: int) -> Iterator[tuple[Any, ...]]:
    for d in range(1, n + 1):
        for which in (0, 1):
            i = 2 * (d - 1) + which + 1
            yield (
                i,
                f"CASE-{i}",
                d,
                1,
                "council tax",
                100,
                "x",
                date(2014, 1, 1),
                _returned(d, which),
            )


def _recordings(n: int, cut: datetime, calls: bool) -> Iterator[tuple[Any, ...]]:
    """One in ten recorded up to 60 days before the cutoff (due); the rest after it."""
    for i in range(1, n * PER_DEBTOR + 1):
        case = 1 + i % (2 * n)
        if i % 10 == 0:
            at = cut - timedelta(days=i % 60, hours=i % 7)
        else:
            at = cut + timedelta(days=1 + i % 28, hours=i % 7)
        if calls:
            yield (i, case, at, "07700900000", "in", 60, "x", 1)
        else:
            yield (i, case, at, "x", 1)


TABLES: list[tuple[str, str]] = [
    (
        "debtors",
        "id, customer_ref, title, first_name, middle_name, last_name, date_of_birth, "
        "ni_number, email, phone, address_line1, address_line2, town, postcode, vulnerable, "
        "created_on",
    ),
    (
        "cases",
        "id, case_ref, debtor_id, client_id, debt_type, amount_pence, status, opened_on, "
        "returned_on",
    ),
    ("body_worn_video", "id, case_id, recorded_at, file_path, size_bytes"),
    (
        "call_recordings",
        "id, case_id, recorded_at, caller_number, direction, duration_seconds, file_path, "
        "size_bytes",
    ),
    ("complaints", "id, case_id, opened_on, closed_on, category"),
    ("investigations", "id, case_id, opened_on, closed_on, reason"),
]


def _rows(table: str, n: int) -> Iterator[tuple[Any, ...]]:
    if table == "debtors":
        return _debtors(n)
    if table == "cases":
        return _cases(n)
    if table == "body_worn_video":
        return _recordings(n, datetime(2026, 8, 27, 12), calls=False)
    if table == "call_recordings":
        return _recordings(n, datetime(2026, 10, 26, 12), calls=True)
    if table == "complaints":
        return (
            (k, c, date(2026, 9, 1), None, "conduct")
            for k, c in enumerate(range(7, 2 * n + 1, 100), start=1)
        )
    return (
        (k, c, date(2026, 5, 1), date(2026, 10, 1), "conduct")
        for k, c in enumerate(range(11, 2 * n + 1, 200), start=1)
    )


def _sqlite_value(value: Any) -> Any:
    """Dates and times as SQLAlchemy stores them in SQLite (ISO text)."""
    if isinstance(value, datetime):
        return value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def generate(url: str, debtors: int) -> int:
    """The agency's tables and rows; returns the rows written."""
    from dataward.demo import schema

    engine = create_engine(url)
    total = 0
    try:
        schema.metadata.create_all(engine)
        with engine.begin() as conn:
            conn.execute(schema.clients.insert(), [{"id": 1, "name": "Council", "kind": "c"}])
            raw = conn.connection.dbapi_connection
            assert raw is not None
            cursor = raw.cursor()
            for table, columns in TABLES:
                started = time.perf_counter()
                count = 0
                if engine.dialect.name == "sqlite":
                    marks = ", ".join("?" for _ in columns.split(","))
                    rows = [tuple(map(_sqlite_value, row)) for row in _rows(table, debtors)]
                    cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)
                    count = len(rows)
                else:
                    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                        for row in _rows(table, debtors):
                            copy.write_row(row)
                            count += 1
                total += count
                log(f"  {table}: {count:,} rows in {time.perf_counter() - started:.1f} s")
            for table, column in (
                ("body_worn_video", "recorded_at"),
                ("call_recordings", "recorded_at"),
                ("cases", "returned_on"),
            ):
                cursor.execute(f"CREATE INDEX ix_{table}_{column} ON {table} ({column})")
            cursor.close()
        with engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    finally:
        engine.dispose()
    return total


def _sources(register_datasets: set[str]) -> str:
    from dataward.demo.sources import sources_document

    document = sources_document(
        organisation=ORG, files_dir=None, register_datasets=register_datasets
    )
    debtors = document["datasets"]["customers"][0]
    debtors["events"] = {
        "case_returned": {"table": "cases", "via": "debtor_id", "column": "returned_on"}
    }
    debtors["holds"] = {
        "live_case": {"table": "cases", "via": "debtor_id", "open_when_null": "returned_on"}
    }
    return yaml.safe_dump(document, sort_keys=False)


@contextmanager
def dataward_site(folder: str) -> Iterator[tuple[Any, Any, Any]]:
    """dataward's database (SQLite in ``folder``) with the JTR register, the demo sources
    file, a subject legal hold on customer C10 and a case hold on CASE-3: yields the session
    factory, the clock (25 November 2026) and the vault. Shared with the run bench."""
    os.environ["DATAWARD_VAR_DIR"] = str(Path(folder) / "var")
    from dataward.clock import FixedClock
    from dataward.crypto.keystore import Vault
    from dataward.crypto.secrets import KeyMaterial
    from dataward.db import make_engine, make_session_factory
    from dataward.holds.service import NewHold, place_hold
    from dataward.migrate import upgrade
    from dataward.models import import_all_models
    from dataward.publication.registers import store_register
    from dataward.publication.sources import store_sources
    from dataward.register.loader import load_register
    from dataward.sources.loader import parse_sources
    from dataward.subjects.service import add_subject
    from dataward.uow import UnitOfWork

    main_url = f"sqlite:///{Path(folder) / 'dataward.db'}"
    keys_url = f"sqlite:///{Path(folder) / 'keys.db'}"
    clock = FixedClock(TODAY)
    import_all_models()
    upgrade(main_url)
    engine = make_engine(main_url)
    factory = make_session_factory(engine)
    vault = Vault.open(keys_url, KeyMaterial("kek-bench", os.urandom(32), os.urandom(32)))
    try:
        with UnitOfWork(factory, clock, vault) as uow:
            loaded = load_register(ROOT / "examples" / "jtr-collections.yaml")
            store_register(uow, loaded)
            datasets = {d.id for d in loaded.register.datasets}
            store_sources(uow, parse_sources(_sources(datasets), "bench.yaml"), organisation=ORG)
            subject = add_subject(uow, ORG, ["customers"], [("customer_ref", "C10")])
            held = ("customers", "cases", "body_worn_video")
            review = date(2027, 1, 1)
            place_hold(
                uow,
                NewHold(
                    ORG,
                    "subject",
                    "DPO",
                    review,
                    reason="litigation",
                    subject_ref=subject.ref,
                    datasets=held,
                ),
                actor="dpo",
            )
            place_hold(
                uow,
                NewHold(
                    ORG,
                    "case",
                    "DPO",
                    review,
                    reason="litigation",
                    case_ref="CASE-3",
                    datasets=("cases", "body_worn_video"),
                ),
                actor="dpo",
            )
            uow.commit()
        yield factory, clock, vault
    finally:
        vault.close()
        engine.dispose()


def child_plan(agency: str, folder: str) -> dict[str, Any]:
    from dataward.demo.sources import OPERATIONAL_URL_FROM
    from dataward.retention.plan import plan_retention
    from dataward.uow import UnitOfWork

    with dataward_site(folder) as (factory, clock, vault):
        started = time.perf_counter()
        with UnitOfWork(factory, clock, vault) as uow:
            plan = plan_retention(uow, ORG, env={OPERATIONAL_URL_FROM: agency})
        seconds = time.perf_counter() - started
    counts: dict[str, list[int]] = {}
    for rule in plan.rules:
        for dataset in rule.datasets:
            for binding in dataset.bindings:
                if binding.status == "planned" and binding.table in BASELINE:
                    counts[binding.table] = [binding.due, binding.held_any]
    return {"seconds": seconds, "counts": counts, "peak_rss_mb": peak_rss_mb()}


def child_baseline(agency: str) -> dict[str, Any]:
    engine = create_engine(agency)
    started = time.perf_counter()
    counts: dict[str, list[int]] = {}
    with engine.connect() as conn:
        for table, (due, held) in BASELINE.items():
            counts[table] = [
                int(conn.execute(text(due)).scalar_one()),
                int(conn.execute(text(held)).scalar_one()),
            ]
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"seconds": seconds, "counts": counts, "peak_rss_mb": peak_rss_mb()}


def run_child(*args: str, script: str = __file__) -> dict[str, Any]:
    """``script --child *args`` in a process of its own; its last line of JSON."""
    done = subprocess.run(
        [sys.executable, script, "--child", *args], check=True, stdout=subprocess.PIPE, text=True
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@contextmanager
def agency_url(source: str, folder: Path) -> Iterator[str]:
    if source == "sqlite":
        yield f"sqlite:///{folder / 'agency.db'}"
        return
    from dataward.scratch import scratch_databases

    with scratch_databases(PG_ADMIN, "bench_retention_agency") as urls:
        yield urls[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--debtors", type=int, default=200_000)
    parser.add_argument("--source", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        if kind == "generate":
            result: dict[str, Any] = {"rows": generate(rest[0], int(rest[1]))}
        elif kind == "baseline":
            result = child_baseline(*rest)
        else:
            result = child_plan(*rest)
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory(prefix="retention_bench_") as tmp:
        folder = Path(tmp)
        with agency_url(args.source, folder) as url:
            log(f"generating the agency ({args.debtors:,} debtors) on {args.source}")
            started = time.perf_counter()
            # In a child too: the parent stays small, so the children's peak RSS (which
            # Linux carries over a fork) is their own.
            rows = int(run_child("generate", url, str(args.debtors))["rows"])
            log(f"  {rows:,} rows in {time.perf_counter() - started:.1f} s")
            log("baseline: hand-written COUNTs")
            baseline = run_child("baseline", url)
            log("plan: dataward retention plan")
            plan = run_child("plan", url, str(folder))

    agree = plan["counts"] == baseline["counts"]
    print(f"agency on {args.source}: {rows:,} rows")
    for table in BASELINE:
        p, b = plan["counts"].get(table), baseline["counts"][table]
        print(f"  {table}: plan due/held {p}, baseline {b}")
    print(f"baseline: {baseline['seconds']:.2f} s, peak RSS {baseline['peak_rss_mb']:.0f} MB")
    print(f"plan:     {plan['seconds']:.2f} s, peak RSS {plan['peak_rss_mb']:.0f} MB")
    print(f"ratio plan / baseline: {plan['seconds'] / baseline['seconds']:.2f}")
    print(f"counts agree: {'yes' if agree else 'NO'}")
    if not agree:
        sys.exit(1)


if __name__ == "__main__":
    main()
