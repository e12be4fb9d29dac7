"""The retention plan of a file binding: rows of CSV or JSON files, and files (RET-01..03).

Files have no indexes and no SQL, so a file binding is read whole, a row (or a file) at a
time, and counted in Python: memory stays flat however large the export or the folder
(only what holds keep is held in memory: the held subjects' keys, the held cases' refs; and
for "the latest such event of the entity" the latest day per owner, read in a first pass).

Where each trigger's date comes from, never guessed:

- a CSV/JSON binding: the row's column its ``events:`` names (``2026-08-01`` or an ISO
  date-time; an empty field or ``null`` is no date yet);
- a ``files`` binding: a ``{placeholder}`` of its pattern (``bwv/{recorded_on}_{case}.mp4``),
  or the file's modification time in UK time, only where ``events:`` says ``modified`` in so
  many words (and the pattern has no placeholder of that name).

A trigger value that is not a date is counted and the binding skipped: never a partial
delete. Holds are those of a database binding, each a test on a row (``file_rows.py``); one
this binding cannot check skips it, never letting its rows look free.

There is no ``due_sql``: a runner asks the plan for its keys (``keys_to_act_on``), read again
with the same holds.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import exc as sa_exc

from dataward.clock import in_uk_time
from dataward.erasure.survey import key_digest
from dataward.register.models import RetentionRule
from dataward.register.models.retention import Offset
from dataward.retention import context as retention_context
from dataward.retention import plan_types
from dataward.retention.cutoff import cutoff, due_on
from dataward.retention.file_rows import NotADate, RowTest, day_of, row_holds
from dataward.sources.connectors.base import (
    Connector,
    Row,
    SourceMisfit,
    SourceUnavailable,
)
from dataward.sources.connectors.blobs import BlobConnector, every_file, placeholders
from dataward.sources.connectors.tabular import TabularConnector
from dataward.sources.models import Binding, Related

MODIFIED = "modified"
"""The event column of a ``files`` binding that names the file's modification time."""


@dataclass(frozen=True)
class _Trigger:
    event: str
    column: str
    modified: bool = False  # the file's modification time, in UK time

    def day(self, row: Row) -> date | NotADate | None:
        value = row.get(self.column)
        if self.modified and isinstance(value, datetime):
            return in_uk_time(value).date()
        return day_of(value)


@dataclass
class _Reading:
    """How a file binding's rows are read and judged: the same for the plan's counts and for
    the keys a runner acts on."""

    binding: Binding
    connector: TabularConnector | BlobConnector
    triggers: list[_Trigger]
    cut: date
    latest: bool
    owner: str | None
    holds: dict[str, RowTest]
    # The latest day per owner and trigger, and the owners with an event still to come:
    # "the latest such event of the entity" needs the owner's other rows (first pass).
    latest_days: dict[str, list[date | None]] = field(default_factory=dict)
    pending: set[str] = field(default_factory=set)

    def rows(self) -> Iterator[Row]:
        if isinstance(self.connector, BlobConnector):
            uses = any(t.modified for t in self.triggers)
            yield from every_file(self.connector, self.binding, modified=uses)
        else:
            yield from self.connector.rows(self.binding)

    def days(self, row: Row) -> list[date | None] | None:
        """The row's trigger days; None when one is not a date."""
        found = [t.day(row) for t in self.triggers]
        if any(isinstance(d, NotADate) for d in found):
            return None
        return [d for d in found if not isinstance(d, NotADate)]

    def owner_of(self, row: Row) -> str | None:
        if self.owner is None or not self.latest:
            return None
        value = row.get(self.owner)
        return None if value is None else str(value)

    def is_due(self, row: Row, days: list[date | None]) -> bool:
        owner = self.owner_of(row)
        for index, day in enumerate(days):
            if day is None or day > self.cut:
                continue
            if owner is None:
                return True
            last = self.latest_days.get(owner, [None] * len(days))[index]
            if last is None or last <= self.cut:
                return True
        return False

    def start(self, row: Row, days: list[date | None]) -> date | None:
        """The day the row's period starts: the earliest trigger, or its owner's latest."""
        owner = self.owner_of(row)
        if owner is not None:
            if owner in self.pending:
                return None
            days = self.latest_days.get(owner, days)
        found = [d for d in days if d is not None]
        return min(found) if found else None

    def held_by(self, row: Row) -> list[str]:
        labels = [label for label, test in self.holds.items() if test(row)]
        owner = self.owner_of(row)
        if owner is not None and owner in self.pending:
            labels.append(retention_context.EVENT_PENDING)
        return labels

    def keys_to_act_on(self) -> Iterator[Any]:
        """The keys of the rows due and held by nothing, read again from the source."""
        for row in self.rows():
            days = self.days(row)
            if days is not None and self.is_due(row, days) and not self.held_by(row):
                yield row.get(self.binding.key)


