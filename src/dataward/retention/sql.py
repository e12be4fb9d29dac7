"""The SQL of a retention plan, built on one SQL binding: the due condition, each hold's
condition, and the queries that count them. Set-based: every answer is one statement in the
source (a COUNT, a grouped count, a few keys), never a table read into memory.

Dates are compared as ``column < the day after the cutoff`` so a date and a timestamp
column read the same, and an index on the column serves the comparison.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    Alias,
    ColumnElement,
    DateTime,
    FromClause,
    Select,
    Table,
    and_,
    exists,
    false,
    literal_column,
    not_,
    or_,
    select,
)

from dataward.sources.connectors.base import SourceMisfit, relation_chain
from dataward.sources.connectors.sql import SqlConnector, family_of
from dataward.sources.models import Binding, EntityRelation, HoldRule, Related


@dataclass(frozen=True)
class TriggerColumn:
    """Where one bound trigger event's date is read, and how (the row's column or a related
    table's rows pointing at the row)."""

    event: str
    table: Table
    column: ColumnElement[Any]
    via: ColumnElement[Any] | None  # the related table's column pointing at the row's key


def column_of(connector: SqlConnector, table: Table | FromClause, name: str) -> ColumnElement[Any]:
    if name not in table.c:
        # An alias (a hop of a relation) is named by its table.
        named = table.element if isinstance(table, Alias) else table
        raise SourceMisfit(
            f"connection {connector.name}: table {getattr(named, 'name', '')} has no column {name}"
        )
    return table.c[name]


def boundary(column: ColumnElement[Any], cut: date) -> Any:
    """The first instant after the cutoff day, typed for the column."""
    nxt = cut + timedelta(days=1)
    if isinstance(column.type, DateTime):
        return datetime(nxt.year, nxt.month, nxt.day)
    return nxt


def trigger_columns(
    connector: SqlConnector, target: Table, binding: Binding, events: list[str]
) -> list[TriggerColumn]:
    found: list[TriggerColumn] = []
    for event in events:
        spec = binding.events[event]
        if isinstance(spec, str):
            found.append(TriggerColumn(event, target, column_of(connector, target, spec), None))
        else:
            assert isinstance(spec, Related)
            table = connector.table(spec.table)
            found.append(
                TriggerColumn(
                    event,
                    table,
                    column_of(connector, table, spec.column),
                    column_of(connector, table, spec.via),
                )
            )
    return found


def related_where(trigger: TriggerColumn, key: ColumnElement[Any]) -> ColumnElement[bool]:
    assert trigger.via is not None
    return trigger.via == key


def due_condition(
    triggers: list[TriggerColumn],
    key: ColumnElement[Any],
    cut: date,
    *,
    latest: bool,
    owner: tuple[Table, str] | None,
) -> tuple[ColumnElement[bool], ColumnElement[bool] | None]:
    """The rows due, and (for "the latest such event") those whose entity still has an event
    to come, which wait. Several triggers: whichever comes first (any past the cutoff)."""
    parts: list[ColumnElement[bool]] = []
    pending: list[ColumnElement[bool]] = []
    for trigger in triggers:
        edge = boundary(trigger.column, cut)
        if trigger.via is None:
            if latest and owner is not None:
                # The entity is the row's owner (a customer's cases): its latest event.
                table, via_name = owner
                other = table.alias("later")
                same = other.c[via_name] == table.c[via_name]
                later = exists().where(same, other.c[trigger.column.name] >= edge)
                parts.append(and_(trigger.column < edge, not_(later)))
                pending.append(exists().where(same, other.c[trigger.column.name].is_(None)))
            else:
                parts.append(trigger.column < edge)
        elif latest:
            link = related_where(trigger, key)
            past = exists().where(link, trigger.column < edge)
            later = exists().where(link, trigger.column >= edge)
            parts.append(and_(past, not_(later)))
            pending.append(exists().where(link, trigger.column.is_(None)))
        else:
            parts.append(exists().where(related_where(trigger, key), trigger.column < edge))
    return or_(*parts), (or_(*pending) if pending else None)


def open_condition(
    connector: SqlConnector,
    table: Table | Alias,
    key: ColumnElement[Any],
    rule: HoldRule,
    released_after: date | None,
) -> ColumnElement[bool]:
    """A hold predicate of the sources file open on the row; with ``released_after``, a hold
    closed on a day after it still holds (``restart_after``: "90 days after it closed")."""
    on = connector.table(rule.table) if rule.table is not None else table
    if rule.open_when_null is not None:
        column = column_of(connector, on, rule.open_when_null)
        predicate: ColumnElement[bool] = column.is_(None)
        if released_after is not None and family_of(column.type) in ("date", "datetime"):
            predicate = or_(predicate, column >= boundary(column, released_after))
    else:
        assert rule.open_when is not None
        predicate = column_of(connector, on, rule.open_when.column).in_(rule.open_when.in_)
    if rule.table is None:
        return predicate
    assert rule.via is not None
    return exists().where(column_of(connector, on, rule.via) == key, predicate)


