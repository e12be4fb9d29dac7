"""Erasure at scale (issue 19): a typical subject against hand-written SQL, and a subject with a
million rows (seconds, peak RSS).

Two parts, each on ``--backend`` (``sqlite``, ``postgresql`` or both): the operational
database and dataward's own database are both on that backend (SQLite files in a temporary
folder; throwaway databases on the PostgreSQL test server, ``DATAWARD_BENCH_PG_URL`` for
another server).

**Typical subject.** The demo agency is built with ``--subjects`` people (the demo's own
generators, as ``sources_search_bench.py`` does; no files), with the index on
``debtors.email`` the sources check asks for, then copied (a SQLite file copy; a PostgreSQL
``CREATE DATABASE ... TEMPLATE``). A sources file (below) says how each column of the demo's
tables is erased: the customer's name and address anonymised and contact details nulled,
visits, notes, recordings, vulnerability evidence and complaints deleted, cases and payments
kept. For ``--samples`` debtors drawn at random (seeded):

- **dataward**, on the first copy: ground, plan, DPO approval and every worker run
  (``execute_plan``, each committed) until the plan is ``done``, the worker's connectors
  opened once and kept open across plans as the worker's handler keeps them (per sources
  version, from its parsed copy); the setup of the request (subject, request, identity
  check) is not counted. Also timed apart: the
  source's own run (``erase``: the run that changes the source);
- **hand-written**, on the second copy: the same rows by set-based ``DELETE`` / ``UPDATE``
  statements joined to ``debtors`` on the email, in one transaction. Rows changed are
  compared with the plan's row count, and the run stops if they differ.

Printed: median seconds and rows per subject, rows/s of each and the ratio dataward rows/s
/ hand-written rows/s (goal: at least 0.5), for the whole erasure and for the source's run.

**A subject with a million rows** (``--rows``): one debtor with ``--cases`` cases and
visits making up the rest, plus another debtor's rows that must stay. In a child process of
its own (so that its peak RSS, ``VmHWM``, is its own), dataward plans and executes the
erasure (visits and cases deleted, the debtor's contact details nulled); in another, the
hand-written statements do the same on a copy. Goal: dataward's peak RSS under 300 MB.

Run with ``.venv/bin/python benchmarks/erasure_bench.py`` (100,000 people, 1,000,000 rows,
both backends; about 8 minutes). ``--part typical`` or ``--part million`` for one part,
``--subjects 20000 --rows 100000`` for a quick run. Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
PG_ADMIN = os.environ.get(
    "DATAWARD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
ORG = "jtr_collections"
SEED = 19
TODAY = date(2026, 11, 25)
ACTOR = "user:u_bench"
GOAL_RATIO = 0.5
GOAL_RSS_MB = 300

_DELETE = "{erasure: delete_row}"
_REDACT = "{erasure: {anonymise: redact}}"
_NULL = "{erasure: set_null}"


def _by_case(table: str, column: str) -> str:
    return f"""\
    - connection: agency
      table: {table}
      key: id
      subject:
        via: case_id
        table: cases
        key: id
        then: {{via: debtor_id, table: debtors, key: id}}
      columns:
        {column}: {_DELETE}
"""


DEMO_SOURCES = f"""\
format_version: 1
organisation: jtr_collections
connections:
  agency: {{kind: sql, url_from: AGENCY_DB_URL, mode: read_write}}
datasets:
  customers:
    - connection: agency
      table: debtors
      key: id
      identities: {{email: email}}
      columns:
        title: {_REDACT}
        first_name: {_REDACT}
        middle_name: {_NULL}
        last_name: {_REDACT}
        email: {_NULL}
        phone: {_NULL}
        address_line1: {_REDACT}
        address_line2: {_NULL}
        town: {_REDACT}
        postcode: {_REDACT}
        ni_number: {{erasure: {{keep: "needed to trace the debt while it is owed"}}}}
  cases:
    - connection: agency
      table: cases
      key: id
      subject: {{via: debtor_id, table: debtors, key: id}}
      columns:
        case_ref: {{erasure: {{keep: "the client's case"}}}}
  payments:
    - connection: agency
      table: payments
      key: id
      subject:
        via: case_id
        table: cases
        key: id
        then: {{via: debtor_id, table: debtors, key: id}}
      columns:
        amount_pence: {{erasure: {{keep: "the accounts"}}}}
  visits:
{_by_case("agent_visits", "outcome")}{_by_case("notes", "body")}  body_worn_video:
{_by_case("body_worn_video", "file_path")}  call_recordings:
{_by_case("call_recordings", "file_path")}  complaints:
{_by_case("complaints", "category")}  vulnerability_evidence:
    - connection: agency
      table: vulnerability_evidence
      key: id
      subject: {{via: debtor_id, table: debtors, key: id}}
      columns:
        kind: {_DELETE}