@dataclass
class FileBindingPlan(plan_types.BindingPlan):
    """A file binding's plan. No SQL: ``keys_to_act_on`` reads the rows to act on again."""

    reading: _Reading | None = field(default=None, repr=False, compare=False)

    def keys_to_act_on(self) -> Iterator[Any]:
        if self.reading is None or self.status != "planned":
            return iter(())
        return self.reading.keys_to_act_on()


def keys_to_act_on(binding: plan_types.BindingPlan) -> Iterator[Any]:
    """The keys a runner acts on in a planned file binding (a file's: its path); nothing for
    a binding that waits, was skipped, or is a database's (its ``due_sql`` says)."""
    if isinstance(binding, FileBindingPlan):
        return binding.keys_to_act_on()
    return iter(())


def plan_file_binding(
    context: retention_context.PlanContext,
    rule: RetentionRule,
    plan: plan_types.RulePlan,
    dataset: str,
    binding: Binding,
    connector: Connector,
) -> FileBindingPlan:
    """What the rule makes due in a CSV/JSON or files binding today (``plan_binding.plan_binding``
    hands every binding that is not a database table here)."""
    where = binding.pattern or binding.table or ""
    result = FileBindingPlan(binding.connection, where, "planned")
    if not isinstance(connector, TabularConnector | BlobConnector) or binding.pattern is None:
        result.status, result.reason = "unsupported", "this kind of source is not planned"
        return result
    assert plan.cutoff is not None
    try:
        if not connector.root.is_dir():
            raise SourceUnavailable(f"connection {binding.connection}: its folder is gone")
        reading = _reading(context, rule, plan, dataset, binding, connector, result)
        if reading is not None:
            _count(context, rule, reading, result)
    except SourceUnavailable:
        result.status, result.reason = "waits", f"source {binding.connection} cannot be reached"
    except sa_exc.OperationalError:
        # The database a hold is read on (a complaint open on the case) is down.
        result.status, result.reason = "waits", "a source its holds are read on cannot be reached"
    except (SourceMisfit, sa_exc.DBAPIError, ValueError, csv.Error) as misfit:
        # ValueError: a file that is not UTF-8 text, a CSV that is not CSV.
        message = misfit.message if isinstance(misfit, SourceMisfit) else "a file is unreadable"
        result.status, result.reason = "skipped", message
    except OSError:
        result.status, result.reason = "waits", f"source {binding.connection} cannot be read"
    if result.status != "planned":
        result.due, result.held, result.held_any, result.sample = 0, {}, 0, []
        result.next_due, result.reading = [], None
    return result


def _triggers(binding: Binding, events: list[str], files: bool) -> list[_Trigger]:
    names = placeholders(binding.pattern or "") if files else []
    found = []
    for event in events:
        spec = binding.events[event]
        if isinstance(spec, Related):
            raise SourceMisfit(
                f"trigger {event}: read on table {spec.table}, which a file binding does not "
                "follow: bind the date on the row"
            )
        if files and spec not in names and spec != MODIFIED:
            raise SourceMisfit(
                f"trigger {event}: {spec} is not a {{placeholder}} of the pattern; a file's date "
                f"is read from its path, or from its modification time where events say "
                f"{MODIFIED}"
            )
        found.append(_Trigger(event, spec, modified=files and spec not in names))
    return found


