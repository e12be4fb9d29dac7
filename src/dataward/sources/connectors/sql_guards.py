"""A SQL source's guards: read-only at the database itself, foreign keys enforced while a
change runs, and a refusal recognised as a row other rows still point at."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection
from sqlalchemy import exc as sa_exc


def read_only_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only = ON")
    cursor.close()


def read_only_postgres(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
    cursor.close()
    dbapi_connection.commit()


@contextmanager
def foreign_keys_enforced(conn: Connection) -> Iterator[None]:
    """A SQLite source's declared foreign keys enforced while a change runs on ``conn``
    (outside a transaction: SQLite ignores the pragma inside one), as PostgreSQL always
    does: a row other rows still point at is refused, never left dangling. SQLite leaves
    them off by default, and its reads stay as they were."""
    if conn.dialect.name != "sqlite" or _pragma(conn, "PRAGMA foreign_keys"):
        yield
        return
    _pragma(conn, "PRAGMA foreign_keys = ON")
    try:
        yield
    finally:
        _pragma(conn, "PRAGMA foreign_keys = OFF")


def _pragma(conn: Connection, statement: str) -> Any:
    """A pragma run outside any transaction (the connection's own one, begun by
    SQLAlchemy for it, ends at once: the pragma itself is not transactional)."""
    result = conn.exec_driver_sql(statement)
    value = result.scalar() if result.returns_rows else None
    if conn.in_transaction():
        conn.commit()
    return value


def pointed_at(refused: sa_exc.IntegrityError) -> bool:
    """The source refused a change because other rows point at the row (a foreign key)."""
    if getattr(refused.orig, "sqlstate", None) == "23503":  # PostgreSQL foreign_key_violation
        return True
    return "FOREIGN KEY constraint failed" in str(refused.orig)  # SQLite


__all__ = ["foreign_keys_enforced", "pointed_at", "read_only_postgres", "read_only_sqlite"]
