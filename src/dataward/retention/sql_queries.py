"""The queries of a retention plan on one SQL binding: the counts (due, held by each
hold), whether any row is to act on, sample keys, the days rows fall due next, the
non-date check of a trigger column, and a condition as the source's SQL text. The
conditions they read are built in ``retention/sql.py``; every answer is one statement in
the source, never a table read into memory.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    Table,
    case,
    cast,
    exists,
    func,
    literal_column,
    not_,
    or_,
    select,
)

from dataward.retention.sql import TriggerColumn, boundary, related_where
from dataward.sources.connectors.sql import SqlConnector, family_of


def unreadable(connector: SqlConnector, trigger: TriggerColumn) -> int | None:
    """Values of the trigger column that are not dates (None: the column is not a date
    column on a database that types its columns, so nothing in it can be read as one)."""
    dialect = connector.engine.dialect.name
    family = family_of(trigger.column.type)
    if dialect != "sqlite":
        return 0 if family in ("date", "datetime") else None
    # SQLite stores any value in any column: count the ones its date() cannot read.
    query = select(func.count()).where(
        trigger.column.is_not(None), func.date(trigger.column).is_(None)
    )
    with connector.engine.connect() as conn:
        return int(conn.execute(query.select_from(trigger.table)).scalar_one())


def counts(
    connector: SqlConnector,
    table: Table,
    due: ColumnElement[bool],
    holds: dict[str, ColumnElement[bool]],
) -> tuple[int, dict[str, int], int]:
    """One statement: rows due, due rows each hold keeps, due rows any hold keeps.

    The due rows grouped by which holds keep them: each hold is read once per due row (a
    column per hold and one for "any" read each twice), and the few groups are added up
    here."""
    flags = [
        case((condition, 1), else_=0).label(f"h{i}") for i, condition in enumerate(holds.values())
    ]
    if not flags:
        query: Select[Any] = select(func.count()).select_from(table).where(due)
        with connector.engine.connect() as conn:
            return int(conn.execute(query).scalar_one()), {}, 0
    rows = select(*flags).select_from(table).where(due).subquery()
    grouped = select(func.count(), *rows.c).group_by(*rows.c)
    total, held_any = 0, 0
    held = dict.fromkeys(holds, 0)
    with connector.engine.connect() as conn:
        for number, *kept in conn.execute(grouped):
            total += int(number)
            if any(kept):
                held_any += int(number)
            for label, flag in zip(holds, kept, strict=True):
                if flag:
                    held[label] += int(number)
    return total, held, held_any


def any_row(
    connector: SqlConnector,
    table: Table,
    key: ColumnElement[Any],
    condition: ColumnElement[bool],
) -> bool:
    """Whether any row meets the condition: the first found ends the read."""
    query = select(key).select_from(table).where(condition).limit(1)
    with connector.engine.connect() as conn:
        return conn.execute(query).first() is not None


def sample_keys(
    connector: SqlConnector,
    table: Table,
    key: ColumnElement[Any],
    condition: ColumnElement[bool],
    limit: int,
) -> list[Any]:
    query = select(key).select_from(table).where(condition).order_by(key).limit(limit)
    with connector.engine.connect() as conn:
        return list(conn.execute(query).scalars())


def day_of(connector: SqlConnector, value: ColumnElement[Any]) -> ColumnElement[Any]:
    """The calendar day of a date or timestamp value, typed as a date."""
    if connector.engine.dialect.name == "sqlite":
        return func.date(value, type_=Date)
    return cast(value, Date)


def _earliest(days: list[ColumnElement[Any]]) -> ColumnElement[Any]:
    """The earliest of several days, ignoring nulls (SQLite's min() and PostgreSQL's
    LEAST() disagree on nulls: a CASE reads the same on both)."""
    found = days[0]
    for other in days[1:]:
        found = case(
            (found.is_(None), other),
            (or_(other.is_(None), found <= other), found),
            else_=other,
        )
    return found


def next_trigger_days(
    connector: SqlConnector,
    target: Table,
    key: ColumnElement[Any],
    triggers: list[TriggerColumn],
    after: date,
    until: date,
    *,
    latest: bool,
    owner: tuple[Table, str] | None,
) -> dict[date, int]:
    """Rows by the day that starts their period, for days in (after, until]: one grouped
    count over the row's effective trigger day, worked out in the source.

    Several triggers: the earliest (whichever comes first). A related table's events: the
    first of them, or with ``latest`` the last of them (an entity with an event still to
    come is left out: it is held, not falling due). The latest of a row's owner: the last
    day among the owner's rows.
    """
    days: list[ColumnElement[Any]] = []
    pending: list[ColumnElement[bool]] = []
    for trigger in triggers:
        if trigger.via is None:
            if latest and owner is not None:
                table, via_name = owner
                other = table.alias("later")
                same = other.c[via_name] == table.c[via_name]
                column = other.c[trigger.column.name]
                days.append(select(func.max(column)).where(same).scalar_subquery())
                pending.append(exists().where(same, column.is_(None)))
            else:
                days.append(trigger.column)
        else:
            link = related_where(trigger, key)
            pick = func.max if latest else func.min
            days.append(select(pick(trigger.column)).where(link).scalar_subquery())
            if latest:
                pending.append(exists().where(link, trigger.column.is_(None)))
    effective = _earliest([day_of(connector, d) for d in days])
    inner = select(effective.label("day")).select_from(target)
    if pending:
        inner = inner.where(not_(or_(*pending)))
    if len(triggers) == 1 and triggers[0].via is None and not latest:
        # One column on the row: the window itself, which an index on it serves.
        column = triggers[0].column
        inner = inner.where(column >= boundary(column, after), column < boundary(column, until))
    rows = inner.subquery()
    query = (
        select(rows.c.day, func.count())
        .where(rows.c.day > after, rows.c.day <= until)
        .group_by(rows.c.day)
    )
    found: dict[date, int] = {}
    with connector.engine.connect() as conn:
        for value, count in conn.execute(query):
            parsed = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
            found[parsed] = found.get(parsed, 0) + int(count)
    return found


def as_sql(connector: SqlConnector, table: Table, condition: ColumnElement[bool]) -> str:
    """The condition as the source's SQL with its values inline, for a runner and a reader:
    a WHERE clause over ``table``.

    Compiled inside ``SELECT 1 FROM table WHERE ...`` and cut after the outer WHERE: compiled
    on its own, a condition on a related table (an EXISTS over the debtor's cases) would
    carry the row's own table into its inner FROM and stop looking at the row in hand."""
    statement: Select[Any] = select(literal_column("1")).select_from(table).where(condition)
    compiled = str(
        statement.compile(dialect=connector.engine.dialect, compile_kwargs={"literal_binds": True})
    )
    # The outer WHERE comes first: subqueries only appear inside the clause itself.
    return compiled.split("\nWHERE ", 1)[1]