def _reading(
    context: retention_context.PlanContext,
    rule: RetentionRule,
    plan: plan_types.RulePlan,
    dataset: str,
    binding: Binding,
    connector: TabularConnector | BlobConnector,
    result: FileBindingPlan,
) -> _Reading | None:
    assert plan.cutoff is not None
    events = [e for e in plan.triggers if e in binding.events]
    if not events:
        result.status, result.reason = "skipped", "trigger not bound"
        return None
    files = isinstance(connector, BlobConnector)
    owner = binding.subject.via if binding.subject is not None else None
    reading = _Reading(
        binding,
        connector,
        _triggers(binding, events, files),
        plan.cutoff,
        plan.latest_of_entity,
        owner,
        row_holds(context, rule, dataset, binding, result.notes),
    )
    columns_seen: set[str] = set()
    rows = 0
    for row in reading.rows():
        rows += 1
        columns_seen.update(t.column for t in reading.triggers if t.column in row)
        if binding.key not in row:
            raise SourceMisfit(f"{binding.pattern}: a row has no key column {binding.key}")
        found = [t.day(row) for t in reading.triggers]
        for trigger, day in zip(reading.triggers, found, strict=True):
            if isinstance(day, NotADate):
                result.unreadable[trigger.event] = result.unreadable.get(trigger.event, 0) + 1
        owner_key = reading.owner_of(row)
        if owner_key is not None and not result.unreadable:
            _note_latest(reading, owner_key, found)
    missing = [t for t in reading.triggers if t.column not in columns_seen]
    if rows and missing:
        raise SourceMisfit(f"trigger {missing[0].event}: no column {missing[0].column}")
    if result.unreadable:
        result.status = "skipped"
        result.reason = "trigger values that are not dates: " + ", ".join(
            f"{event} {count}" for event, count in result.unreadable.items()
        )
        return None
    return reading


def _note_latest(reading: _Reading, owner: str, found: list[date | NotADate | None]) -> None:
    days = reading.latest_days.setdefault(owner, [None] * len(found))
    for index, day in enumerate(found):
        if day is None:
            reading.pending.add(owner)
        elif isinstance(day, date):
            current = days[index]
            days[index] = day if current is None or day > current else current


def _count(
    context: retention_context.PlanContext,
    rule: RetentionRule,
    reading: _Reading,
    result: FileBindingPlan,
) -> None:
    """One pass: due, held (per hold and any), the next days falling due, a sample."""
    offset = rule.offset if isinstance(rule.offset, Offset) else Offset(days=0)
    nation = context.register.controller.nation or retention_context.ANY_NATION
    today = context.today
    last = cutoff(offset, today + timedelta(days=plan_types.NEXT_DAYS), nation) or reading.cut
    result.held = dict.fromkeys(reading.holds, 0)
    if reading.latest and reading.owner is not None:
        result.held[retention_context.EVENT_PENDING] = 0
    by_day: dict[date, int] = {}
    sample: list[str] = []
    binding = reading.binding
    for row in reading.rows():
        days = reading.days(row)
        assert days is not None  # the first pass refused the binding otherwise
        start = reading.start(row, days)
        if start is not None and reading.cut < start <= last:
            falls = due_on(offset, start, nation) or start
            by_day[falls] = by_day.get(falls, 0) + 1
        if not reading.is_due(row, days):
            continue
        result.due += 1
        labels = reading.held_by(row)
        for label in labels:
            result.held[label] += 1
        if labels:
            result.held_any += 1
        else:
            sample = sorted({*sample, str(row.get(binding.key))})[: plan_types.SAMPLE]
    pattern = binding.pattern or ""
    result.sample = [key_digest(binding.connection, pattern, key) for key in sample]
    result.next_due = sorted(by_day.items())
    result.reading = reading
    result.notes.append("read a row at a time, no SQL: keys_to_act_on gives the keys")
