"""Many rows written in a few statements, for the batch paths (the audit chain's
``record_many``, the calendar recompute). Never commits.

SQLAlchemy's ``executemany`` runs every row through its parameter machinery (a dict, the
type processors) and psycopg then sends one statement per row in a pipeline: on 75,000
audit rows that was most of the recompute's time. Here the column types' own bind
processors run once per value, column by column, then:

- SQLite: the driver's ``executemany`` on one prepared statement (SQLite is in-process,
  so a statement per row costs little once the Python layers are gone);
- PostgreSQL: ``COPY`` (psycopg formats its rows in C): straight into the table for an
  insert; for an update, into a temporary table that one ``UPDATE ... FROM`` then joins.
  (Arrays with ``unnest`` were tried first: psycopg builds array literals in Python, and
  that cost more than the per-row statements.)

The values are the ones the ORM would write: the columns' types convert them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import JSON, Column, Table
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session

Row = Sequence[Any]


class JSONText(str):
    """A value already encoded as JSON: a JSON column stores this text as it is."""


def _columns(dialect: Dialect, columns: Sequence[Column[Any]], rows: Sequence[Row]) -> list[Any]:
    """The rows' values column by column, as the driver takes them: each column's bind
    processor (dates as text on SQLite, JSON as text) applied to every value, as
    SQLAlchemy would. Column-wise, so a column without a processor costs nothing."""
    values: list[Any] = list(zip(*rows, strict=True))
    for i, column in enumerate(columns):
        if isinstance(column.type, JSON):
            # The driver takes JSON as its text (COPY on PostgreSQL, where SQLAlchemy's
            # processor would wrap each value for psycopg to encode again in Python).
            values[i] = [_json_text(v) for v in values[i]]
            continue
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            values[i] = _each(process, values[i])
    return values


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    return str(value) if type(value) is JSONText else json.dumps(value)


def _each(process: Callable[[Any], Any], values: Sequence[Any]) -> list[Any]:
    """``process`` over ``values``, once per distinct value where they can be told apart
    (a batch's dates repeat: a few hundred distinct days for 75,000 rows)."""
    seen: dict[Any, Any] = {}
    try:
        return [seen[v] if v in seen else seen.setdefault(v, process(v)) for v in values]
    except TypeError:  # unhashable values (JSON documents): each on its own
        return list(map(process, values))


def _copy(connection: Connection, target: str, column_list: str, values: list[Any]) -> None:
    cursor = connection.connection.cursor()
    try:
        with cursor.copy(f"COPY {target} ({column_list}) FROM STDIN") as copy:
            for row in zip(*values, strict=True):
                copy.write_row(row)
    finally:
        cursor.close()


def insert_rows(session: Session, table: Table, names: Sequence[str], rows: Sequence[Row]) -> None:
    """INSERT ``rows`` (tuples in the order of ``names``) into ``table``."""
    if not rows:
        return
    session.flush()  # rows the ORM holds go first, as a session.execute would do
    connection = session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    target = dialect.identifier_preparer.format_table(table)
    column_list = ", ".join(quote(name) for name in names)
    values = _columns(dialect, [table.c[name] for name in names], rows)
    if dialect.name == "postgresql":
        _copy(connection, target, column_list, values)
        return
    marks = ", ".join("?" for _ in names)
    sql = f"INSERT INTO {target} ({column_list}) VALUES ({marks})"  # noqa: S608
    connection.exec_driver_sql(sql, list(zip(*values, strict=True)))


def update_rows(
    session: Session, table: Table, key: str, names: Sequence[str], rows: Sequence[Row]
) -> None:
    """UPDATE ``table`` SET ``names`` WHERE ``key`` matches; each row is (key, *values)."""
    if not rows:
        return
    session.flush()
    connection = session.connection()
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    target = dialect.identifier_preparer.format_table(table)
    values = _columns(dialect, [table.c[key], *(table.c[name] for name in names)], rows)
    if dialect.name == "postgresql":
        staged = quote(f"bulk_{table.name}")
        column_list = ", ".join(quote(name) for name in (key, *names))
        connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE {staged} ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {column_list} FROM {target} WITH NO DATA"
        )
        _copy(connection, staged, column_list, values)
        # Without statistics the planner guesses the staged table's size and may walk
        # the target once per staged row; ANALYZE of a few thousand rows costs little.
        connection.exec_driver_sql(f"ANALYZE {staged}")
        sets = ", ".join(f"{quote(name)} = {staged}.{quote(name)}" for name in names)
        connection.exec_driver_sql(
            f"UPDATE {target} SET {sets} FROM {staged} "  # noqa: S608
            f"WHERE {target}.{quote(key)} = {staged}.{quote(key)}"
        )
        connection.exec_driver_sql(f"DROP TABLE {staged}")
        return
    sets = ", ".join(f"{quote(name)} = ?" for name in names)
    sql = f"UPDATE {target} SET {sets} WHERE {quote(key)} = ?"  # noqa: S608
    # The key comes last in this statement's parameters.
    connection.exec_driver_sql(sql, list(zip(*values[1:], values[0], strict=True)))
