"""The retention run on the demo agency scaled to about 10 million rows (issue 20).

The agency is the plan bench's (``retention_plan_bench.py``, its generator imported, not
copied): ``--rows`` rows in all (10,000,000 by default: about 665,000 debtors, 1.3 million
cases, 4 million body-worn-video and 4 million call recordings), about one in ten due on
25 November 2026, with the plan bench's holds (complaints, investigations, a subject hold,
a case hold). It is built once (SQLite file or throwaway PostgreSQL database, ``--source``),
then each side works in a child process of its own (its own peak RSS), on its own COPY of
the agency (a file copy; ``CREATE DATABASE ... TEMPLATE``):

- **plan**: ``plan_retention`` seconds (dataward's database as in the plan bench);
- **run**: ``run_step`` looped to the end, committing after each step as
  ``dataward retention run`` does (``--batch-size``, as its option), seconds and peak RSS;
- **baseline**: the same rows acted on by hand: for each table the run changes (BWV and
  calls deleted, customers' columns set as the sources file's erasure strategies say), the
  next ``--batch-size`` keys ``due AND NOT held`` after the last batch (the plan bench's
  hand-written conditions), deleted or updated, one transaction per batch.

Then the two copies are compared table by table (rows, sum of ids, customers anonymised):
they must be equal, and each table must have lost (or anonymised) exactly the rows the
plan found to act on. Printed: seconds, peak RSS (MB), rows per second and the ratio
baseline seconds / run seconds (the run's speed as a share of the hand-written one).

Run with ``.venv/bin/python benchmarks/retention_run_bench.py`` (``--rows 300000`` for a
quick run; ``--source postgresql``; ``--batch-size 20000``; ``--keep DIR`` keeps the
generated agency in DIR, or the PostgreSQL database DIR, and reuses it on the next run).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
import retention_plan_bench  # the plan bench beside this file
from retention_plan_bench import (
    CONDITIONS,
    ORG,
    PG_ADMIN,
    dataward_site,
    log,
    peak_rss_mb,
    run_child,
)

PLAN_BENCH = str(retention_plan_bench.__file__)

ROWS_PER_DEBTOR = 3_006_000 / 200_000  # the plan bench's agency: 15.03 rows a debtor

# What the run does to each table it changes, written by hand: the recordings are
# deleted; a customer keeps its row and reference, the rest is emptied or overwritten
# (the demo sources file's erasure strategies: set_null, anonymise redact and zero).
ERASED = "'[erased]'"
CUSTOMER_ERASED = (
    "email = NULL, phone = NULL, ni_number = NULL, date_of_birth = NULL, middle_name = NULL,"
    f" address_line2 = NULL, title = {ERASED}, first_name = {ERASED}, last_name = {ERASED},"
    f" address_line1 = {ERASED}, town = {ERASED}, postcode = {ERASED}, vulnerable = false"
)
ACTS: dict[str, tuple[str, str]] = {
    "body_worn_video": ("b.id", "DELETE FROM body_worn_video WHERE id IN ({keys})"),
    "call_recordings": ("r.id", "DELETE FROM call_recordings WHERE id IN ({keys})"),
    "debtors": ("d.id", f"UPDATE debtors SET {CUSTOMER_ERASED} WHERE id IN ({{keys}})"),
}
# The comparison of the two copies: per table, rows and sum of ids; customers anonymised.
CHECKS: dict[str, str] = {
    **{f"{t} rows": f"SELECT count(*) FROM {t}" for t in ACTS},
    **{f"{t} ids": f"SELECT coalesce(sum(id), 0) FROM {t}" for t in ACTS},
    "debtors anonymised": "SELECT count(*) FROM debtors WHERE last_name = '[erased]'"
    " AND email IS NULL AND date_of_birth IS NULL",
}


def child_counts(agency: str) -> dict[str, Any]:
    engine = create_engine(agency)
    with engine.connect() as conn:
        found = {name: int(conn.execute(text(sql)).scalar_one()) for name, sql in CHECKS.items()}
    engine.dispose()
    return found


def child_plan(agency: str, folder: str) -> dict[str, Any]:
    """``plan_retention`` timed; the rows it finds to act on, per table."""
    from dataward.demo.sources import OPERATIONAL_URL_FROM
    from dataward.retention.plan import plan_retention
    from dataward.uow import UnitOfWork

    with dataward_site(folder) as (factory, clock, vault):
        started = time.perf_counter()
        with UnitOfWork(factory, clock, vault) as uow:
            plan = plan_retention(uow, ORG, env={OPERATIONAL_URL_FROM: agency})
        seconds = time.perf_counter() - started
    to_act_on: dict[str, int] = {}
    for rule in plan.rules:
        for dataset in rule.datasets:
            for binding in dataset.bindings:
                if binding.status == "planned" and binding.to_act_on:
                    key = f"{rule.rule}/{binding.table}"
                    to_act_on[key] = to_act_on.get(key, 0) + binding.to_act_on
    return {"seconds": seconds, "to_act_on": to_act_on, "peak_rss_mb": peak_rss_mb()}


def child_run(agency: str, folder: str, batch_size: str) -> dict[str, Any]:
    """``run_step`` to the end, a commit after each step (``cli/retention_cmd.run``)."""
    from dataward.demo.sources import OPERATIONAL_URL_FROM
    from dataward.retention.run import evidence_of, run_step
    from dataward.uow import UnitOfWork

    env = {OPERATIONAL_URL_FROM: agency}
    with dataward_site(folder) as (factory, clock, vault):
        started = time.perf_counter()
        steps = 0
        while True:
            with UnitOfWork(factory, clock, vault) as uow:
                step = run_step(uow, ORG, worker="bench", env=env, batch_size=int(batch_size))
                uow.commit()
            steps += 1
            if steps == 1:
                planned = time.perf_counter() - started
                # A database binding's rows are counted when its record finishes.
                log(f"  run planned in {planned:.1f} s")
            if step.finished:
                break
        seconds = time.perf_counter() - started
        with UnitOfWork(factory, clock, vault) as uow:
            records = evidence_of(uow, step.run_id)
            rows = {
                f"{r.rule}/{r.table}": [r.status, r.due, r.rows] for r in records if r.due or r.rows
            }
    return {
        "seconds": seconds,
        "planned_seconds": planned,
        "steps": steps,
        "rows": step.rows,
        "to_act_on": step.to_act_on,
        "records": rows,
        "peak_rss_mb": peak_rss_mb(),
    }


def child_baseline(agency: str, batch_size: str) -> dict[str, Any]:
    """The same rows acted on by hand, a batch of keys (in key order) per transaction."""
    engine = create_engine(agency)
    started = time.perf_counter()
    acted: dict[str, int] = {}
    batches = 0
    with engine.connect() as conn:
        for table, (key, statement) in ACTS.items():
            rows, due, held = CONDITIONS[table]
            choose = text(
                f"SELECT {key} FROM {rows} WHERE {due} AND NOT ({held}) AND {key} > :after"
                f" ORDER BY {key} LIMIT {int(batch_size)}"
            )
            after, acted[table] = 0, 0
            while True:
                with conn.begin():
                    keys = [int(k) for k in conn.execute(choose, {"after": after}).scalars()]
                    if not keys:
                        break
                    # Integer keys from the source itself: written into the statement.
                    conn.execute(text(statement.format(keys=", ".join(map(str, keys)))))
                acted[table] += len(keys)
                after = keys[-1]
                batches += 1
    seconds = time.perf_counter() - started
    engine.dispose()
    return {
        "seconds": seconds,
        "acted": acted,
        "batches": batches,
        "peak_rss_mb": peak_rss_mb(),
    }


def _child(*args: str) -> dict[str, Any]:
    return run_child(*args, script=__file__)


@contextmanager
def agencies(source: str, folder: Path, keep: str | None) -> Iterator[tuple[str, bool, Any]]:
    """The agency's URL, whether it is already generated (kept from an earlier run), and a
    function making a fresh copy of it by name."""
    if source == "sqlite":
        where = Path(keep) if keep is not None else folder
        where.mkdir(parents=True, exist_ok=True)
        original = where / "agency.db"

        def copy_sqlite(name: str) -> str:
            shutil.copyfile(original, folder / f"{name}.db")
            return f"sqlite:///{folder / f'{name}.db'}"

        yield f"sqlite:///{original}", original.exists(), copy_sqlite
        return
    from dataward.scratch import scratch_databases

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with scratch_databases(PG_ADMIN, "bench_run_run", "bench_run_baseline") as urls:
        names = {"run": urls[0], "baseline": urls[1]}
        kept = False
        if keep is not None:
            with admin.connect() as conn:
                kept = bool(
                    conn.execute(
                        text("SELECT count(*) FROM pg_database WHERE datname = :n"), {"n": keep}
                    ).scalar_one()
                )
                if not kept:
                    conn.execute(text(f'CREATE DATABASE "{keep}"'))
            original = keep
        else:
            original = f"bench_run_agency_{os.getpid()}"
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{original}"'))

        def copy_pg(name: str) -> str:
            target = make_url(names[name]).database
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE "{target}"'))
                conn.execute(text(f'CREATE DATABASE "{target}" TEMPLATE "{original}"'))
            return names[name]

        try:
            yield make_url(PG_ADMIN).set(database=original).render_as_string(False), kept, copy_pg
        finally:
            if keep is None:
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{original}" WITH (FORCE)'))
            admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--source", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--batch-size", type=int, default=20_000)  # the CLI's default
    parser.add_argument(
        "--keep",
        help="keep the generated agency (SQLite: in this folder; PostgreSQL: as this "
        "database) and reuse it when it is there",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        work = {
            "counts": child_counts,
            "plan": child_plan,
            "run": child_run,
            "baseline": child_baseline,
        }
        print(__import__("json").dumps(work[kind](*rest)))
        return

    debtors = round(args.rows / ROWS_PER_DEBTOR)
    with tempfile.TemporaryDirectory(prefix="retention_run_bench_") as tmp:
        folder = Path(tmp)
        with agencies(args.source, folder, args.keep) as (url, kept, copy):
            started = time.perf_counter()
            if kept:
                log(f"reusing the agency kept in {args.keep}")
            else:
                log(f"generating the agency ({debtors:,} debtors) on {args.source}")
                # In a child: the parent stays small, so the children's peak RSS (which
                # Linux carries over a fork) is their own.
                run_child("generate", url, str(debtors), script=PLAN_BENCH)
                log(f"  generated in {time.perf_counter() - started:.1f} s")
            before = _child("counts", url)
            log("plan: dataward retention plan")
            plan = _child("plan", url, str(folder / "plan"))
            log("run: dataward retention run, step by step")
            run_url = copy("run")
            run = _child("run", run_url, str(folder / "run"), str(args.batch_size))
            after_run = _child("counts", run_url)
            log("baseline: hand-written batched DELETE / UPDATE")
            baseline_url = copy("baseline")
            baseline = _child("baseline", baseline_url, str(args.batch_size))
            after_baseline = _child("counts", baseline_url)
    report(args, before, plan, run, after_run, baseline, after_baseline)


def report(
    args: argparse.Namespace,
    before: dict[str, int],
    plan: dict[str, Any],
    run: dict[str, Any],
    after_run: dict[str, int],
    baseline: dict[str, Any],
    after_baseline: dict[str, int],
) -> None:
    acted = int(run["rows"])
    print(
        f"agency on {args.source}: {args.rows:,} rows asked (debtors"
        f" {before['debtors rows']:,}, BWV {before['body_worn_video rows']:,},"
        f" calls {before['call_recordings rows']:,});"
        f" batch size {args.batch_size:,}"
    )
    for name, (status, due, done) in sorted(run["records"].items()):
        print(f"  run {name}: {status}, planned {due:,}, acted on {done:,}")
    print(f"  baseline acted on: {baseline['acted']}")
    gone = {
        t: before[f"{t} rows"] - after_run[f"{t} rows"]
        for t in ("body_worn_video", "call_recordings")
    }
    gone["debtors"] = after_run["debtors anonymised"] - before["debtors anonymised"]
    planned = {t: sum(n for k, n in plan["to_act_on"].items() if k.endswith(f"/{t}")) for t in gone}
    same = after_run == after_baseline
    exact = gone == planned == baseline["acted"]
    print(f"  rows gone / anonymised by the run: {gone}; the plan's to act on: {planned}")
    print(f"plan:     {plan['seconds']:8.2f} s, peak RSS {plan['peak_rss_mb']:.0f} MB")
    print(
        f"run:      {run['seconds']:8.2f} s, peak RSS {run['peak_rss_mb']:.0f} MB"
        f" ({run['steps']} steps, {run['planned_seconds']:.1f} s of it planning;"
        f" {acted / run['seconds']:,.0f} rows/s)"
    )
    print(
        f"baseline: {baseline['seconds']:8.2f} s, peak RSS {baseline['peak_rss_mb']:.0f} MB"
        f" ({baseline['batches']} batches; {acted / baseline['seconds']:,.0f} rows/s)"
    )
    print(f"ratio (baseline s / run s): {baseline['seconds'] / run['seconds']:.2f}")
    print(f"copies agree after run and baseline: {'yes' if same else 'NO'}")
    print(f"exactly the planned rows acted on: {'yes' if exact else 'NO'}")
    if not (same and exact):
        print(f"  after run {after_run}\n  after baseline {after_baseline}")
        sys.exit(1)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