"""

_DEBTOR = "SELECT id FROM debtors WHERE email = :email"
_CASES = f"SELECT id FROM cases WHERE debtor_id IN ({_DEBTOR})"
# Children before parents, as the plan orders them (body_worn_video points at agent_visits).
DEMO_HAND_SQL = (
    *(
        f"DELETE FROM {table} WHERE case_id IN ({_CASES})"
        for table in ("body_worn_video", "call_recordings", "complaints", "agent_visits", "notes")
    ),
    f"DELETE FROM vulnerability_evidence WHERE debtor_id IN ({_DEBTOR})",
    "UPDATE debtors SET title = '[erased]', first_name = '[erased]', middle_name = NULL, "
    "last_name = '[erased]', email = NULL, phone = NULL, address_line1 = '[erased]', "
    "address_line2 = NULL, town = '[erased]', postcode = '[erased]' WHERE email = :email",
)

MILLION_EMAIL = "million.rows@example.org"
MILLION_SOURCES = """\
format_version: 1
organisation: jtr_collections
connections:
  agency: {kind: sql, url_from: AGENCY_DB_URL, mode: read_write}
datasets:
  customers:
    - connection: agency
      table: debtors
      key: id
      identities: {email: email}
      columns:
        name: {erasure: {anonymise: redact}}
        email: {erasure: set_null}
  cases:
    - connection: agency
      table: cases
      key: id
      subject: {via: debtor_id, table: debtors, key: id}
      columns:
        ref: {erasure: delete_row}
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
        note: {erasure: delete_row}
"""
MILLION_HAND_SQL = (
    "DELETE FROM visits WHERE case_id IN (SELECT c.id FROM cases c JOIN debtors d "
    "ON c.debtor_id = d.id WHERE d.email = :email)",
    "DELETE FROM cases WHERE debtor_id IN (SELECT id FROM debtors WHERE email = :email)",
    "UPDATE debtors SET name = '[erased]', email = NULL WHERE email = :email",
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def peak_rss_mb() -> float:
    """This process's peak RSS. ``VmHWM`` starts again at ``exec``; ``ru_maxrss`` does not
    (a child would report the parent's peak, here the demo agency's build)."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    # Elsewhere: the rusage figure (kilobytes on Linux).
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# Databases -----------------------------------------------------------------------------------


@contextmanager
def databases(backend: str, folder: Path, *names: str) -> Iterator[list[str]]:
    """One empty database per name: SQLite files in ``folder``, or PostgreSQL scratch ones."""
    if backend == "sqlite":
        yield [f"sqlite:///{folder / f'{name}.db'}" for name in names]
        return
    from dataward.scratch import scratch_databases

    with scratch_databases(PG_ADMIN, *(f"bench_erasure_{name}" for name in names)) as urls:
        yield urls


def copy_database(source: str, target: str) -> None:
    """``target`` becomes a copy of ``source`` (no connection to either may be open)."""
    if source.startswith("sqlite"):
        shutil.copyfile(make_url(source).database or "", make_url(target).database or "")
        return
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            name, template = make_url(target).database, make_url(source).database
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    finally:
        admin.dispose()


def analyse(url: str) -> None:
    engine = create_engine(url)
    try:
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(text("VACUUM ANALYZE"))
        else:
            with engine.begin() as conn:
                # A reader and the writer of the same source side by side (the executor reads
                # the rows it changes a batch at a time): WAL lets them.
                conn.execute(text("PRAGMA journal_mode=WAL"))
                conn.execute(text("ANALYZE"))
    finally:
        engine.dispose()


