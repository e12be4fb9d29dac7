"""Reads along a SQL binding's relations, a batch of keys a query: the keys a related
table's row holds open, the entity reference a row's relation reaches, and the earliest date
of related rows (the erasure executor's keeps and survey, the retention plan)."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.sql import FromClause

from dataward.sources.connectors.base import BATCH_SIZE, batches, relation_chain
from dataward.sources.models import Binding, EntityRelation, HoldRule, Related

if TYPE_CHECKING:
    from dataward.sources.connectors.sql import SqlConnector


def keys_held_by_related(
    connector: SqlConnector, rule: HoldRule, keys: Collection[Any], batch_size: int = BATCH_SIZE
) -> set[Any]:
    """Of ``keys``, those a related table's row (``rule.table`` by ``rule.via``) holds open."""
    assert rule.table is not None
    assert rule.via is not None
    table = connector.table(rule.table)
    via = connector.column(table, rule.via)
    if rule.open_when_null is not None:
        open_now = connector.column(table, rule.open_when_null).is_(None)
    else:
        assert rule.open_when is not None
        open_now = connector.column(table, rule.open_when.column).in_(rule.open_when.in_)
    query = select(via).where(via.in_(bindparam("keys", expanding=True)), open_now).distinct()
    held: set[Any] = set()
    with connector.connect() as conn:
        for batch in batches(keys, batch_size):
            held.update(conn.execute(query, {"keys": batch}).scalars())
    return held


def entity_refs(
    connector: SqlConnector,
    binding: Binding,
    relation: EntityRelation,
    keys: Collection[Any],
    batch_size: int = BATCH_SIZE,
) -> dict[Any, Any]:
    """Row key -> the entity reference its relation reaches (a recording's visit's case).

    One query per batch of keys: the binding's table joined along the relation, the last
    table's ``column`` (default: the last hop's ``via``, which equals its key) read."""
    assert binding.table is not None
    target = connector.table(binding.table)
    key = connector.column(target, binding.key)
    source: FromClause = target
    current = target
    chain = relation_chain(relation)
    needs_last = relation.column is not None
    hops = chain if needs_last else chain[:-1]
    for hop in hops:
        nxt = connector.table(hop.table)
        source = source.join(
            nxt, connector.column(current, hop.via) == connector.column(nxt, hop.key)
        )
        current = nxt
    value = (
        connector.column(current, relation.column)
        if relation.column is not None
        else connector.column(current, chain[-1].via)
    )
    query = select(key, value).select_from(source).where(key.in_(bindparam("keys", expanding=True)))
    found: dict[Any, Any] = {}
    with connector.connect() as conn:
        for batch in batches(keys, batch_size):
            found.update((row[0], row[1]) for row in conn.execute(query, {"keys": batch}))
    return found


def first_related_dates(
    connector: SqlConnector, related: Related, keys: Collection[Any], batch_size: int = BATCH_SIZE
) -> dict[Any, Any]:
    """Row key -> the earliest ``related.column`` of the related rows pointing at it (an
    evidence file's first assessment). One grouped query per batch of keys."""
    table = connector.table(related.table)
    via = connector.column(table, related.via)
    column = connector.column(table, related.column)
    query = (
        select(via, func.min(column))
        .where(via.in_(bindparam("keys", expanding=True)), column.is_not(None))
        .group_by(via)
    )
    found: dict[Any, Any] = {}
    with connector.connect() as conn:
        for batch in batches(keys, batch_size):
            found.update((row[0], row[1]) for row in conn.execute(query, {"keys": batch}))
    return found


__all__ = ["entity_refs", "first_related_dates", "keys_held_by_related"]
