"""An access package for a subject with a million rows: rows/s and peak memory (issue 18).

An operational SQLite database is generated in a temporary folder: one debtor (the
subject) with ``--cases`` cases and, across them, visits with free-text notes (one in
``--third-party-every`` names another person's email, to be redacted), so that the
subject has ``--rows`` rows in all (debtor + cases + visits), plus another debtor's rows
that must not be read. Then, each in a child process of its own so that its peak RSS
(``ru_maxrss``) is its own:

- **baseline**: a hand-written ``SELECT`` of the same rows (visits joined to cases on the
  subject's debtor id, the cases, the debtor), streamed with ``yield_per`` into a CSV file
  with the ``csv`` module;
- **package**: dataward's database (``--backend``: SQLite in the temporary folder, or a
  throwaway PostgreSQL database) with the JTR register, a sources file binding the three
  tables, a verified access request and its package; then ``build_package`` run to the end
  (one part per run, each committed, as the worker does), the package approved, and
  ``assemble_package`` writing the sealed ZIP. The setup is timed apart.

Printed: rows, seconds, rows/s, peak RSS (MB) of each, and the ratios package / baseline.
Goal: peak RSS under 300 MB. Progress goes to stderr.

Run with ``.venv/bin/python benchmarks/access_package_bench.py`` (``--rows 100000`` for a
quick run; ``--backend postgresql`` for dataward's database on PostgreSQL,
``DATAWARD_BENCH_PG_URL`` for another server).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get(
    "DATAWARD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ORG = "jtr_collections"
EMAIL = "million.rows@example.org"
SOURCES = """\
format_version: 1
organisation: jtr_collections
connections:
  agency:
    kind: sql
    url_from: AGENCY_DB_URL
datasets:
  customers:
    - connection: agency
      table: debtors
      key: id
      identities: {email: email}
  cases:
    - connection: agency
      table: cases
      key: id
      subject: {via: debtor_id, table: debtors, key: id}
  visits:
    - connection: agency
      table: visits
      key: id
      subject:
        via: case_id
        table: cases
        key: id
        then: {via: debtor_id, table: debtors, key: id}
      columns:
        note: {free_text: true}
"""
BASELINE_SQL = (
    "SELECT * FROM debtors WHERE id = 1",
    "SELECT * FROM cases WHERE debtor_id = 1 ORDER BY id",
    "SELECT v.* FROM visits v JOIN cases c ON v.case_id = c.id WHERE c.debtor_id = 1 ORDER BY v.id",
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(path: Path, rows: int, cases: int, third_party_every: int) -> int:
    """The operational database; returns the subject's row count (debtor + cases + visits)."""
    engine = create_engine(f"sqlite:///{path}")
    visits = rows - 1 - cases
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE debtors (id INTEGER PRIMARY KEY, name TEXT, email TEXT)"))
        conn.execute(
            text(
                "CREATE TABLE cases (id INTEGER PRIMARY KEY, debtor_id INTEGER, ref TEXT, "
                "opened_on TEXT)"
            )
        )
        conn.execute(
            text(
                "CREATE TABLE visits (id INTEGER PRIMARY KEY, case_id INTEGER, "
                "visited_on TEXT, outcome TEXT, note TEXT)"
            )
        )
        conn.execute(text("CREATE INDEX ix_debtors_email ON debtors (email)"))
        conn.execute(text("CREATE INDEX ix_cases_debtor ON cases (debtor_id)"))
        conn.execute(text("CREATE INDEX ix_visits_case ON visits (case_id)"))
        conn.execute(
            text("INSERT INTO debtors VALUES (1, 'Million Rows', :e), (2, 'Other', :o)"),
            {"e": EMAIL, "o": "other@example.org"},
        )
        conn.execute(
            text("INSERT INTO cases VALUES (:id, :d, :r, '2026-01-05')"),
            [{"id": n, "d": 1, "r": f"CASE-{n}"} for n in range(1, cases + 1)]
            + [{"id": cases + 1, "d": 2, "r": "OTHER"}],
        )
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()

        def visit_rows() -> Iterator[tuple[Any, ...]]:
            for n in range(1, visits + 1):
                note = f"Visit {n}: nobody home, card left."
                if n % third_party_every == 0:
                    note = f"Neighbour (n{n}@neighbours.example) said they moved away."
                yield (n, 1 + n % cases, "2026-03-02", "no_contact", note)
            yield (visits + 1, cases + 1, "2026-03-02", "paid", "not the subject's")

        cursor.executemany("INSERT INTO visits VALUES (?, ?, ?, ?, ?)", visit_rows())
        cursor.close()
    engine.dispose()
    return 1 + cases + visits


def child_baseline(agency: str, out: str) -> dict[str, Any]:
    engine = create_engine(f"sqlite:///{agency}")
    started = time.perf_counter()
    rows = 0
    with engine.connect() as conn, open(out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        for sql in BASELINE_SQL:
            result = conn.execution_options(yield_per=2000).execute(text(sql))
            writer.writerow(result.keys())
            for row in result:
                writer.writerow(row)
                rows += 1
    seconds = time.perf_counter() - started
    engine.dispose()
    return {"rows": rows, "seconds": seconds, "peak_rss_mb": peak_rss_mb()}


@contextmanager
def stores(backend: str, folder: Path) -> Iterator[tuple[str, str]]:
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'dataward.db'}", f"sqlite:///{folder / 'keys.db'}"
        return
    from dataward.scratch import scratch_databases

    with scratch_databases(PG_ADMIN, "bench_access_main", "bench_access_keys") as urls:
        yield urls[0], urls[1]