Reference = tuple[ColumnElement[Any], Select[Any] | None]
"""A row's reference (to an entity, or to its subject's root) and, when it is read on a
related table, ``SELECT 1 FROM`` the related tables ``WHERE`` they are the row's own (a
subquery correlated to the row: ``reaches`` wraps a condition on the reference in it)."""


def entity_reference(
    connector: SqlConnector, target: Table, binding: Binding, entity: str
) -> Reference | None:
    """How a row reaches an entity's reference: a column of the row, or (the reference, the
    correlated walk to it) through a relation. None where the binding has none."""
    spec = binding.entities.get(entity)
    if spec is None:
        return None
    if isinstance(spec, str):
        return column_of(connector, target, spec), None
    assert isinstance(spec, EntityRelation)
    chain = relation_chain(spec)
    hops = chain if spec.column is not None else chain[:-1]
    last, through = _walk(connector, target, hops)
    return column_of(connector, last, spec.column or chain[-1].via), through


def subject_reference(connector: SqlConnector, target: Table, binding: Binding) -> Reference:
    """How a row reaches its subject's root key (the table whose identity columns find the
    subject, ``root_of``): the row's own key (it is the root), its column pointing at the root
    (one hop), or (the root key's column, the correlated walk to it) along the ``subject:``
    relation."""
    key = column_of(connector, target, binding.key)
    if binding.subject is None:
        return key, None
    chain = relation_chain(binding.subject)
    last, through = _walk(connector, target, chain[:-1])
    return column_of(connector, last, chain[-1].via), through


def _walk(
    connector: SqlConnector, target: Table, hops: list[Any]
) -> tuple[Any, Select[Any] | None]:
    """The last table of the hops from ``target`` and the correlated subquery joining them.

    Each hop is an alias: a hop back to the row's own table (or a condition on the same
    table inside it) stays a separate row, never correlated away to the row in hand."""
    current: Any = target
    source: Any = None
    link: ColumnElement[bool] | None = None
    for hop in hops:
        nxt = connector.table(hop.table).alias()
        on = column_of(connector, current, hop.via) == column_of(connector, nxt, hop.key)
        if source is None:
            source, link = nxt, on
        else:
            source = source.join(nxt, on)
        current = nxt
    if source is None or link is None:
        return current, None
    return current, select(literal_column("1")).select_from(source).where(link)


def reaches(reference: Reference, matched: ColumnElement[bool]) -> ColumnElement[bool]:
    """Rows whose reference satisfies ``matched``: on the row itself, or as a correlated
    ``EXISTS`` along the relation (an index looked up per row, where ``key IN (SELECT key
    FROM the row's table JOIN ...)`` read the whole join each time a statement ran)."""
    through = reference[1]
    if through is None:
        return matched
    return through.where(matched).exists()


def among(column: ColumnElement[Any], values: list[Any], size: int) -> ColumnElement[bool]:
    """``column IN (...)`` over batches of at most ``size`` literal values, OR-ed: the
    statement stays under a database's parameter limit and reads as plain SQL."""
    if not values:
        return false()
    ordered = sorted(values, key=repr)
    return or_(*(column.in_(ordered[i : i + size]) for i in range(0, len(ordered), size)))


def refers_to(
    reference: Reference,
    key: ColumnElement[Any],
    refs: Select[Any] | list[Any],
) -> ColumnElement[bool]:
    """Rows whose entity reference is among ``refs`` (values or a subquery)."""
    value = reference[0]
    if not isinstance(refs, list):
        matched = _among_query(value, key, refs)
    elif not refs:
        return false()
    else:
        matched = value.in_(refs)
    return reaches(reference, matched)


def _among_query(
    value: ColumnElement[Any], key: ColumnElement[Any], refs: Select[Any]
) -> ColumnElement[bool]:
    """``value`` among the subquery's one column, as a correlated ``EXISTS`` (the subquery
    narrowed to ``value``, an index on its column looked up per row; ``value IN (subquery)``
    reads the whole subquery each time a statement runs). A subquery over the row's own
    table stays an ``IN``: as an ``EXISTS`` it would be correlated to the row in hand."""
    froms = refs.get_final_froms()
    if any(getattr(c, "table", None) in froms for c in (value, key)):
        return value.in_(refs.scalar_subquery())
    return refs.where(refs.selected_columns[0] == value).exists()
