"""What erasure keeps for a reason of law (ERA-02), decided for a batch of one binding's rows.

``kept_rows`` takes the rows of one binding the survey found and answers, for each row it
keeps, why (the plan's reason code) and the detail the DPO reads. Set-based: a batch costs
one query for the holds and, where a reference or a date sits in another table, one query
per relation; never one per row. Two reasons are decided here (the others are survey.py's):

* ``legal_hold``: a case-scope hold in force today on the case the row belongs to, over the
  dataset. The binding's ``entities:`` names the column (or the relation to it) holding the
  reference; a hold of the register's is matched on the entities it sits on (``on:``), a
  hold the register does not describe on every entity the binding names.
* ``legal_obligation`` / ``legal_claims``: a retention rule whose ``keeps_for`` says its
  period is a legal obligation to keep (or a legal-claims period), covering the dataset.
  Where the binding binds the rule's trigger event (``events:``), a row is kept while its
  date plus the rule's offset is after today, and goes once that day has come; a row whose
  event has not happened is kept. Where the trigger is not bound, or the period cannot be
  counted, every row is kept: the date could not be read, and it is never guessed. A rule
  without ``keeps_for`` keeps nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dataward.holds.engine import case_holds_in_force, covers
from dataward.holds.service import after
from dataward.register.lint_rules.retention import covers_dataset
from dataward.register.models import Register, RetentionRule
from dataward.register.models.retention import Offset, Trigger
from dataward.sources.connectors.base import Connector, Row
from dataward.sources.connectors.sql import SqlConnector
from dataward.sources.connectors.sql_related import entity_refs, first_related_dates
from dataward.sources.models import Binding
from dataward.uow import UnitOfWork


@dataclass(frozen=True)
class Kept:
    """Why one row stays: the plan's reason code and the words after it."""

    reason: str
    detail: str


@dataclass(frozen=True)
class Keeps:
    """What every batch of one survey reads: the register, today, where holds are."""

    uow: UnitOfWork
    organisation: str
    register: Register
    on: date

    def hold_entities(self, hold_id: str | None) -> list[str] | None:
        """The entities a register hold sits on; None for a hold the register lacks."""
        for hold in self.register.holds:
            if hold.id == hold_id:
                return list(hold.on)
        return None

    def keeping_rules(self, dataset: str) -> list[RetentionRule]:
        """The rules covering the dataset whose period the law makes the data keep."""
        found = next((d for d in self.register.datasets if d.id == dataset), None)
        if found is None:
            return []
        return [
            rule
            for rule in self.register.retention_rules
            if rule.keeps_for is not None and covers_dataset(rule, found)
        ]


def kept_rows(
    keeps: Keeps, dataset: str, binding: Binding, rows: Sequence[Row], connector: Connector
) -> dict[Any, Kept]:
    """Row key -> why it is kept, for the rows of one binding of ``dataset`` kept by a case
    hold or a legal obligation. Keys not in the answer may go (as far as this module says).
    """
    if not rows:
        return {}
    kept = _case_held(keeps, dataset, binding, rows, connector)
    for rule in keeps.keeping_rules(dataset):
        for key, why in _kept_by_rule(keeps, rule, binding, rows, connector).items():
            kept.setdefault(key, why)
    return kept


# Holds on a case ------------------------------------------------------------------------------


def _case_held(
    keeps: Keeps, dataset: str, binding: Binding, rows: Sequence[Row], connector: Connector
) -> dict[Any, Kept]:
    if not binding.entities:
        return {}
    refs = _references(binding, rows, connector)
    wanted = {str(ref) for by_entity in refs.values() for ref in by_entity.values()}
    if not wanted:
        return {}
    holds = [
        hold
        for hold in case_holds_in_force(keeps.uow, keeps.organisation, wanted, on=keeps.on)
        if dataset in hold.datasets
    ]
    rows_of: dict[tuple[str, str], list[Any]] = {}
    for key, by_entity in refs.items():
        for entity, ref in by_entity.items():
            rows_of.setdefault((entity, str(ref)), []).append(key)
    kept: dict[Any, Kept] = {}
    for hold in holds:
        entities = keeps.hold_entities(hold.hold_id)
        for entity in binding.entities if entities is None else entities:
            if hold.case_ref is None or not covers(hold, dataset, case_ref=hold.case_ref):
                continue
            for key in rows_of.get((entity, hold.case_ref), ()):
                kept.setdefault(key, Kept("legal_hold", f"case hold {hold.ref}"))
    return kept