def child_package(agency: str, backend: str, folder: str) -> dict[str, Any]:
    os.environ["DATAWARD_VAR_DIR"] = str(Path(folder) / "var")
    from dataward.access.assemble import assemble_package
    from dataward.access.build import build_package
    from dataward.access.models import APPROVED, REVIEW
    from dataward.access.service import queue_package
    from dataward.clock import FixedClock
    from dataward.crypto.keystore import Vault
    from dataward.crypto.secrets import KeyMaterial
    from dataward.db import make_engine, make_session_factory
    from dataward.migrate import upgrade
    from dataward.models import import_all_models
    from dataward.publication.registers import store_register
    from dataward.publication.sources import store_sources
    from dataward.register.loader import load_register
    from dataward.requests.service import NewRequest, Requester, open_request
    from dataward.requests.transitions import Step, link_subject, verify_identity
    from dataward.sources.loader import parse_sources
    from dataward.subjects.service import add_subject
    from dataward.uow import UnitOfWork

    env = {"AGENCY_DB_URL": f"sqlite:///{agency}"}
    root = Path(folder) / "packages"
    clock = FixedClock(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
    actor = "user:u_bench"
    started = time.perf_counter()
    with stores(backend, Path(folder)) as (main_url, keys_url):
        import_all_models()
        upgrade(main_url)
        engine = make_engine(main_url)
        factory = make_session_factory(engine)
        vault = Vault.open(keys_url, KeyMaterial("kek-bench", os.urandom(32), os.urandom(32)))
        try:
            with UnitOfWork(factory, clock, vault) as uow:
                store_register(uow, load_register(ROOT / "examples" / "jtr-collections.yaml"))
                store_sources(uow, parse_sources(SOURCES, "bench.yaml"), organisation=ORG)
                subject = add_subject(uow, ORG, ["customers"], [("email", EMAIL)], actor=actor)
                requester = Requester(name="Bench", email=EMAIL, words="All my data.")
                row = open_request(
                    uow,
                    NewRequest(ORG, ("access",), "email", date(2026, 11, 20), requester),
                    actor=actor,
                )
                link_subject(uow, ORG, row.ref, subject.ref, Step(actor, date(2026, 11, 20)))
                verify_identity(uow, ORG, row.ref, "document", Step(actor, date(2026, 11, 21)))
                package_id = queue_package(uow, ORG, row.ref, actor=actor).id
                uow.commit()
            setup = time.perf_counter() - started
            log(f"  set up in {setup:.1f} s; building")
            started = time.perf_counter()
            runs = 0
            while True:
                with UnitOfWork(factory, clock, vault) as uow:
                    step = build_package(uow, package_id, env=env, root=root)
                    uow.commit()
                runs += 1
                if step.state == REVIEW:
                    break
            built = time.perf_counter() - started
            log(f"  built in {built:.1f} s ({runs} runs); assembling")
            started = time.perf_counter()
            with UnitOfWork(factory, clock, vault) as uow:
                from dataward.access.models import AccessPackage

                package = uow.session.get(AccessPackage, package_id)
                assert package is not None
                package.state = APPROVED
                package.approved_by, package.approved_at = actor, clock.now()
                uow.commit()
            with UnitOfWork(factory, clock, vault) as uow:
                ready = assemble_package(uow, package_id, root=root)
                rows, size = ready.rows, ready.size
                uow.commit()
            assembled = time.perf_counter() - started
        finally:
            vault.close()
            engine.dispose()
    return {
        "rows": rows,
        "setup_seconds": setup,
        "build_seconds": built,
        "assemble_seconds": assembled,
        "seconds": built + assembled,
        "zip_mb": (size or 0) / 1e6,
        "peak_rss_mb": peak_rss_mb(),
    }


def run_child(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else "")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--third-party-every", type=int, default=50)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        result = child_baseline(*rest) if kind == "baseline" else child_package(*rest)
        print(json.dumps(result))
        return

    with tempfile.TemporaryDirectory(prefix="access_bench_") as tmp:
        folder = Path(tmp)
        agency = folder / "agency.db"
        log(f"generating {args.rows:,} rows for one subject")
        started = time.perf_counter()
        rows = generate(agency, args.rows, args.cases, args.third_party_every)
        log(f"  generated in {time.perf_counter() - started:.1f} s")
        log("baseline: SELECT streamed to CSV")
        baseline = run_child("baseline", str(agency), str(folder / "baseline.csv"))
        log(f"package: build and assemble (dataward on {args.backend})")
        package = run_child("package", str(agency), args.backend, str(folder))

    if baseline["rows"] != rows or package["rows"] != rows:
        sys.exit(f"row counts differ: generated {rows}, {baseline['rows']}, {package['rows']}")
    print(
        f"access package of one subject: {rows:,} rows ({platform.python_version()}, "
        f"operational SQLite, dataward on {args.backend})"
    )
    print(f"{'':28}{'seconds':>10}{'rows/s':>12}{'peak RSS MB':>14}")
    for name, figures in (
        ("baseline SELECT -> CSV", baseline),
        ("package build+assemble", package),
    ):
        print(
            f"{name:28}{figures['seconds']:>10.1f}{rows / figures['seconds']:>12,.0f}"
            f"{figures['peak_rss_mb']:>14.0f}"
        )
    print(
        f"  build {package['build_seconds']:.1f} s, assemble {package['assemble_seconds']:.1f} s "
        f"(setup {package['setup_seconds']:.1f} s, not counted); sealed ZIP "
        f"{package['zip_mb']:.0f} MB"
    )
    print(
        f"ratio package / baseline: time {package['seconds'] / baseline['seconds']:.1f}x, "
        f"peak RSS {package['peak_rss_mb'] / baseline['peak_rss_mb']:.1f}x; "
        f"goal peak RSS < 300 MB: {'met' if package['peak_rss_mb'] < 300 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