def hand_written(url: str, statements: tuple[str, ...], email: str) -> tuple[int, float]:
    """The statements in one transaction: (rows changed, seconds)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))  # connected before the clock starts
            conn.rollback()
            started = time.perf_counter()
            with conn.begin():
                rows = sum(conn.execute(text(sql), {"email": email}).rowcount for sql in statements)
            return rows, time.perf_counter() - started
    finally:
        engine.dispose()


# dataward ------------------------------------------------------------------------------------


@dataclass
class Dataward:
    factory: Any
    vault: Any
    clock: Any
    engine: Any
    dpo: str

    def uow(self) -> Any:
        from dataward.uow import UnitOfWork

        return UnitOfWork(self.factory, self.clock, self.vault)


@contextmanager
def dataward(main_url: str, keys_url: str, sources: str) -> Iterator[Dataward]:
    from dataward.accounts.passwords import Passwords
    from dataward.accounts.service import create_user, user_actor
    from dataward.clock import FixedClock
    from dataward.config import Settings
    from dataward.crypto.keystore import Vault
    from dataward.crypto.secrets import KeyMaterial
    from dataward.db import make_engine, make_session_factory
    from dataward.migrate import upgrade
    from dataward.models import import_all_models
    from dataward.publication.registers import store_register
    from dataward.publication.sources import store_sources
    from dataward.register.loader import load_register
    from dataward.sources.loader import parse_sources

    import_all_models()
    upgrade(main_url)
    engine = make_engine(main_url)
    vault = Vault.open(keys_url, KeyMaterial("kek-bench", os.urandom(32), os.urandom(32)))
    clock = FixedClock(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
    ward = Dataward(make_session_factory(engine), vault, clock, engine, "")
    try:
        with ward.uow() as uow:
            store_register(uow, load_register(ROOT / "examples" / "jtr-collections.yaml"))
            store_sources(uow, parse_sources(sources, "bench.yaml"), organisation=ORG, actor=ACTOR)
            settings = Settings(argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1)
            user, _ = create_user(uow, Passwords(settings), "dpo@bench.example", "dpo", actor=ACTOR)
            ward.dpo = user_actor(user)
            uow.commit()
        yield ward
    finally:
        vault.close()
        engine.dispose()


def erasure_request(ward: Dataward, email: str) -> str:
    """A verified erasure request for the person with this email, its ground recorded."""
    from dataward.erasure.plan import record_ground
    from dataward.requests.service import NewRequest, Requester, open_request
    from dataward.requests.transitions import Step, link_subject, verify_identity
    from dataward.subjects.service import add_subject

    with ward.uow() as uow:
        subject = add_subject(uow, ORG, ["customers"], [("email", email)], actor=ACTOR)
        requester = Requester(name="Bench", email=email, words="Delete my data.")
        row = open_request(
            uow, NewRequest(ORG, ("erasure",), "email", date(2026, 11, 20), requester), actor=ACTOR
        )
        link_subject(uow, ORG, row.ref, subject.ref, Step(ACTOR, date(2026, 11, 20)))
        verify_identity(uow, ORG, row.ref, "document", Step(ACTOR, date(2026, 11, 21)))
        record_ground(uow, ORG, row.ref, "no_longer_necessary", actor=ACTOR)
        uow.commit()
        ref: str = row.ref
    return ref


def worker_connectors(ward: Dataward, env: dict[str, str]) -> dict[str, Any]:
    """The connectors a worker keeps open for the stored sources version, from its parsed
    copy (``erasure.jobs.ExecuteHandler``: open from the first run of any plan to the
    worker's end, the parse done once per process)."""
    from dataward.sources.connectors import open_all
    from dataward.sources.versions import current_sources

    with ward.uow() as uow:
        sources = current_sources(uow, ORG).parsed().sources
    opened: dict[str, Any] = open_all(sources, env)
    return opened


def erase(
    ward: Dataward, ref: str, env: dict[str, str], worker: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Plan, approve and run the erasure to the end, each step committed as in production.
    ``worker``: the worker's connectors, already open (else opened here, and timed)."""
    from dataward.erasure.executor import execute_plan
    from dataward.erasure.plan import plan_erasure
    from dataward.erasure.service import approve_erasure

    timings: dict[str, float] = {}
    started = time.perf_counter()
    with ward.uow() as uow:
        plan_id = plan_erasure(uow, ORG, ref, actor=ACTOR, env=env).id
        uow.commit()
    timings["plan"] = time.perf_counter() - started
    with ward.uow() as uow:
        approve_erasure(uow, ORG, ref, actor=ward.dpo)
        uow.commit()
    erase_seconds = 0.0
    # As the worker's handler does (erasure.jobs.ExecuteHandler): the connectors stay open
    # from the plan's first run to its last (and, given, across plans).
    connectors = worker if worker is not None else worker_connectors(ward, env)
    while True:
        run = time.perf_counter()
        with ward.uow() as uow:
            step = execute_plan(uow, plan_id, worker="w-bench", connectors=connectors)
            uow.commit()
        if step.erased or (step.source and not step.marked):
            erase_seconds += time.perf_counter() - run
        elif step.marked:
            timings["mark"] = time.perf_counter() - run
        if step.state != "running":
            break
    if worker is None:
        for connector in connectors.values():
            connector.close()
    timings["erase"] = erase_seconds
    timings["seconds"] = time.perf_counter() - started
    from dataward.erasure.models import ErasurePlan

    with ward.uow() as uow:
        plan = uow.session.get(ErasurePlan, plan_id)
        assert plan is not None
        if plan.state != "done":
            raise SystemExit(f"the plan ended {plan.state}, not done")
        rows = plan.rows_erased
    return {"rows": rows, **timings}


# Typical subject -----------------------------------------------------------------------------


def build_demo(url: str, subjects: int) -> list[str]:
    from dataward.demo import schema
    from dataward.demo.operational import build_operational
    from dataward.demo.people import draw_people

    people = draw_people(SEED, subjects, TODAY)
    engine = create_engine(url)
    try:
        schema.metadata.create_all(engine)
        with engine.begin() as conn:
            build_operational(conn, people, seed=SEED, today=TODAY, files=None)
            conn.execute(text("CREATE INDEX ix_debtors_email ON debtors (email)"))
    finally:
        engine.dispose()
    analyse(url)
    return [d.email for d in people.debtors if d.email]


def typical(backend: str, subjects: int, samples: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="erasure_bench_") as tmp:
        names = ("agency", "agency_copy", "main", "keys")
        with databases(backend, Path(tmp), *names) as (agency, copy, main, keys):
            started = time.perf_counter()
            emails = build_demo(agency, subjects)
            copy_database(agency, copy)
            took = time.perf_counter() - started
            log(f"{backend}: demo agency of {subjects:,} people in {took:.0f} s")
            chosen = random.Random(SEED).sample(sorted(set(emails)), samples)
            env = {"AGENCY_DB_URL": agency}
            ours: list[dict[str, Any]] = []
            theirs: list[tuple[int, float]] = []
            with dataward(main, keys, DEMO_SOURCES) as ward:
                worker = worker_connectors(ward, env)
                for email in chosen:
                    ref = erasure_request(ward, email)
                    figures = erase(ward, ref, env, worker)
                    by_hand = hand_written(copy, DEMO_HAND_SQL, email)
                    if by_hand[0] != figures["rows"]:
                        raise SystemExit(
                            f"rows differ: {figures['rows']} by dataward, {by_hand[0]} by hand"
                        )
                    ours.append(figures)
                    theirs.append(by_hand)
                for connector in worker.values():
                    connector.close()
    rows = statistics.median(f["rows"] for f in ours)
    total = sum(f["rows"] for f in ours)
    return {
        "rows": rows,
        "seconds": statistics.median(f["seconds"] for f in ours),
        "erase": statistics.median(f["erase"] for f in ours),
        "plan": statistics.median(f["plan"] for f in ours),
        "hand": statistics.median(t[1] for t in theirs),
        "rows_per_s": total / sum(f["seconds"] for f in ours),
        "erase_rows_per_s": total / sum(f["erase"] for f in ours),
        "hand_rows_per_s": total / sum(t[1] for t in theirs),
    }


# A million rows ------------------------------------------------------------------------------


def generate_million(url: str, rows: int, cases: int) -> int:
    """One debtor with ``rows`` rows (debtor + cases + visits), another with a few."""
    visits = rows - 1 - cases
    engine = create_engine(url)
    numbers = (
        "generate_series(1, :n) AS s(n)"
        if engine.dialect.name == "postgresql"
        else "(WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :n) "
        "SELECT n FROM s) AS s"
    )
    try:
        with engine.begin() as conn:
            conn.execute(
                text("CREATE TABLE debtors (id INTEGER PRIMARY KEY, name TEXT, email TEXT)")
            )
            conn.execute(
                text("CREATE TABLE cases (id INTEGER PRIMARY KEY, debtor_id INTEGER, ref TEXT)")
            )
            conn.execute(
                text(
                    "CREATE TABLE visits (id INTEGER PRIMARY KEY, case_id INTEGER, "
                    "visited_on TEXT, note TEXT)"
                )
            )
            conn.execute(
                text("INSERT INTO debtors VALUES (1, 'Million Rows', :e), (2, 'Other', :o)"),
                {"e": MILLION_EMAIL, "o": "other@example.org"},
            )
            conn.execute(
                text(f"INSERT INTO cases SELECT n, 1, 'CASE-' || n FROM {numbers}"), {"n": cases}
            )
            conn.execute(text("INSERT INTO cases VALUES (:id, 2, 'OTHER')"), {"id": cases + 1})
            conn.execute(
                text(
                    "INSERT INTO visits SELECT n, 1 + n % :cases, '2026-03-02', "
                    f"'Visit ' || n || ': nobody home, card left.' FROM {numbers}"
                ),
                {"n": visits, "cases": cases},
            )
            conn.execute(
                text("INSERT INTO visits VALUES (:id, :case, '2026-03-02', 'not the subject')"),
                {"id": visits + 1, "case": cases + 1},
            )
            conn.execute(text("CREATE INDEX ix_debtors_email ON debtors (email)"))
            conn.execute(text("CREATE INDEX ix_cases_debtor ON cases (debtor_id)"))
            conn.execute(text("CREATE INDEX ix_visits_case ON visits (case_id)"))
    finally:
        engine.dispose()
    analyse(url)
    return rows


def child_dataward(agency: str, main: str, keys: str) -> dict[str, Any]:
    with dataward(main, keys, MILLION_SOURCES) as ward:
        ref = erasure_request(ward, MILLION_EMAIL)
        figures = erase(ward, ref, {"AGENCY_DB_URL": agency})
    return {**figures, "peak_rss_mb": peak_rss_mb()}


def child_hand(agency: str) -> dict[str, Any]:
    rows, seconds = hand_written(agency, MILLION_HAND_SQL, MILLION_EMAIL)
    return {"rows": rows, "seconds": seconds, "peak_rss_mb": peak_rss_mb()}


def run_child(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], check=True, stdout=subprocess.PIPE, text=True
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def million(backend: str, rows: int, cases: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="erasure_bench_") as tmp:
        names = ("agency", "agency_copy", "main", "keys")
        with databases(backend, Path(tmp), *names) as (agency, copy, main, keys):
            started = time.perf_counter()
            generate_million(agency, rows, cases)
            copy_database(agency, copy)
            log(f"{backend}: {rows:,} rows of one subject in {time.perf_counter() - started:.0f} s")
            ours = run_child("dataward", agency, main, keys)
            theirs = run_child("hand", copy)
    if ours["rows"] != theirs["rows"]:
        raise SystemExit(f"rows differ: {ours['rows']} by dataward, {theirs['rows']} by hand")
    return {"dataward": ours, "hand": theirs}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=5)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--part", choices=("typical", "million", "both"), default="both")
    parser.add_argument(
        "--backend",
        "--backends",
        dest="backends",
        default="sqlite,postgresql",
        help="sqlite, postgresql, or both (comma-separated).",
    )
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        result = child_dataward(*rest) if kind == "dataward" else child_hand(*rest)
        print(json.dumps(result))
        return

    print(
        f"# erasure: {platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs"
    )
    for backend in args.backends.split(","):
        if args.part in ("typical", "both"):
            t = typical(backend, args.subjects, args.samples)
            ratio = t["rows_per_s"] / t["hand_rows_per_s"]
            erase_ratio = t["erase_rows_per_s"] / t["hand_rows_per_s"]
            print(
                f"{backend}: typical subject ({args.subjects:,} people, median of "
                f"{args.samples}): {t['rows']:.0f} rows; dataward {t['seconds']:.3f} s "
                f"(plan {t['plan']:.3f}, source run {t['erase']:.3f}), hand-written "
                f"{t['hand']:.4f} s; rows/s {t['rows_per_s']:,.0f} vs {t['hand_rows_per_s']:,.0f}: "
                f"ratio {ratio:.2f} (source run alone {erase_ratio:.2f}); goal >= {GOAL_RATIO}: "
                f"{'met' if ratio >= GOAL_RATIO else 'NOT met'}",
                flush=True,
            )
        if args.part in ("million", "both"):
            m = million(backend, args.rows, args.cases)
            ours, theirs = m["dataward"], m["hand"]
            print(
                f"{backend}: one subject, {ours['rows']:,} rows: dataward {ours['seconds']:.1f} s "
                f"(plan {ours['plan']:.1f}, mark {ours.get('mark', 0):.1f}, source run "
                f"{ours['erase']:.1f}), {ours['rows'] / ours['seconds']:,.0f} rows/s, peak RSS "
                f"{ours['peak_rss_mb']:.0f} MB; hand-written {theirs['seconds']:.1f} s, "
                f"{theirs['rows'] / theirs['seconds']:,.0f} rows/s, peak RSS "
                f"{theirs['peak_rss_mb']:.0f} MB; ratio {theirs['seconds'] / ours['seconds']:.2f}; "
                f"goal RSS < {GOAL_RSS_MB} MB: "
                f"{'met' if ours['peak_rss_mb'] < GOAL_RSS_MB else 'NOT met'}",
                flush=True,
            )


if __name__ == "__main__":
    main()
