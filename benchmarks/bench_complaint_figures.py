"""Complaint figures benchmark: the DPO's figures over 100,000 complaints (issue 17, CMP-01).

On SQLite (a temporary file) and PostgreSQL (a throwaway database on the test server), with
``--n`` complaints (100,000 by default) received over 450 days, in two organisations (nine
in ten in the one measured), in every state, theme, channel and outcome, some with an
outcome target and some without:

- figures: ``complaints.figures.figures`` for the last 12 UK months of one organisation (the
  console page's whole work: by month, theme, outcome, channel; acknowledged on time or
  late; outcome target; the two medians; the overdue list and counts).
- raw SQL: the same numbers from hand-written SQL for the backend (five statements, the
  same GROUP BYs written out, ``strftime``/``julianday`` on SQLite, ``to_char`` and date
  subtraction on PostgreSQL), with the same few lines of Python over their small results.
  The least any implementation could cost: it checks the figures are the same numbers.

Each is timed ``--repeats`` times, alternating; medians compared. On PostgreSQL after
``VACUUM ANALYZE`` (what autovacuum leaves a live table with). The load average is printed:
other work on the machine slows both sides of the ratio.

Run with ``.venv/bin/python benchmarks/bench_complaint_figures.py`` (``--backends sqlite``,
``--n 20000`` for a quick run; ``DATAWARD_BENCH_PG_URL`` for another server).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, text

from dataward.clock import FixedClock
from dataward.complaints.figures import NOT_YET_SAID, Figures, figures, parse_period
from dataward.complaints.models import Complaint
from dataward.complaints.service import CHANNELS, OUTCOMES, THEMES
from dataward.db import make_engine, make_session_factory
from dataward.migrate import upgrade
from dataward.requests.dashboard import _median
from dataward.scratch import scratch_databases
from dataward.uow import UnitOfWork

PG_ADMIN = os.environ.get(
    "DATAWARD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
ORG, OTHER = "bench_agency", "bench_other"
OPEN_STATES = ("received", "acknowledged", "investigating")


def check(ok: bool, what: str) -> None:
    if not ok:
        raise SystemExit(f"benchmark produced a wrong result: {what}")


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _row(i: int) -> dict[str, Any]:
    received = TODAY - timedelta(days=(i * 7919) % 450)
    age = (TODAY - received).days
    kind = i % 10
    state = (
        "received" if age < 5 or kind < 2 else OPEN_STATES[1 + kind % 2] if kind < 5 else "closed"
    )
    acknowledged = None
    if state != "received" and kind != 9:  # kind 9: closed without an acknowledgement
        acknowledged = min(TODAY, received + timedelta(days=i % 40))
    closed = min(TODAY, received + timedelta(days=i % 90)) if state == "closed" else None
    if closed is not None and acknowledged is not None and acknowledged > closed:
        acknowledged = closed
    target = received + timedelta(days=60) if i % 3 else None
    return {
        "id": str(uuid.UUID(int=i)),
        "ref": f"c_{i:016x}",
        "organisation": ORG if i % 10 else OTHER,
        "channel": CHANNELS[i % len(CHANNELS)],
        "state": state,
        "received_on": received,
        "acknowledge_by": received + timedelta(days=30),
        "acknowledged_on": acknowledged,
        "outcome_target_on": target,
        "outcome": OUTCOMES[i % len(OUTCOMES)] if state == "closed" else None,
        "closed_on": closed,
        "subject_id": None,
        "theme": ((*THEMES, None))[i % (len(THEMES) + 1)],
        "complainant_kind": "self",
        "request_refs": [],
        "key_id": "bench",
        "complainant_sealed": b"sealed",
        "created_at": NOW,
        "updated_at": NOW,
    }


def load(url: str, n: int) -> None:
    upgrade(url)
    engine = make_engine(url)
    with engine.begin() as connection:
        for start in range(0, n, 10_000):
            connection.execute(
                insert(Complaint), [_row(i) for i in range(start, min(n, start + 10_000))]
            )
    engine.dispose()


def _sql(dialect: str) -> dict[str, str]:
    if dialect == "sqlite":
        month, days_ack = (
            "strftime('%Y-%m', received_on)",
            ("julianday(coalesce(acknowledged_on, closed_on)) - julianday(received_on)"),
        )
        days_out = "julianday(closed_on) - julianday(received_on)"
    else:
        month = "to_char(received_on, 'YYYY-MM')"
        days_ack = "coalesce(acknowledged_on, closed_on) - received_on"
        days_out = "closed_on - received_on"
    within = "organisation = :org AND received_on BETWEEN :first AND :last"
    opened = "state IN ('received', 'acknowledged', 'investigating')"
    return {
        "kinds": f"""SELECT theme, CASE WHEN {opened} THEN 'open' ELSE outcome END, channel,
            count(*) FROM complaints WHERE {within} GROUP BY 1, 2, 3""",
        "months": f"SELECT {month}, count(*) FROM complaints WHERE {within} GROUP BY 1",
        "ack": f"""SELECT CASE
              WHEN coalesce(acknowledged_on, closed_on) IS NULL AND acknowledge_by < :today
                THEN 'overdue'
              WHEN coalesce(acknowledged_on, closed_on) IS NULL THEN 'waiting'
              WHEN coalesce(acknowledged_on, closed_on) > acknowledge_by THEN 'late'
              ELSE 'on_time' END, {days_ack}, count(*)
            FROM complaints WHERE {within} GROUP BY 1, 2""",
        "outcome": f"""SELECT CASE
              WHEN outcome_target_on IS NULL THEN 'none'
              WHEN outcome = 'withdrawn' THEN 'withdrawn'
              WHEN closed_on IS NOT NULL AND closed_on > outcome_target_on THEN 'late'
              WHEN closed_on IS NOT NULL THEN 'on_time'
              WHEN outcome_target_on < :today THEN 'overdue'
              ELSE 'waiting' END,
              CASE WHEN outcome = 'withdrawn' THEN NULL ELSE {days_out} END, count(*)
            FROM complaints WHERE {within} GROUP BY 1, 2""",
        "overdue": f"""SELECT
              sum(CASE WHEN acknowledged_on IS NULL AND acknowledge_by < :today THEN 1 ELSE 0 END),
              sum(CASE WHEN outcome_target_on < :today THEN 1 ELSE 0 END)
            FROM complaints WHERE organisation = :org AND {opened}
              AND ((acknowledged_on IS NULL AND acknowledge_by < :today)
                   OR outcome_target_on < :today)""",
        "listed": f"""SELECT ref FROM complaints WHERE organisation = :org AND {opened}
              AND ((acknowledged_on IS NULL AND acknowledge_by < :today)
                   OR outcome_target_on < :today)
            ORDER BY acknowledge_by, ref LIMIT 200""",
    }


def raw(uow: UnitOfWork, first: date, last: date) -> dict[str, Any]:
    """The figures from hand-written SQL, as plain numbers to compare."""
    dialect = uow.session.get_bind().dialect.name
    sql = _sql(dialect)
    day: Any = (lambda d: d.isoformat()) if dialect == "sqlite" else (lambda d: d)
    params = {"org": ORG, "first": day(first), "last": day(last), "today": day(TODAY)}
    run = uow.session.execute
    out: dict[str, Any] = {"received": 0, "theme": Counter(), "outcome": Counter()}
    out["channel"] = Counter()
    for theme, result, channel, n in run(text(sql["kinds"]), params):
        out["received"] += n
        out["theme"][theme or NOT_YET_SAID] += n
        out["outcome"][result] += n
        out["channel"][channel] += n
    out["months"] = {m: n for m, n in run(text(sql["months"]), params)}
    ack, spread = Counter(), Counter()
    for kind, days, n in run(text(sql["ack"]), params):
        ack[kind] += n
        if days is not None:
            spread[round(float(days))] += n
    out["ack"], out["ack_median"] = ack, _median(spread)
    target, spread = Counter(), Counter()
    for kind, days, n in run(text(sql["outcome"]), params):
        if kind not in ("none", "withdrawn"):
            target[kind] += n
        if days is not None:
            spread[round(float(days))] += n
    out["target"], out["outcome_median"] = target, _median(spread)
    ack_late, target_late = run(text(sql["overdue"]), params).one()
    out["overdue"] = (int(ack_late or 0), int(target_late or 0))
    out["listed"] = list(run(text(sql["listed"]), params).scalars())
    return out


def same(result: Figures, numbers: dict[str, Any]) -> None:
    check(result.received == numbers["received"], "received")
    check(dict(result.by_theme) == dict(numbers["theme"]), "by theme")
    check(dict(result.by_outcome) == dict(numbers["outcome"]), "by outcome")
    check(dict(result.by_channel) == dict(numbers["channel"]), "by channel")
    months = {k: v for k, v in result.by_month.items() if v}
    check(months == numbers["months"], "by month")
    check(dict(result.acknowledgement) == dict(numbers["ack"]), "acknowledgements")
    check(dict(result.outcome_target) == dict(numbers["target"]), "outcome target")
    check(result.median_days_to_acknowledge == numbers["ack_median"], "median to acknowledge")
    check(result.median_days_to_outcome == numbers["outcome_median"], "median to outcome")
    counted = (result.acknowledgement_overdue, result.outcome_overdue)
    check(counted == numbers["overdue"], "overdue counts")
    check([o.ref for o in result.overdue] == numbers["listed"], "overdue list")


def run(url: str, backend: str, n: int, repeats: int) -> dict[str, float]:
    progress(f"{backend}: loading {n:,} complaints")
    started = time.perf_counter()
    load(url, n)
    progress(f"{backend}: loaded in {time.perf_counter() - started:.1f} s")
    engine = make_engine(url)
    if backend == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE complaints"))
    factory = make_session_factory(engine)
    clock = FixedClock(NOW)
    period = parse_period("", "", TODAY)
    ours: list[float] = []
    theirs: list[float] = []
    result: Figures | None = None
    with UnitOfWork(factory, clock, read_only=True) as uow:
        for _ in range(repeats):
            t = time.perf_counter()
            result = figures(uow, period, ORG)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            numbers = raw(uow, period.first, period.last)
            theirs.append(time.perf_counter() - t)
        assert result is not None
        same(result, numbers)
    engine.dispose()
    print(
        f"{backend}: {result.received:,} received in 12 months; acknowledged "
        f"{result.acknowledgement['on_time']:,} on time, {result.acknowledgement['late']:,} "
        f"late, {result.acknowledgement['overdue']:,} overdue; outcome target "
        f"{result.outcome_target['on_time']:,} on time, {result.outcome_target['late']:,} late; "
        f"median days {result.median_days_to_acknowledge:g} to acknowledge, "
        f"{result.median_days_to_outcome:g} to outcome; overdue today "
        f"{result.acknowledgement_overdue:,} + {result.outcome_overdue:,}"
    )
    return {
        "figures_ms": statistics.median(ours) * 1000,
        "raw_ms": statistics.median(theirs) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"complaint figures benchmark: {args.n:,} complaints, x{args.repeats}")
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    for backend in args.backends.split(","):
        if backend == "sqlite":
            with tempfile.TemporaryDirectory() as folder:
                timed = run(f"sqlite:///{folder}/bench.db", backend, args.n, args.repeats)
        else:
            with scratch_databases(PG_ADMIN, "dataward_bench_complaints") as (url,):
                timed = run(url, backend, args.n, args.repeats)
        ratio = timed["figures_ms"] / timed["raw_ms"]
        print(
            f"{backend}: figures() {timed['figures_ms']:.1f} ms vs raw SQL "
            f"{timed['raw_ms']:.1f} ms = {ratio:.2f}x (medians)"
        )
        print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
