"""Database engine and the declarative base shared by every domain's tables."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, MetaData, TypeDecorator, create_engine, event, exc
from sqlalchemy.engine import Dialect, Engine, make_url
from sqlalchemy.orm import DeclarativeBase, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on both backends: SQLite would otherwise hand back naive values."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("dataward stores timezone-aware datetimes only")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the one writer; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


# Connections kept open per engine. The web server answers up to 40 requests at once on
# its thread pool; with SQLAlchemy's default of 5, every request beyond the fifth opened a
# connection (a backend process on PostgreSQL, the pragmas on SQLite) and closed it
# again, which cost more than the request itself. Beyond this, connections still open
# on demand (up to POOL_OVERFLOW more) and close when returned.
POOL_SIZE = 20
POOL_OVERFLOW = 20


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False},
            pool_size=POOL_SIZE,
            max_overflow=POOL_OVERFLOW,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW)
    dialect = engine.dialect

    def ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("checked_in_at")
        if returned is not None and time.monotonic() - returned < PING_AFTER_IDLE_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool discards this connection and checks out another (or a new one).
            raise exc.DisconnectionError("the pooled connection is gone") from error

    event.listen(engine, "checkout", ping_if_idle)
    event.listen(engine, "checkin", _note_checkin)
    return engine


# A pooled connection is pinged before use only if it sat unused this long (as HikariCP
# does). A database restart kills idle connections, and the ping finds them; a connection
# handed back a moment ago is alive, and pinging it anyway (SQLAlchemy's pool_pre_ping)
# cost a round trip on every request. Should the server restart within this window, one
# query fails and the pool throws its connections away, as SQLAlchemy does on any
# disconnect.
PING_AFTER_IDLE_SECONDS = 1.0


def _note_checkin(_dbapi_connection: Any, record: Any) -> None:
    record.info["checked_in_at"] = time.monotonic()


def make_session_factory(engine: Engine) -> sessionmaker[Any]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def values_table(dialect: str, param: str) -> str:
    """A FROM item ``v`` whose column ``value`` holds the strings bound as ``param``.

    Queries join their tables to it (``... CROSS JOIN t WHERE t.col = v.value``), so one
    statement text serves a list of any length, bound as one JSON array (``list_param``)
    that the server unpacks in C. An expanding ``IN`` renders (and makes the server
    parse) a new statement for every length; a PostgreSQL array parameter costs the
    driver a Python call per element; and ``col = ANY(:list)`` was planned as a filter
    over a whole index range. Joined to a list, both planners seek once per value.
    """
    if dialect == "postgresql":
        return f"json_array_elements_text(CAST(:{param} AS json)) AS v(value)"
    return f"json_each(:{param}) AS v"


def list_param(values: Iterable[str]) -> str:
    """The bound value ``values_table`` expects: the strings as one JSON array."""
    return json.dumps(list(values))
