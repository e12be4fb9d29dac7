"""Retention on the examples' own data (issue 20): store the example's register and sources
file, move the clock to a day, RUN the retention engine for that day and read exactly which
rows went (RULES: RET-01, RET-02, RET-03).

``Sweep.day`` is the one place the tests ask "which rows go". It reads every bound table of
the source, runs ``retention.run.run_step`` until the day's run is finished (committing
between steps, as the CLI and the worker do), reads the tables again and returns the keys
that went (deleted) and the keys whose row was changed in place (anonymised), per table.
Each change is held to the run's evidence (RET-03): every key that went is counted by one
evidence record of that table, and the record's key digest cites exactly those keys.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import yaml
from sqlalchemy import MetaData, Table, create_engine, select, text

from dataward.clock import FixedClock
from dataward.publication.sources import store_sources
from dataward.retention.batches import batch_digest, chained
from dataward.retention.plan import RetentionPlan, RulePlan, plan_retention
from dataward.retention.run import evidence_of, run_step
from dataward.scratch import scratch_databases
from dataward.sources.loader import parse_sources
from dataward.sources.models import Binding
from dataward.sources.versions import current_sources
from dataward.uow import UnitOfWork

WORKER = "example-tests"


@contextmanager
def source_database(backend: str, folder: Any, admin_url: str | None) -> Iterator[str]:
    """The organisation's own database on the same kind of server as dataward's: the run's
    SQL is run on SQLite and on PostgreSQL alike."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'operational.db'}"
        return
    assert admin_url is not None, "DATAWARD_TEST_DATABASE_URL is needed for PostgreSQL"
    with scratch_databases(admin_url, "example_ops") as (url,):
        yield url


def fill(url: str, metadata: MetaData, rows: Mapping[str, list[dict[str, Any]]]) -> None:
    """Create the example's tables and insert ``rows`` (by table name, in dependency order)."""
    engine = create_engine(url)
    try:
        metadata.create_all(engine)
        with engine.begin() as conn:
            for table in metadata.sorted_tables:
                if rows.get(table.name):
                    conn.execute(table.insert(), rows[table.name])
    finally:
        engine.dispose()


def run_sql(url: str, statement: str, **params: Any) -> None:
    """Change the source as its own systems would (a complaint closed, a debt cleared)."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement), params)
    finally:
        engine.dispose()


def store_sources_document(uow: UnitOfWork, organisation: str, document: dict[str, Any]) -> None:
    """Store a sources file given as plain data, as ``dataward sources load`` would."""
    loaded = parse_sources(yaml.safe_dump(document, sort_keys=False), "sources.yaml")
    store_sources(uow, loaded, organisation=organisation, actor="dpo")


@dataclass(frozen=True)
class Record:
    """A plain copy of one evidence record of the day's run (RET-03)."""

    rule: str
    dataset: str
    table: str
    connection: str
    status: str
    reason: str
    due: int
    rows: int
    files: int
    held: dict[str, int]
    keys_digest: str | None


@dataclass
class Swept:
    """One day's run: the day's plan (a dry run just before it), the run's evidence, and
    the keys that went from each table (deleted) or were changed in place (anonymised). A
    row anonymised on an earlier day is not acted on again (``batches.not_yet_changed``):
    a day's evidence counts only the rows that changed that day."""

    plan: RetentionPlan
    records: list[Record]
    deleted: dict[str, list[Any]]
    changed: dict[str, list[Any]]
    bindings: dict[str, Binding]

    def rule(self, rule: str) -> RulePlan:
        return next(r for r in self.plan.rules if r.rule == rule)

    def records_of(self, rule: str) -> list[Record]:
        return [r for r in self.records if r.rule == rule]

    def record(self, rule: str, table: str) -> Record:
        found = [r for r in self.records if r.rule == rule and r.table == table]
        assert len(found) == 1, f"{rule}: {len(found)} evidence records of {table}"
        return found[0]

    def gone(self, rule: str, table: str) -> list[Any]:
        """The keys of ``table`` the rule's run deleted today, in key order."""
        return self._went(rule, table)[0]

    def anonymised(self, rule: str, table: str) -> list[Any]:
        """The keys of ``table`` whose rows the rule's run changed in place today."""
        return self._went(rule, table)[1]

    def _went(self, rule: str, table: str) -> tuple[list[Any], list[Any]]:
        found = self.record(rule, table)
        assert found.status == "done", (rule, table, found.status, found.reason)
        deleted, changed = self.deleted.get(table, []), self.changed.get(table, [])
        # The record counts every row of its table acted on today and cites exactly those
        # keys (one batch: the digest of their key digests, chained once).
        acted = sorted([*deleted, *changed])
        assert found.rows == len(acted), (rule, table, found.rows, acted)
        digest = chained(None, batch_digest(self.bindings[table], acted)) if acted else None
        assert found.keys_digest == digest, (rule, table, "the evidence cites other keys")
        return deleted, changed


