"""Which columns of a source's table the database itself says are unique (reflection).

A hold bound on an entity's own table (a complaint on the case) reaches a row through the
row's reference to that entity (a recording's case, named by its ``case_ref``): the case
with that reference, then its complaints. Where the database says the reference column is
unique, the case with the row's reference is the row's own case, so the hold is checked on
it (``holds_sql``): a hold read on the case's own columns, on the row's case; one read on a
table pointing at the case's key (its complaints), straight from the row's own column
(``complaints.case_id = body_worn_video.case_id``), as a person would write it. Nothing is
assumed: without a primary key, a unique constraint or a unique index (not partial) on
that one column, the long path stays.
"""

from __future__ import annotations

import weakref
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect

from dataward.sources.connectors.sql import SqlConnector

_FOUND: weakref.WeakKeyDictionary[SqlConnector, dict[str, frozenset[str]]] = (
    weakref.WeakKeyDictionary()
)


def unique_columns(connector: SqlConnector, table: str) -> frozenset[str]:
    """The table's columns each unique on its own, as the database declares them; read
    once per connector and table. A database that cannot say gives none."""
    known = _FOUND.setdefault(connector, {})
    found = known.get(table)
    if found is None:
        found = _reflected(connector, table)
        known[table] = found
    return found


def _reflected(connector: SqlConnector, table: str) -> frozenset[str]:
    schema, _, name = table.rpartition(".")
    inspector = inspect(connector.engine)
    sets: list[list[Any]] = []
    try:
        primary = inspector.get_pk_constraint(name, schema=schema or None)
        sets.append(list(primary.get("constrained_columns") or []))
        sets.extend(
            list(u["column_names"])
            for u in inspector.get_unique_constraints(name, schema=schema or None)
        )
        sets.extend(
            list(i["column_names"])
            for i in inspector.get_indexes(name, schema=schema or None)
            if i.get("unique") and not _partial(i)
        )
    except (sa_exc.SQLAlchemyError, NotImplementedError):
        return frozenset()
    return frozenset(str(c[0]) for c in sets if len(c) == 1 and c[0] is not None)


def _partial(index: Any) -> bool:
    """A unique index over some rows only (``WHERE ...``) says nothing of the others."""
    options = index.get("dialect_options") or {}
    return any(key.endswith("_where") and value is not None for key, value in options.items())
