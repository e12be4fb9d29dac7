"""The held conditions of a retention plan (RET-02, RES-01, ERA-02), per binding: which of
the due rows a hold keeps, as SQL on the source, one condition per hold label.

- ``legal_hold:<ref>``: a legal hold of dataward's own, on a subject, a case or a record;
- ``restriction``: a restriction in force, for a rule where ``restriction_is_hold``;
- ``<hold id>``: a hold of the rule read on the source, on the row or on its entity.

A subject's identity values find its keys in the root table once per plan; the conditions
carry keys (the organisation's own ids), never an identity value.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Alias, ColumnElement, Table, and_, or_, select

from dataward.holds.models import LegalHold
from dataward.register.models import Register, RetentionRule
from dataward.register.models.retention import Offset, RestartAfter
from dataward.requests.source_search import subject_identities
from dataward.retention import sql
from dataward.retention.context import ANY_NATION, RESTRICTION, PlanContext
from dataward.retention.cutoff import countable, cutoff, due_on
from dataward.retention.unique import unique_columns
from dataward.sources.connectors.base import (
    BATCH_SIZE,
    IdentityValues,
    Root,
    SourceUnavailable,
    relation_chain,
    root_of,
)
from dataward.sources.connectors.sql import SqlConnector
from dataward.sources.models import Binding, EntityRelation, Relation
from dataward.subjects.models import Subject
from dataward.subjects.service import survivor


def holding(hold: LegalHold, rule: RetentionRule, context: PlanContext) -> bool:
    """Whether a legal hold still keeps data today (open, or its closure still holds)."""
    if hold.closed_on is None or hold.closed_on > context.today:
        return True
    if hold.on_close == "keep":
        return True
    if hold.on_close == "restart_after":
        return (hold.release_on or hold.closed_on) > context.today
    if hold.on_close == "restart_rule":
        if not isinstance(rule.offset, Offset) or context.register.controller.nation is None:
            return True
        restarted = due_on(rule.offset, hold.closed_on, context.register.controller.nation)
        return restarted is None or restarted > context.today
    return False


def hold_entities(register: Register, hold_id: str | None) -> list[str] | None:
    for hold in register.holds:
        if hold.id == hold_id:
            return list(hold.on)
    return None


def held_conditions(
    context: PlanContext,
    rule: RetentionRule,
    dataset: str,
    binding: Binding,
    connector: SqlConnector,
    target: Any,
    key: ColumnElement[Any],
    notes: list[str],
) -> dict[str, ColumnElement[bool]]:
    held: dict[str, ColumnElement[bool]] = {}
    # Legal holds of dataward's own (ERA-02): a record, or a case the row belongs to.
    for hold in context.holds:
        if dataset not in hold.datasets or not holding(hold, rule, context):
            continue
        label = f"legal_hold:{hold.ref}"
        if hold.scope == "subject" and hold.subject_id:
            values = subject_values(context, label, [hold.subject_id])
            found = _subject_condition(
                context, label, values, binding, connector, target, key, notes
            )
            if found is not None:
                held[label] = found
        elif hold.scope == "record" and hold.record_ref:
            held[label] = key.in_([_typed(key, hold.record_ref)])
        elif hold.scope == "case" and hold.case_ref:
            entities = hold_entities(context.register, hold.hold_id) or list(binding.entities)
            parts = []
            for entity in entities:
                reference = sql.entity_reference(connector, target, binding, entity)
                if reference is not None:
                    parts.append(sql.refers_to(reference, key, [hold.case_ref]))
            if parts:
                held[label] = or_(*parts)
            else:
                notes.append(f"{label}: no case reference bound here to match it")
    # RES-01: a restriction in force keeps the subject's rows, where the rule says so.
    if rule.restriction_is_hold and context.restricted:
        values = subject_values(context, RESTRICTION, context.restricted)
        found = _subject_condition(
            context, RESTRICTION, values, binding, connector, target, key, notes
        )
        if found is not None:
            held[RESTRICTION] = found
    # The rule's holds, read on the source: on the row, or on the entity it belongs to.
    for hold_id in rule.holds:
        released = released_on(context, hold_id)
        own = binding.holds.get(hold_id)
        if own is not None:
            held[hold_id] = sql.open_condition(connector, target, key, own, released)
            continue
        via_entity = _held_through_entity(
            context, hold_id, binding, connector, target, key, released
        )
        if via_entity is not None:
            held[hold_id] = via_entity
        else:
            notes.append(f"hold {hold_id}: not bound for this table, cannot be checked")
    return held


def subject_values(context: PlanContext, label: str, subject_ids: list[str]) -> IdentityValues:
    """The held subjects' identity values from dataward's subject store (the survivor of a
    merge; a shredded subject has none), merged by kind. Kept in memory for this plan only:
    never logged, never in the plan's output."""
    cached = context.values.get(label)
    if cached is not None:
        return cached
    merged: dict[str, list[Any]] = {}
    seen: set[tuple[str, Any]] = set()
    for subject_id in subject_ids:
        subject = context.uow.session.get(Subject, subject_id)
        if subject is None:
            continue
        keep = survivor(context.uow, subject)
        if keep.shredded_at is not None:
            continue
        for kind, found in subject_identities(context.uow, keep).items():
            for value in found:
                if (kind, value) not in seen:
                    seen.add((kind, value))
                    merged.setdefault(kind, []).append(value)
    context.values[label] = merged
    return merged


