"""Many rows written in a few statements, for the batch paths (the audit chain's
``record_many``, the calendar recompute). Never commits.

SQLAlchemy's ``executemany`` runs every row through its parameter machinery (a dict, the
type processors) and psycopg then sends one statement per row in a pipeline: on 75,000
audit rows that was most of the recompute's time. Here the column types' own bind
processors run once per value, then:

- SQLite: the driver's ``executemany`` on one prepared statement (SQLite is in-process,
  so a statement per row costs little once the Python layers are gone);
- PostgreSQL: one statement per batch whose rows arrive as one array per column
  (``unnest``), which psycopg sends in binary, so the server parses a single statement.

The values are the same the ORM would write: the columns' types convert them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session

Row = Sequence[Any]
# Rows per statement on PostgreSQL: arrays of this length stay well under the server's
# message sizes, and fewer, larger statements gain nothing more.
PG_CHUNK = 5000


def _columns(dialect: Dialect, columns: Sequence[Column[Any]], rows: Sequence[Row]) -> list[Any]:
    """The rows' values column by column, as the driver takes them: each column's bind
    processor (dates as text on SQLite, JSON as text) applied to every value, as
    SQLAlchemy would. Column-wise, so a column without a processor costs nothing."""
    values: list[Any] = list(zip(*rows, strict=True))
    for i, column in enumerate(columns):
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        if process is not None:
            values[i] = list(map(process, values[i]))
    return values


def _array_type(dialect: Dialect, column: Column[Any]) -> str:
    return f"{column.type.compile(dialect=dialect)}[]"


def insert_rows(session: Session, table: Table, names: Sequence[str], rows: Sequence[Row]) -> None:
    """INSERT ``rows`` (tuples in the order of ``names``) into ``table``."""
    if not rows:
        return
    session.flush()  # rows the ORM holds go first, as a session.execute would do
    connection = session.connection()
    dialect = connection.dialect
    columns = [table.c[name] for name in names]
    quote = dialect.identifier_preparer.quote
    target = dialect.identifier_preparer.format_table(table)
    column_list = ", ".join(quote(name) for name in names)
    values = _columns(dialect, columns, rows)
    if dialect.name == "postgresql":
        arrays = ", ".join(f"%s::{_array_type(dialect, c)}" for c in columns)
        sql = f"INSERT INTO {target} ({column_list}) SELECT * FROM unnest({arrays})"  # noqa: S608
        _each_chunk(connection, sql, values)
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
    columns = [table.c[key], *(table.c[name] for name in names)]
    quote = dialect.identifier_preparer.quote
    target = dialect.identifier_preparer.format_table(table)
    values = _columns(dialect, columns, rows)
    if dialect.name == "postgresql":
        arrays = ", ".join(f"%s::{_array_type(dialect, c)}" for c in columns)
        aliases = ", ".join(f"v{i}" for i in range(len(columns)))
        sets = ", ".join(f"{quote(name)} = v.v{i + 1}" for i, name in enumerate(names))
        sql = (
            f"UPDATE {target} SET {sets} FROM unnest({arrays}) AS v({aliases}) "  # noqa: S608
            f"WHERE {target}.{quote(key)} = v.v0"
        )
        _each_chunk(connection, sql, values)
        return
    sets = ", ".join(f"{quote(name)} = ?" for name in names)
    sql = f"UPDATE {target} SET {sets} WHERE {quote(key)} = ?"  # noqa: S608
    # The key comes last in this statement's parameters.
    connection.exec_driver_sql(sql, list(zip(*values[1:], values[0], strict=True)))


def _each_chunk(connection: Connection, sql: str, values: list[Any]) -> None:
    """Run ``sql`` (one array parameter per column) over the columns, PG_CHUNK rows a time."""
    for start in range(0, len(values[0]), PG_CHUNK):
        connection.exec_driver_sql(sql, tuple(list(c[start : start + PG_CHUNK]) for c in values))
