"""One SQL binding of a retention rule planned (RET-01..03): its due condition, each hold's
condition, and (unless a run's plan leaves them to the record) the counts, for a reader
the sample of keys, the next days rows fall due and the SQL text. Files and CSV/JSON
bindings are read a row at a time (``retention/files.py``). The rule and dataset around it
are planned in ``retention/plan.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, select
from sqlalchemy import exc as sa_exc

from dataward.erasure.survey import key_digest, retention_how_of
from dataward.register.models import RetentionRule
from dataward.register.models.retention import Offset
from dataward.retention import files, sql, sql_queries
from dataward.retention.batches import change_of, not_yet_changed
from dataward.retention.context import (
    ANY_NATION,
    EVENT_PENDING,
    PlanContext,
)
from dataward.retention.cutoff import cutoff, due_on
from dataward.retention.holds_sql import held_conditions
from dataward.retention.plan_types import (
    NEXT_DAYS,
    SAMPLE,
    BindingPlan,
    Conditions,
    RulePlan,
)
from dataward.retention.through import EntityTrigger, entity_trigger
from dataward.sources.connectors.base import (
    SourceMisfit,
    SourceUnavailable,
)
from dataward.sources.connectors.sql import SqlConnector
from dataward.sources.models import Binding


def plan_binding(
    context: PlanContext,
    rule: RetentionRule,
    plan: RulePlan,
    dataset: str,
    binding: Binding,
    *,
    count: bool = True,
) -> BindingPlan:
    where = binding.table or binding.pattern or ""
    result = BindingPlan(binding.connection, where, "planned")
    connector = context.connectors.get(binding.connection)
    if isinstance(connector, SourceUnavailable) or connector is None:
        result.status, result.reason = "waits", f"source {binding.connection} cannot be reached"
        return result
    if not isinstance(connector, SqlConnector) or binding.table is None:
        # CSV/JSON rows and files are read a row at a time (retention/files.py).
        return files.plan_file_binding(context, rule, plan, dataset, binding, connector)
    assert plan.cutoff is not None
    try:
        _fill(context, rule, plan, dataset, binding, connector, result, count=count)
    except SourceUnavailable:
        result.status, result.reason = "waits", f"source {binding.connection} cannot be reached"
    except SourceMisfit as misfit:
        result.status, result.reason = "skipped", misfit.message
    except sa_exc.OperationalError:
        result.status, result.reason = "waits", f"source {binding.connection} cannot be reached"
    except sa_exc.DBAPIError:
        result.status = "skipped"
        result.reason = "the source refused the query (a trigger column of the wrong type?)"
    return result


def _fill(
    context: PlanContext,
    rule: RetentionRule,
    plan: RulePlan,
    dataset: str,
    binding: Binding,
    connector: SqlConnector,
    result: BindingPlan,
    *,
    count: bool = True,
) -> None:
    assert binding.table is not None
    assert plan.cutoff is not None
    target = connector.table(binding.table)
    key = sql.column_of(connector, target, binding.key)
    # The trigger is read on the row's own table, or on its entity's (a payment's case).
    through = None
    if not set(plan.triggers) & set(binding.events):
        through = entity_trigger(context.register, context.sources, binding, plan.triggers)
        assert through is not None
    home = binding if through is None else through.home
    home_table = target if through is None else connector.table(str(home.table))
    events = [e for e in plan.triggers if e in home.events]
    triggers = sql.trigger_columns(connector, home_table, home, events)
    if count and not _readable(context, connector, triggers, result):
        return
    owner = None
    if home.subject is not None and home.subject.via in home_table.c:
        owner = (home_table, home.subject.via)
    due = _due(connector, plan, binding, target, key, home_table, home, triggers, through, owner)
    due = _not_done_already(rule, binding, target, due)
    held = held_conditions(context, rule, dataset, binding, connector, target, key, result.notes)
    if due.pending is not None:
        held[EVENT_PENDING] = due.pending
    found = Conditions(binding, target, key, due.rows, held)
    result.conditions = found
    if through is not None:
        result.notes.append(f"trigger read on the {through.entity} ({home.table})")
    if not count:
        return
    if not context.counts and sql_queries.any_row(connector, target, key, found.act_on):
        # A run: counted when its record finishes, not in a pass over the due rows first.
        result.counted = False
        return
    result.due, result.held, result.held_any = sql_queries.counts(connector, target, due.rows, held)
    if not context.for_reader:
        return
    result.due_sql = sql_queries.as_sql(connector, target, due.rows)
    result.held_sql = {label: sql_queries.as_sql(connector, target, c) for label, c in held.items()}
    keys = sql_queries.sample_keys(connector, target, key, found.act_on, SAMPLE)
    result.sample = [key_digest(binding.connection, binding.table, k) for k in keys]
    if through is None:
        latest = plan.latest_of_entity
        result.next_due = _next_due(
            context, rule, plan.cutoff, connector, target, key, triggers, latest, owner
        )
    else:
        result.notes.append(f"next dates: counted on the {through.entity}'s own binding")


def _readable(
    context: PlanContext,
    connector: SqlConnector,
    triggers: list[sql.TriggerColumn],
    result: BindingPlan,
) -> bool:
    """Whether every trigger column holds dates; else the binding is skipped, with counts.
    Each column is read once per plan (a case's column serves its payments, visits...)."""
    for trigger in triggers:
        column = (connector.name, trigger.table.name, trigger.column.name)
        if column not in context.unreadable:
            context.unreadable[column] = sql_queries.unreadable(connector, trigger)
        bad = context.unreadable[column]
        if bad is None:
            result.status = "skipped"
            result.reason = f"trigger {trigger.event}: column {trigger.column.name} is not a date"
            return False
        if bad:
            result.unreadable[trigger.event] = bad
    if result.unreadable:
        result.status = "skipped"
        result.reason = "trigger values that are not dates: " + ", ".join(
            f"{event} {n}" for event, n in result.unreadable.items()
        )
        return False
    return True


@dataclass(frozen=True)
class _Due:
    rows: ColumnElement[bool]
    pending: ColumnElement[bool] | None  # the entity has an event still to come: held


def _not_done_already(rule: RetentionRule, binding: Binding, target: Any, due: _Due) -> _Due:
    """A row whose columns already hold what the rule's end sets (anonymised by an earlier
    run) is done, not due: the run does not act on it again, so neither the plan, the
    evidence's "due" nor the console's overdue may count it."""
    change = change_of(rule.action or "", retention_how_of(binding))
    if any(name not in target.c for name in change.values):
        return due  # a column the source lacks: the run reports it, the plan counts as ever
    fresh = not_yet_changed(target, change)
    return due if fresh is None else _Due(and_(due.rows, fresh), due.pending)


def _due(
    connector: SqlConnector,
    plan: RulePlan,
    binding: Binding,
    target: Table,
    key: ColumnElement[Any],
    home_table: Table,
    home: Binding,
    triggers: list[sql.TriggerColumn],
    through: EntityTrigger | None,
    owner: tuple[Table, str] | None,
) -> _Due:
    assert plan.cutoff is not None
    home_key = sql.column_of(connector, home_table, home.key)
    due, pending = sql.due_condition(
        triggers, home_key, plan.cutoff, latest=plan.latest_of_entity, owner=owner
    )
    if through is not None:
        reference = sql.entity_reference(connector, target, binding, through.entity)
        assert reference is not None
        refs = sql.column_of(connector, home_table, through.column)
        due = sql.refers_to(reference, key, select(refs).where(due))
        if pending is not None:
            pending = sql.refers_to(reference, key, select(refs).where(pending))
    return _Due(due, pending)


def _next_due(
    context: PlanContext,
    rule: RetentionRule,
    cut: date,
    connector: SqlConnector,
    target: Any,
    key: ColumnElement[Any],
    triggers: list[sql.TriggerColumn],
    latest: bool,
    owner: tuple[Any, str] | None,
) -> list[tuple[date, int]]:
    """The days in the next fortnight rows fall due, and how many on each (set-based)."""
    offset = rule.offset if isinstance(rule.offset, Offset) else Offset(days=0)
    nation = context.register.controller.nation or ANY_NATION
    last = cutoff(offset, context.today + timedelta(days=NEXT_DAYS), nation) or cut
    by_day: dict[date, int] = {}
    found = sql_queries.next_trigger_days(
        connector, target, key, triggers, cut, last, latest=latest, owner=owner
    )
    for day, count in found.items():
        falls = due_on(offset, day, nation) or day
        by_day[falls] = by_day.get(falls, 0) + count
    return sorted(by_day.items())
