"""Retention on the examples' own data (issue 20): store the example's register and sources
file, move the clock to a day, and ask which rows of each rule go that day (RET-01, RET-02).

``Sweep.day`` is the one place the tests ask "which rows go". Today it plans (a dry run)
and reads the keys of the rows the plan acts on, ``due AND NOT (any held)`` in the source,
which is what the run acts on (``retention/run.py``); when the run lands, ``Sweep.day`` becomes "run
the engine on that day and return the keys that went". To read the same both ways it
returns only the keys that go for the first time: a row found due on 1 August is not
found again on 2 August (the run will have deleted it).
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
from dataward.erasure.survey import key_digest
from dataward.publication.sources import store_sources
from dataward.retention.plan import SAMPLE, BindingPlan, RetentionPlan, RulePlan, plan_retention
from dataward.scratch import scratch_databases
from dataward.sources.loader import parse_sources
from dataward.sources.models import SourcesFile
from dataward.sources.versions import current_sources
from dataward.uow import UnitOfWork


@contextmanager
def source_database(backend: str, folder: Any, admin_url: str | None) -> Iterator[str]:
    """The organisation's own database on the same kind of server as dataward's: the plan's
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


@dataclass
class Swept:
    """One day's sweep: the plan, and the keys that go that day by (rule, table)."""

    plan: RetentionPlan
    keys: dict[tuple[str, str], list[Any]]

    def rule(self, rule: str) -> RulePlan:
        return next(r for r in self.plan.rules if r.rule == rule)

    def binding(self, rule: str, table: str) -> BindingPlan:
        found = [b for d in self.rule(rule).datasets for b in d.bindings if b.table == table]
        assert len(found) == 1, f"{rule}: {len(found)} bindings of {table}"
        return found[0]

    def gone(self, rule: str, table: str) -> list[Any]:
        """The keys of ``table`` the rule acts on today, first time only, in key order."""
        binding = self.binding(rule, table)
        assert binding.status == "planned", (binding.status, binding.reason)
        return self.keys.get((rule, table), [])


@dataclass
class Sweep:
    """Days swept in order, for one organisation whose register and sources are stored."""

    uow: UnitOfWork
    organisation: str
    env: dict[str, str]
    _seen: dict[tuple[str, str], set[Any]] = field(default_factory=dict)
    _last: date | None = None

    def day(self, day: date) -> Swept:
        assert self._last is None or day > self._last, "days are swept in order, never back"
        self._last = day
        clock = self.uow.clock
        assert isinstance(clock, FixedClock)
        clock.set(datetime(day.year, day.month, day.day, 12, tzinfo=UTC))
        plan = plan_retention(self.uow, self.organisation, env=self.env)
        sources = current_sources(self.uow, self.organisation).parsed().sources
        keys: dict[tuple[str, str], list[Any]] = {}
        for rule in plan.rules:
            for dataset in rule.datasets:
                for binding in dataset.bindings:
                    if binding.status != "planned":
                        continue
                    found = self._act_on(sources, dataset.dataset, binding)
                    # The plan's own count and its SQL tell one story.
                    assert len(found) == binding.to_act_on, (rule.rule, binding.table)
                    seen = self._seen.setdefault((rule.rule, binding.table), set())
                    keys[(rule.rule, binding.table)] = [k for k in found if k not in seen]
                    seen.update(found)
        return Swept(plan, keys)

    def _act_on(self, sources: SourcesFile, dataset: str, binding: BindingPlan) -> list[Any]:
        """The keys of the rows the plan acts on, read from its sample of key digests.

        The sample is the plan's own ``due AND NOT (any held)`` in the source, in key order
        (``sql.sample_keys``). A dry run deletes nothing, so rows found on an earlier day are
        found again: these tests keep to at most ``SAMPLE`` rows a binding in all, so the
        sample is every row. Not ``due_sql``/``held_sql`` run as text: compiled on their own,
        a condition on a related table (``EXISTS`` over the debtor's cases) loses its
        correlation to the row and matches every row (see the issue 20 note).
        """
        assert binding.to_act_on <= SAMPLE, "a test keeps to SAMPLE rows a binding in all"
        declared = next(
            b
            for b in sources.datasets[dataset]
            if b.connection == binding.connection and b.table == binding.table
        )
        url = self.env[sources.connections[binding.connection].url_from]
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                table = Table(binding.table, MetaData(), autoload_with=conn)
                every = list(conn.execute(select(table.c[declared.key])).scalars())
        finally:
            engine.dispose()
        by_digest = {key_digest(binding.connection, binding.table, k): k for k in every}
        return sorted(by_digest[d] for d in binding.sample)