def _subject_condition(
    context: PlanContext,
    label: str,
    values: IdentityValues,
    binding: Binding,
    connector: SqlConnector,
    target: Any,
    key: ColumnElement[Any],
    notes: list[str],
) -> ColumnElement[bool] | None:
    """Rows of the held subjects: set-based, like the erasure survey's lookup.

    The subjects' identity values find their keys in the root table once per plan (batched
    ``IN`` lists); the binding's rows reach those keys along its ``subject:`` relation, or
    its own identity columns find its keys directly. The condition carries keys (ids of the
    organisation's own systems), never an identity value, so ``held_sql`` is plain SQL a
    runner can run and a reader can read.
    """
    if not values:
        notes.append(f"{label}: the held subject has no identities to match rows")
    root = root_of(context.sources, binding)
    own = binding.identities if binding.subject is not None else {}
    if root is None and not own:
        notes.append(f"{label}: no identity bound here to match the held subjects")
        return None
    parts: list[ColumnElement[bool]] = []
    if root is not None:
        keys = held_root_keys(context, label, root, values)
        reference = sql.subject_reference(connector, target, binding)
        parts.append(sql.reaches(reference, sql.among(reference[0], keys, BATCH_SIZE)))
    if own:
        assert binding.table is not None
        mine = list(connector.subject_keys(binding.table, binding.key, own, values))
        parts.append(sql.among(key, mine, BATCH_SIZE))
    return or_(*parts)


def released_on(context: PlanContext, hold_id: str) -> date | None:
    """For a register hold that restarts a period after closing: the last closing day
    already released today (closed after it, the hold still keeps the row); else None."""
    found = next((h for h in context.register.holds if h.id == hold_id), None)
    if found is None or not isinstance(found.on_close, RestartAfter):
        return None
    offset = found.on_close.restart_after
    if not countable(offset):
        return None
    return cutoff(offset, context.today, context.register.controller.nation or ANY_NATION)


def held_root_keys(
    context: PlanContext, label: str, root: Root, values: IdentityValues
) -> list[Any]:
    """The held subjects' keys in the root table (``debtors``), found once per plan and
    hold label, whatever binding or kind of source asks."""
    marker = (label, root.connection, root.table, root.key)
    keys = context.root_keys.get(marker)
    if keys is None:
        finder = context.connectors.get(root.connection)
        if finder is None or isinstance(finder, SourceUnavailable):
            # A hold that cannot be checked must not let its rows look free: the binding waits.
            raise SourceUnavailable(f"connection {root.connection} cannot be reached")
        keys = list(finder.subject_keys(root.table, root.key, root.identities, values))
        context.root_keys[marker] = keys
    return keys


def _held_through_entity(
    context: PlanContext,
    hold_id: str,
    binding: Binding,
    connector: SqlConnector,
    target: Any,
    key: ColumnElement[Any],
    released: date | None,
) -> ColumnElement[bool] | None:
    """A hold bound on the entity's own table (a complaint on the case) reaching this row
    through the row's reference to that entity (a recording's case)."""
    entities = hold_entities(context.register, hold_id) or []
    for entity in entities:
        reference = sql.entity_reference(connector, target, binding, entity)
        if reference is None:
            continue
        for bindings in context.sources.datasets.values():
            for home in bindings:
                spec = home.entities.get(entity)
                rule = home.holds.get(hold_id)
                if (
                    rule is None
                    or not isinstance(spec, str)
                    or home.connection != binding.connection
                    or home.table is None
                ):
                    continue
                table = connector.table(home.table)
                own = _own_entity_row(connector, reference, table, spec)
                if own is not None:
                    # The reference is unique: the entity with the row's reference is the
                    # row's own (the case it points at), its hold checked there.
                    hop = _single_hop(binding, entity)
                    if (
                        rule.table is not None
                        and rule.table != binding.table  # never correlated to the row itself
                        and hop is not None
                        and hop.key == home.key
                    ):
                        # The hold is read on a table pointing at the case's key, which the
                        # row's own column holds: the complaints of the row's case_id.
                        via = sql.column_of(connector, target, hop.via)
                        return sql.open_condition(connector, target, via, rule, released)
                    own_key = sql.column_of(connector, own, home.key)
                    is_open = sql.open_condition(connector, own, own_key, rule, released)
                    return sql.reaches(reference, and_(reference[0].is_not(None), is_open))
                home_key = sql.column_of(connector, table, home.key)
                is_open = sql.open_condition(connector, table, home_key, rule, released)
                refs = select(sql.column_of(connector, table, spec)).where(is_open)
                return sql.refers_to(reference, key, refs)
    return None


def _single_hop(binding: Binding, entity: str) -> Relation | None:
    """The one hop from the row to its entity's table (``case_id`` -> ``cases.id``), when
    the entity's reference is a column of the table one hop away."""
    spec = binding.entities.get(entity)
    if not isinstance(spec, EntityRelation) or spec.column is None:
        return None
    chain = relation_chain(spec)
    return chain[0] if len(chain) == 1 else None


def _own_entity_row(
    connector: SqlConnector, reference: sql.Reference, table: Table, column: str
) -> Alias | None:
    """The row's own entity row (the walk's last table) when the walk ends on the entity's
    own table at its reference column and the database says that column is unique: the
    entity with that reference is then that very row. Else None (the long path: the
    entities whose reference is the row's)."""
    value, through = reference
    last = getattr(value, "table", None)
    if through is None or not isinstance(last, Alias) or last.element is not table:
        return None
    if value.name != column or column not in unique_columns(connector, str(table.fullname)):
        return None
    return last


def _typed(key: ColumnElement[Any], value: str) -> Any:
    if key.type.python_type is int:
        try:
            return int(value)
        except ValueError:
            return value
    return value
