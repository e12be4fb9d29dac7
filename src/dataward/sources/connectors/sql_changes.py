"""Writes to a SQL source (erasure, retention), set-based: one statement per change per
batch of keys, every change of a call in ONE transaction, so a source is changed completely
or not at all."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, delete, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.sql import Delete, Update

from dataward.sources.connectors.base import BATCH_SIZE, RowChange, SourceUnavailable, batches

if TYPE_CHECKING:
    from dataward.sources.connectors.sql import SqlConnector


def apply_changes(
    connector: SqlConnector, changes: Sequence[RowChange], batch_size: int = BATCH_SIZE
) -> list[int]:
    """Apply the changes in order (children before parents) in one transaction.

    Returns the rows each change touched. Refused on a read-only connection before any
    statement; a database that cannot be reached rolls everything back (SourceUnavailable).
    """
    return apply_change_batches(
        connector, [(change, batches(change.keys, batch_size)) for change in changes]
    )


def apply_change_batches(
    connector: SqlConnector,
    changes: Sequence[tuple[RowChange, Iterable[Sequence[Any]]]],
    batch_size: int = BATCH_SIZE,
) -> list[int]:
    """``apply_changes`` with each change's keys streamed: an iterable of key batches, read
    lazily inside the one transaction (the erasure executor sorts the rows it reads a batch
    at a time), so the keys of a million rows are never all in memory. ``RowChange.keys``
    is ignored here."""
    connector.write_guard()
    statements: list[Delete | Update] = []
    for change, _ in changes:
        table = connector.table(change.table)
        key = connector.column(table, change.key)
        if change.delete:
            statements.append(delete(table).where(key.in_(bindparam("keys", expanding=True))))
        else:
            values = {connector.column(table, c).name: v for c, v in change.values.items()}
            statements.append(
                update(table).where(key.in_(bindparam("keys", expanding=True))).values(values)
            )
    touched: list[int] = []
    try:
        with connector.engine.connect() as conn:
            level = conn.dialect.default_isolation_level or "SERIALIZABLE"
            conn = conn.execution_options(isolation_level=level)
            with conn.begin():
                for (_, keys), statement in zip(changes, statements, strict=True):
                    count = 0
                    for batch in keys:
                        for start in range(0, len(batch), batch_size):
                            part = list(batch[start : start + batch_size])
                            count += conn.execute(statement, {"keys": part}).rowcount
                    touched.append(count)
    except sa_exc.OperationalError:
        raise SourceUnavailable(
            f"connection {connector.name}: the database cannot be reached"
        ) from None
    return touched


__all__ = ["apply_change_batches", "apply_changes"]
