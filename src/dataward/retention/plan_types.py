"""What a retention plan says: per rule, per covered dataset, per binding; and, for a
runner, the binding's conditions (``Conditions``), kept beside the counts but never
serialised."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Table, and_

from dataward.sources.models import Binding

SAMPLE = 5
"""Key digests of rows to act on shown per binding."""
NEXT_DAYS = 14
"""How far ahead the plan counts the days rows fall due."""


@dataclass(frozen=True)
class Conditions:
    """A binding's rows to act on, as SQL on its source: ``due AND NOT (any held)``. Kept for
    a runner (never serialised): it acts on exactly the rows the plan counted."""

    binding: Binding
    target: Table
    key: ColumnElement[Any]
    due: ColumnElement[bool]
    held: dict[str, ColumnElement[bool]]

    @property
    def act_on(self) -> ColumnElement[bool]:
        return and_(self.due, *(~c for c in self.held.values()))


@dataclass
class BindingPlan:
    """One binding of a covered dataset: what the rule makes due there today."""

    connection: str
    table: str
    status: str  # planned | skipped | waits | unsupported
    reason: str = ""
    due: int = 0
    held: dict[str, int] = field(default_factory=dict)
    held_any: int = 0
    next_due: list[tuple[date, int]] = field(default_factory=list)
    sample: list[str] = field(default_factory=list)
    unreadable: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    due_sql: str = ""
    held_sql: dict[str, str] = field(default_factory=dict)
    conditions: Conditions | None = field(default=None, repr=False, compare=False)
    # False in a run's plan for a database binding with rows to act on: its record counts
    # them when it finishes (``retention.tally``), not in a pass before acting.
    counted: bool = True

    @property
    def to_act_on(self) -> int:
        return self.due - self.held_any


@dataclass
class DatasetPlan:
    dataset: str
    status: str  # bound | not_bound | searched_by_hand | trigger_not_bound
    bindings: list[BindingPlan] = field(default_factory=list)
    reason: str = ""


@dataclass
class RulePlan:
    rule: str
    name: str
    action: str
    status: str  # planned | needs_decision | no_end | never_stored
    reason: str = ""
    cutoff: date | None = None
    triggers: list[str] = field(default_factory=list)
    latest_of_entity: bool = False
    datasets: list[DatasetPlan] = field(default_factory=list)
    subject_holds: int = 0
    restrictions: int = 0  # restrictions in force, when the rule treats them as holds


@dataclass
class RetentionPlan:
    organisation: str
    as_of: date
    register_version: int
    sources_version: int
    rules: list[RulePlan]
