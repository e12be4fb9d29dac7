"""What a file row says to the retention plan: the day a trigger value names, and the
holds that keep the row (RET-02, RES-01, ERA-02), each a test on one row.

The holds are those of a database binding (``plan.py``, whose helpers these reuse), read on
a row of a CSV/JSON file or on a file's path: a legal hold on a record, a case (the row's
entity column) or a subject (its keys along the row's relation, or its identity columns), a
restriction where the rule says it holds, the rule's holds read on the row
(``base.hold_open_on``) or on the entity's own database binding (a complaint open on the
case, its refs read once). What cannot be checked here raises ``SourceMisfit`` (the binding
is skipped) or ``SourceUnavailable`` (it waits): never a row that only looks free.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from dataward.holds.models import LegalHold
from dataward.register.models import RetentionRule
from dataward.retention import context as retention_context
from dataward.retention import holds_sql, sql
from dataward.sources.connectors.base import (
    IdentityValues,
    Row,
    SourceMisfit,
    SourceUnavailable,
    hold_open_on,
    root_of,
)
from dataward.sources.connectors.sql import SqlConnector
from dataward.sources.connectors.tabular import subject_match
from dataward.sources.models import Binding, HoldRule

RowTest = Callable[[Row], bool]


class NotADate:
    """A trigger value that cannot be read as a date."""


NOT_A_DATE = NotADate()


def day_of(value: Any) -> date | NotADate | None:
    """The day a trigger value names: None for no date yet, NOT_A_DATE when unreadable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        return NOT_A_DATE
    text = value.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
        if len(text) > 10 and text[10] in "T ":
            return datetime.fromisoformat(text).date()
    except ValueError:
        return NOT_A_DATE
    return NOT_A_DATE


# Holds ---------------------------------------------------------------------------------------


def row_holds(
    context: retention_context.PlanContext,
    rule: RetentionRule,
    dataset: str,
    binding: Binding,
    notes: list[str],
) -> dict[str, RowTest]:
    """Each hold that may keep this binding's rows, as a test on a row."""
    held: dict[str, RowTest] = {}
    for hold in context.holds:
        if dataset not in hold.datasets or not holds_sql.holding(hold, rule, context):
            continue
        label = f"legal_hold:{hold.ref}"
        test = _legal_hold(context, label, hold, binding, notes)
        if test is not None:
            held[label] = test
    if rule.restriction_is_hold and context.restricted:
        label = retention_context.RESTRICTION
        values = holds_sql.subject_values(context, label, context.restricted)
        test = _subject_test(context, label, values, binding, notes)
        if test is not None:
            held[label] = test
    for hold_id in rule.holds:
        released = holds_sql.released_on(context, hold_id)
        own = binding.holds.get(hold_id)
        if own is not None:
            held[hold_id] = _open_on_row(hold_id, own, released)
            continue
        through = _open_on_entity(context, hold_id, binding, released)
        if through is not None:
            held[hold_id] = through
        else:
            notes.append(f"hold {hold_id}: not bound for this table, cannot be checked")
    return held


def _legal_hold(
    context: retention_context.PlanContext,
    label: str,
    hold: LegalHold,
    binding: Binding,
    notes: list[str],
) -> RowTest | None:
    if hold.scope == "subject" and hold.subject_id:
        values = holds_sql.subject_values(context, label, [hold.subject_id])
        return _subject_test(context, label, values, binding, notes)
    if hold.scope == "record" and hold.record_ref:
        record, key = hold.record_ref, binding.key
        return lambda row: str(row.get(key)) == record
    if hold.scope == "case" and hold.case_ref:
        entities = holds_sql.hold_entities(context.register, hold.hold_id)
        columns = []
        for entity in entities or list(binding.entities):
            spec = binding.entities.get(entity)
            if spec is None:
                continue
            if not isinstance(spec, str):
                raise SourceMisfit(
                    f"{label}: the case is reached through table {spec.table}, which a file "
                    "binding does not follow; the hold cannot be checked"
                )
            columns.append(spec)
        if not columns:
            notes.append(f"{label}: no case reference bound here to match it")
            return None
        case = hold.case_ref
        return lambda row: any(str(row.get(c)) == case for c in columns)
    return None


def _subject_test(
    context: retention_context.PlanContext,
    label: str,
    values: IdentityValues,
    binding: Binding,
    notes: list[str],
) -> RowTest | None:
    """Rows of the held subjects: their keys in the root table (found once per plan, as for
    a database binding) along the row's relation, or the row's own identity columns."""
    if not values:
        notes.append(f"{label}: the held subject has no identities to match rows")
    root = root_of(context.sources, binding)
    if root is None and not binding.identities:
        notes.append(f"{label}: no identity bound here to match the held subjects")
        return None
    keys: list[Any] = []
    if root is not None:
        keys = holds_sql.held_root_keys(context, label, root, values)
    test = subject_match(binding.connection, binding, keys, values)
    return test if test is not None else (lambda row: False)


def _open_on_row(hold_id: str, rule: HoldRule, released: date | None) -> RowTest:
    if rule.table is not None:
        raise SourceMisfit(
            f"hold {hold_id}: read on table {rule.table}, which a file binding does not follow;"
            " the hold cannot be checked"
        )
    closing = rule.open_when_null

    def is_open(row: Row) -> bool:
        if hold_open_on(rule, row, text=True):
            return True
        if released is None or closing is None:
            return False
        closed = day_of(row.get(closing))
        return isinstance(closed, date) and closed > released

    return is_open


def _open_on_entity(
    context: retention_context.PlanContext, hold_id: str, binding: Binding, released: date | None
) -> RowTest | None:
    """A hold bound on the entity's own database table (a complaint on the case): the refs
    of the entities it is open on, read once; the row's entity column among them."""
    for entity in holds_sql.hold_entities(context.register, hold_id) or []:
        column = binding.entities.get(entity)
        if not isinstance(column, str):
            continue
        for bindings in context.sources.datasets.values():
            for home in bindings:
                spec = home.entities.get(entity)
                rule = home.holds.get(hold_id)
                if rule is None or not isinstance(spec, str) or home.table is None:
                    continue
                connector = context.connectors.get(home.connection)
                if not isinstance(connector, SqlConnector):
                    raise SourceUnavailable(f"connection {home.connection} cannot be reached")
                table = connector.table(home.table)
                key = sql.column_of(connector, table, home.key)
                is_open = sql.open_condition(connector, table, key, rule, released)
                query = select(sql.column_of(connector, table, spec)).where(is_open)
                with connector.engine.connect() as conn:
                    refs = {str(v) for v in conn.execute(query).scalars() if v is not None}
                name = column
                return lambda row: str(row.get(name)) in refs
    return None