@dataclass
class Sweep:
    """Days run in order, for one organisation whose register and sources are stored."""

    uow: UnitOfWork
    organisation: str
    env: dict[str, str]
    _last: date | None = field(default=None)

    def day(self, day: date) -> Swept:
        # A run for a day before the latest is refused (RetentionClockBehind).
        assert self._last is None or day > self._last, "days are run in order, never back"
        self._last = day
        clock = self.uow.clock
        assert isinstance(clock, FixedClock)
        clock.set(datetime(day.year, day.month, day.day, 12, tzinfo=UTC))
        plan = plan_retention(self.uow, self.organisation, env=self.env)
        bindings = self._tables()
        before = self._read(bindings)
        run_id = self._run()
        after = self._read(bindings)
        records = [
            Record(
                e.rule,
                e.dataset,
                e.table,
                e.connection,
                e.status,
                e.reason,
                e.due,
                e.rows,
                e.files,
                dict(e.held),
                e.keys_digest,
            )
            for e in evidence_of(self.uow, run_id)
        ]
        deleted = {t: sorted(set(before[t]) - set(after[t])) for t in bindings}
        changed = {
            t: sorted(k for k in after[t] if before[t].get(k, after[t][k]) != after[t][k])
            for t in bindings
        }
        for table in bindings:
            # Nothing goes unrecorded: each table's rows deleted or changed are the rows
            # its evidence records count (a cascade or a stray delete would show here).
            counted = sum(r.rows for r in records if r.table == table and r.status == "done")
            went = len(deleted[table]) + len(changed[table])
            assert counted == went, (day, table, counted, deleted[table], changed[table])
        for found in records:
            if found.status == "done":
                # The run acted on no more rows than its plan counted that day (the plan
                # still counts a row anonymised on an earlier day, which the run leaves).
                assert found.rows <= found.due, (found.rule, found.table, found.rows, found.due)
        return Swept(plan, records, deleted, changed, bindings)

    def _run(self) -> str:
        """``run_step`` until the day's run is finished, committing between steps."""
        for _ in range(500):
            step = run_step(self.uow, self.organisation, worker=WORKER, env=self.env)
            self.uow.commit()
            if step.finished:
                return step.run_id
        raise AssertionError("the run did not finish")

    def _tables(self) -> dict[str, Binding]:
        """Every table of the source the sources file binds, by name (one binding each)."""
        sources = current_sources(self.uow, self.organisation).parsed().sources
        found: dict[str, Binding] = {}
        for bindings in sources.datasets.values():
            for binding in bindings:
                if binding.table is not None:
                    found.setdefault(binding.table, binding)
        return found

    def _read(self, bindings: Mapping[str, Binding]) -> dict[str, dict[Any, tuple[Any, ...]]]:
        """Each bound table's rows by key (the tests' tables are a few rows each)."""
        sources = current_sources(self.uow, self.organisation).parsed().sources
        rows: dict[str, dict[Any, tuple[Any, ...]]] = {}
        for name, binding in bindings.items():
            url = self.env[sources.connections[binding.connection].url_from]
            engine = create_engine(url)
            try:
                with engine.connect() as conn:
                    table = Table(name, MetaData(), autoload_with=conn)
                    rows[name] = {
                        row._mapping[binding.key]: tuple(row) for row in conn.execute(select(table))
                    }
            finally:
                engine.dispose()
        return rows