def _references(
    binding: Binding, rows: Sequence[Row], connector: Connector
) -> dict[Any, dict[str, Any]]:
    """Row key -> entity -> its reference (rows without one are left out of that entity)."""
    found: dict[Any, dict[str, Any]] = {row[binding.key]: {} for row in rows}
    for entity, spec in binding.entities.items():
        if isinstance(spec, str):
            pairs: Mapping[Any, Any] = {row[binding.key]: row.get(spec) for row in rows}
        elif isinstance(connector, SqlConnector):
            pairs = entity_refs(connector, binding, spec, list(found))
        else:  # pragma: no cover - only SQL bindings are sorted row by row
            pairs = {}
        for key, ref in pairs.items():
            if ref is not None and key in found:
                found[key][entity] = ref
    return found


# Legal obligations to keep --------------------------------------------------------------------


def _kept_by_rule(
    keeps: Keeps, rule: RetentionRule, binding: Binding, rows: Sequence[Row], connector: Connector
) -> dict[Any, Kept]:
    assert rule.keeps_for is not None
    reason = rule.keeps_for.ground
    keys = [row[binding.key] for row in rows]
    trigger = rule.trigger if isinstance(rule.trigger, Trigger) else None
    bound = [event for event in (trigger.any_of if trigger else []) if event in binding.events]
    if not bound:
        unread = f"rule {rule.id}: its trigger is not bound here, the date could not be read"
        why = Kept(reason, unread)
        return dict.fromkeys(keys, why)
    if not isinstance(rule.offset, Offset) or rule.offset.as_soon_as_reasonably_necessary:
        why = Kept(reason, f"rule {rule.id}: its period could not be counted")
        return dict.fromkeys(keys, why)
    days = _trigger_days(binding, bound, rows, connector)
    if trigger is not None and trigger.latest_of_entity:
        # The clock runs from the latest such event: one still to happen keeps every row.
        known = [day for day in days.values() if day is not None]
        latest = max(known) if len(known) == len(days) else None
        days = dict.fromkeys(keys, latest)
    kept: dict[Any, Kept] = {}
    for key in keys:
        day = days.get(key)
        if day is None:
            kept[key] = Kept(reason, f"rule {rule.id}: no date for its trigger yet")
            continue
        ends = after(rule.offset, day, keeps.register)
        if ends is None or ends > keeps.on:
            kept[key] = Kept(reason, f"rule {rule.id}")
    return kept


def _trigger_days(
    binding: Binding, events: Collection[str], rows: Sequence[Row], connector: Connector
) -> dict[Any, date | None]:
    """Row key -> the first day any of the events happened (None: none has, or unreadable)."""
    keys = [row[binding.key] for row in rows]
    days: dict[Any, date | None] = dict.fromkeys(keys)
    for event in events:
        spec = binding.events[event]
        if isinstance(spec, str):
            values: Mapping[Any, Any] = {row[binding.key]: row.get(spec) for row in rows}
        elif isinstance(connector, SqlConnector):
            values = first_related_dates(connector, spec, keys)
        else:  # pragma: no cover - only SQL bindings are sorted row by row
            values = {}
        for key, value in values.items():
            day = _day(value)
            current = days.get(key)
            if day is not None and (current is None or day < current):
                days[key] = day
    return days


def _day(value: Any) -> date | None:
    """A source's date (a date, a timestamp, or ISO text); None when it cannot be read."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None
