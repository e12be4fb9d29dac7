"""SQL sources through SQLAlchemy Core: reflected tables, set-based lookups, streamed rows.

Only the tables a sources file names are reflected. A read-only connection is read-only at
the database too (``PRAGMA query_only`` on SQLite, ``default_transaction_read_only`` on
PostgreSQL), so even a bug in dataward cannot write through it.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from itertools import combinations
from typing import Any, ClassVar

from sqlalchemy import (
    Boolean,
    Column,
    Connection,
    Date,
    DateTime,
    Engine,
    Float,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    and_,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    inspect,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.engine.reflection import ObjectKind
from sqlalchemy.sql import ColumnElement, Delete, FromClause, Select, Update
from sqlalchemy.types import TypeEngine

from dataward.sources.connectors.base import (
    BATCH_SIZE,
    ColumnDescription,
    Description,
    IdentityColumns,
    IdentityValues,
    Row,
    RowChange,
    SourceMisfit,
    SourceUnavailable,
    TableDescription,
    TypeFamily,
    batches,
    guard_write,
    identity_match,
    relation_chain,
)
from dataward.sources.models import Binding, EntityRelation, HoldRule, Related, Relation


def family_of(column_type: TypeEngine[Any]) -> TypeFamily:
    """The broad kind of a column's type, for comparing keys and checking event dates."""
    if isinstance(column_type, Boolean):
        return "boolean"
    if isinstance(column_type, Integer):
        return "integer"
    if isinstance(column_type, DateTime):
        return "datetime"
    if isinstance(column_type, Date):
        return "date"
    if isinstance(column_type, Numeric | Float):
        return "number"
    if isinstance(column_type, String):
        return "string"
    return "other"


def _split(table: str) -> tuple[str | None, str]:
    schema, _, name = table.rpartition(".")
    return (schema or None), name


def _read_only_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only = ON")
    cursor.close()


def _read_only_postgres(dbapi_connection: Any, _record: Any) -> None:
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


class SqlConnector:
    """One database of the organisation's, opened read-only unless the file says otherwise."""

    kinds: ClassVar[tuple[str, ...]] = ("sql",)

    def __init__(self, name: str, url: str, *, read_only: bool = True) -> None:
        self.name = name
        self.read_only = read_only
        try:
            parsed = make_url(url)
        except sa_exc.ArgumentError:
            raise SourceUnavailable(f"connection {name}: its URL is not a database URL") from None
        try:
            # Autocommit: reads need no transaction, so no BEGIN or ROLLBACK round trips;
            # only a stream past the first page opens one (a server-side cursor needs it).
            self.engine: Engine = create_engine(parsed, isolation_level="AUTOCOMMIT")
        except (sa_exc.ArgumentError, sa_exc.NoSuchModuleError, ImportError):
            raise SourceUnavailable(
                f"connection {name}: no driver for a {parsed.get_backend_name()} database"
            ) from None
        if read_only:
            backend = parsed.get_backend_name()
            if backend == "sqlite":
                event.listen(self.engine, "connect", _read_only_sqlite)
            elif backend == "postgresql":
                event.listen(self.engine, "connect", _read_only_postgres)
        self._tables: dict[str, Table] = {}
        self._by_value: dict[tuple[str, str, str], Select[Any]] = {}
        self._plans: dict[
            tuple[int, tuple[str, ...] | None],
            tuple[Binding, tuple[Table, ColumnElement[Any], Select[Any]]],
        ] = {}
        self._metadata = MetaData()

    # Describing -----------------------------------------------------------------------------

    def describe(self, bindings: Sequence[Binding] = ()) -> Description:
        tables: dict[str, TableDescription] = {}
        try:
            inspector = inspect(self.engine)
            for table in tables_named(bindings):
                schema, name = _split(table)
                if not inspector.has_table(name, schema=schema):
                    continue
                columns = {
                    c["name"]: ColumnDescription(
                        c["name"], family_of(c["type"]), str(c["type"]), bool(c["nullable"])
                    )
                    for c in inspector.get_columns(name, schema=schema)
                }
                indexes: list[tuple[str, ...]] = []
                pk = inspector.get_pk_constraint(name, schema=schema)
                if pk and pk.get("constrained_columns"):
                    indexes.append(tuple(pk["constrained_columns"]))
                for unique in inspector.get_unique_constraints(name, schema=schema):
                    indexes.append(tuple(unique["column_names"]))
                for index in inspector.get_indexes(name, schema=schema):
                    indexes.append(tuple(c for c in index["column_names"] if c is not None))
                tables[table] = TableDescription(table, columns, tuple(indexes))
        except sa_exc.OperationalError:
            raise SourceUnavailable(
                f"connection {self.name}: the database cannot be reached"
            ) from None
        return Description(tables=tables)

    # Lookups --------------------------------------------------------------------------------

    def reflect(self, names: Iterable[str]) -> None:
        """Read ahead the columns of the tables not read yet, one query per schema where the
        dialect answers for many tables at once (PostgreSQL: a table a query otherwise, the
        most of a small erasure's plan there). SQLite reads a table per PRAGMA anyway. A
        table not found here is read, or refused, when first used (``table``)."""
        if self.engine.dialect.name == "sqlite":
            return
        wanted: dict[str | None, list[str]] = {}
        for name in dict.fromkeys(names):
            if name not in self._tables:
                schema, bare = _split(name)
                wanted.setdefault(schema, []).append(bare)
        try:
            inspector = inspect(self.engine)
            for schema, bare_names in wanted.items():
                if len(bare_names) < 2:
                    continue
                found = inspector.get_multi_columns(
                    schema=schema, filter_names=bare_names, kind=ObjectKind.ANY
                )
                for (_, bare), described in found.items():
                    name = f"{schema}.{bare}" if schema else bare
                    self._tables[name] = self._columns_table(bare, schema, described)
        except sa_exc.OperationalError:
            raise SourceUnavailable(
                f"connection {self.name}: the database cannot be reached"
            ) from None

    def _columns_table(self, bare: str, schema: str | None, described: Any) -> Table:
        return Table(
            bare,
            self._metadata,
            *(Column(c["name"], c["type"], nullable=c["nullable"]) for c in described),
            schema=schema,
        )

    def table(self, name: str) -> Table:
        found = self._tables.get(name)
        if found is None:
            schema, bare = _split(name)
            try:
                # Columns only (names and types: all a lookup or a change needs), one query
                # per table: a full reflection also reads keys, indexes and constraints and
                # the tables foreign keys point at (about eight queries a table).
                described = inspect(self.engine).get_columns(bare, schema=schema)
                found = self._columns_table(bare, schema, described)
            except sa_exc.NoSuchTableError:
                raise SourceMisfit(f"connection {self.name}: no table {name}") from None
            except sa_exc.OperationalError:
                raise SourceUnavailable(
                    f"connection {self.name}: the database cannot be reached"
                ) from None
            self._tables[name] = found
        return found

    def _column(self, table: Table, name: str) -> ColumnElement[Any]:
        if name not in table.c:
            raise SourceMisfit(f"connection {self.name}: table {table.name} has no column {name}")
        return table.c[name]

    def _match(
        self, table: Table, names: tuple[str, ...], values: list[Any]
    ) -> ColumnElement[bool]:
        columns = [self._column(table, n) for n in names]
        if len(columns) == 1:
            return columns[0].in_([_coerce(columns[0], v) for v in values])
        return tuple_(*columns).in_(
            [tuple(_coerce(c, x) for c, x in zip(columns, v, strict=True)) for v in values]
        )

    def _together(self, table: Table, together: Sequence[IdentityColumns]) -> ColumnElement[bool]:
        """Rows where two of the together kinds match at once (any pair, the person's values
        each): ``(name IN .. AND dob IN ..) OR (name IN .. AND address IN ..) OR ...``."""
        matched = [self._match(table, names, list(wanted)) for names, wanted in together]
        return or_(*(and_(a, b) for a, b in combinations(matched, 2)))

    def subject_keys(
        self, table: str, key: str, identities: Mapping[str, Any], values: IdentityValues
    ) -> set[Any]:
        root = self.table(table)
        key_column = self._column(root, key)
        match = identity_match(identities, values)
        found: set[Any] = set()
        with self._connect() as conn:
            for names, wanted in match.alone:
                for batch in batches(wanted, BATCH_SIZE):
                    if len(names) == 1:
                        column = self._column(root, names[0])
                        query = self._by_value.get((table, key, names[0]))
                        if query is None:
                            query = select(key_column).where(
                                column.in_(bindparam("values", expanding=True))
                            )
                            self._by_value[(table, key, names[0])] = query
                        params = {"values": [_coerce(column, v) for v in batch]}
                        found.update(conn.execute(query, params).scalars())
                    else:
                        query = select(key_column).where(self._match(root, names, batch))
                        found.update(conn.execute(query).scalars())
            if match.together:
                # One query: a person's name, address or date of birth are few values.
                query = select(key_column).where(self._together(root, match.together))
                found.update(conn.execute(query).scalars())
        return found

    def rows_for(
        self,
        binding: Binding,
        root_keys: Collection[Any],
        values: IdentityValues,
        batch_size: int = BATCH_SIZE,
        columns: Collection[str] | None = None,
    ) -> Iterator[Row]:
        target, key, by_keys = self._plan(binding, columns)
        read = by_keys.selected_columns
        match = identity_match(binding.identities, values) if binding.subject else None
        own = [
            select(*read).where(self._match(target, names, batch))
            for names, wanted in (match.alone if match else ())
            for batch in batches(wanted, batch_size)
        ]
        if match and match.together:
            own.append(select(*read).where(self._together(target, match.together)))
        seen: set[Any] | None = set() if own else None
        with self._connect() as conn:
            for batch in batches(root_keys, batch_size):
                for row in self._stream(conn, by_keys, {"keys": batch}, batch_size):
                    if seen is not None:
                        seen.add(row[key.name])
                    yield row
            for query in own:
                for row in self._stream(conn, query.order_by(key), {}, batch_size):
                    if seen is not None and row[key.name] in seen:
                        continue
                    if seen is not None:
                        seen.add(row[key.name])
                    yield row

    def _plan(
        self, binding: Binding, columns: Collection[str] | None = None
    ) -> tuple[Table, ColumnElement[Any], Select[Any]]:
        """The binding's table, key, and its query by root keys reading ``columns`` (and
        the key; every column when None), built once, then reused."""
        wanted = None if columns is None else tuple(dict.fromkeys([binding.key, *columns]))
        cached = self._plans.get((id(binding), wanted))
        if cached is not None and cached[0] is binding:
            return cached[1]
        if binding.table is None:
            raise SourceMisfit(f"connection {self.name}: a SQL binding needs a table")
        target = self.table(binding.table)
        key = self._column(target, binding.key)
        # Joins along the relation, all but its last hop: the last table's key equals the
        # previous table's ``via``, so the filter goes there and the root is never read.
        source: FromClause = target
        current = target
        chain = relation_chain(binding.subject)
        for relation in chain[:-1]:
            nxt = self.table(relation.table)
            source = source.join(
                nxt,
                self._column(current, relation.via) == self._column(nxt, relation.key),
            )
            current = nxt
        last_via = (
            self._column(current, chain[-1].via) if chain else self._column(target, binding.key)
        )
        read = [target] if wanted is None else [self._column(target, c) for c in wanted]
        by_keys = (
            select(*read)
            .select_from(source)
            .where(last_via.in_(bindparam("keys", expanding=True)))
            .order_by(key)
        )
        plan = (target, key, by_keys)
        self._plans[(id(binding), wanted)] = (binding, plan)
        return plan

    @staticmethod
    def _stream(
        conn: Any, ordered: Select[Any], params: dict[str, Any], batch_size: int
    ) -> Iterator[Row]:
        """A query's rows (ordered by key), ``batch_size`` at most in memory.

        Most subjects have a few rows per table: a plain query with ``LIMIT batch_size + 1``
        answers in one round trip. Only when it fills up are the rest streamed through a
        server-side cursor (``yield_per``), past the first page in key order.
        """
        # Plain tuples zipped with the column names: a row mapping per row costs about
        # three times as much for the same dict.
        page = conn.execute(_first_page(ordered, batch_size), params)
        names = list(page.keys())
        first = page.all()
        yield from (dict(zip(names, row, strict=True)) for row in first[:batch_size])
        if len(first) <= batch_size:
            return
        with conn.engine.connect() as streaming:
            level = conn.dialect.default_isolation_level or "SERIALIZABLE"
            streaming = streaming.execution_options(isolation_level=level)
            with streaming.begin():
                rest = streaming.execution_options(yield_per=batch_size).execute(
                    ordered.offset(batch_size), params
                )
                names = list(rest.keys())
                for part in rest.partitions():  # fetchmany: a page per call, not a row
                    for row in part:
                        yield dict(zip(names, row, strict=True))

    def sample(self, table: str, column: str, limit: int = 20) -> list[Any]:
        """Up to ``limit`` non-null values of a column (the check looks for their files)."""
        found = self.table(table)
        target = self._column(found, column)
        query = select(target).where(target.is_not(None)).limit(limit)
        with self._connect() as conn:
            return list(conn.execute(query).scalars())

    def write_guard(self) -> None:
        """Call before any write (erasure, retention): a read-only connection refuses."""
        guard_write(self.name, self.read_only)

    def _connect(self) -> Any:
        try:
            return self.engine.connect()
        except sa_exc.OperationalError:
            raise SourceUnavailable(
                f"connection {self.name}: the database cannot be reached"
            ) from None

    def close(self) -> None:
        self.engine.dispose()

    # Rectification (REC-01) -----------------------------------------------------------------
    # One block of its own: the erasure executor's writes live in their own block.

    def update_columns(
        self, table: str, key_column: str, keys: Collection[Any], values: Mapping[str, Any]
    ) -> int:
        """Set ``values`` (column -> new value) on the rows of ``table`` whose ``key_column``
        is one of ``keys``, all in one transaction; returns how many rows changed.

        Refused on a read-only connection, before anything is read.
        """
        self.write_guard()
        target = self.table(table)
        key = self._column(target, key_column)
        if not values:
            raise SourceMisfit(f"connection {self.name}: no column to change in {table}")
        if key_column in values:
            raise SourceMisfit(
                f"connection {self.name}: the key column {key_column} is not changed"
            )
        new = {name: _coerce(self._column(target, name), value) for name, value in values.items()}
        changed = 0
        try:
            with self._connect() as conn:
                # The engine autocommits reads; a write of several batches is one transaction.
                level = conn.dialect.default_isolation_level or "SERIALIZABLE"
                conn = conn.execution_options(isolation_level=level)
                with conn.begin():
                    for batch in batches(keys, BATCH_SIZE):
                        statement = (
                            update(target)
                            .where(key.in_([_coerce(key, k) for k in batch]))
                            .values(new)
                        )
                        changed += conn.execute(statement).rowcount
        except (sa_exc.IntegrityError, sa_exc.DataError):
            raise SourceMisfit(
                f"connection {self.name}: {table} refused the new value (its type or a constraint)"
            ) from None
        except sa_exc.OperationalError:
            raise SourceUnavailable(
                f"connection {self.name}: the database cannot be reached"
            ) from None
        return changed


def tables_named(bindings: Iterable[Binding]) -> list[str]:
    """Every table the bindings read: their own, along their relations, entities, events and
    holds; each once, in order."""
    names: list[str] = []
    for binding in bindings:
        if binding.table is not None:
            names.append(binding.table)
        relation, passed = binding.subject, set[str]()
        while relation is not None and relation.table not in passed:
            passed.add(relation.table)  # a loop stops here; the check reports it
            names.append(relation.table)
            relation = relation.then
        for reference in binding.entities.values():
            hop: Relation | None = None if isinstance(reference, str) else reference
            crossed: set[str] = set()
            while hop is not None and hop.table not in crossed:
                crossed.add(hop.table)  # a loop stops here; the check reports it
                names.append(hop.table)
                hop = hop.then
        names.extend(e.table for e in binding.events.values() if not isinstance(e, str))
        names.extend(h.table for h in binding.holds.values() if h.table is not None)
    return list(dict.fromkeys(names))


_FIRST_PAGES: dict[tuple[int, int], tuple[Select[Any], Select[Any]]] = {}


def _first_page(ordered: Select[Any], batch_size: int) -> Select[Any]:
    """``ordered`` limited to a page and one row more, built once per statement: a statement
    object reused keeps its cache key, so executing it again compiles nothing."""
    marker = (id(ordered), batch_size)
    found = _FIRST_PAGES.get(marker)
    if found is None or found[0] is not ordered:
        if len(_FIRST_PAGES) > 4096:
            _FIRST_PAGES.clear()
        found = (ordered, ordered.limit(batch_size + 1))
        _FIRST_PAGES[marker] = found
    return found[1]


def _coerce(column: ColumnElement[Any], value: Any) -> Any:
    """ISO strings for date columns (identity values arrive as text)."""
    if isinstance(value, str):
        family = family_of(column.type)
        try:
            if family == "date":
                return date.fromisoformat(value)
            if family == "datetime":
                return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


# Writes (erasure, retention) ------------------------------------------------------------------
# Set-based: one statement per change per batch of keys, every change of a call in ONE
# transaction, so a source is changed completely or not at all.


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
        key = connector._column(table, change.key)
        if change.delete:
            statements.append(delete(table).where(key.in_(bindparam("keys", expanding=True))))
        else:
            values = {connector._column(table, c).name: v for c, v in change.values.items()}
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


def keys_held_by_related(
    connector: SqlConnector, rule: HoldRule, keys: Collection[Any], batch_size: int = BATCH_SIZE
) -> set[Any]:
    """Of ``keys``, those a related table's row (``rule.table`` by ``rule.via``) holds open."""
    assert rule.table is not None
    assert rule.via is not None
    table = connector.table(rule.table)
    via = connector._column(table, rule.via)
    if rule.open_when_null is not None:
        open_now = connector._column(table, rule.open_when_null).is_(None)
    else:
        assert rule.open_when is not None
        open_now = connector._column(table, rule.open_when.column).in_(rule.open_when.in_)
    query = select(via).where(via.in_(bindparam("keys", expanding=True)), open_now).distinct()
    held: set[Any] = set()
    with connector._connect() as conn:
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
    key = connector._column(target, binding.key)
    source: FromClause = target
    current = target
    chain = relation_chain(relation)
    needs_last = relation.column is not None
    hops = chain if needs_last else chain[:-1]
    for hop in hops:
        nxt = connector.table(hop.table)
        source = source.join(
            nxt, connector._column(current, hop.via) == connector._column(nxt, hop.key)
        )
        current = nxt
    value = (
        connector._column(current, relation.column)
        if relation.column is not None
        else connector._column(current, chain[-1].via)
    )
    query = select(key, value).select_from(source).where(key.in_(bindparam("keys", expanding=True)))
    found: dict[Any, Any] = {}
    with connector._connect() as conn:
        for batch in batches(keys, batch_size):
            found.update((row[0], row[1]) for row in conn.execute(query, {"keys": batch}))
    return found


def first_related_dates(
    connector: SqlConnector, related: Related, keys: Collection[Any], batch_size: int = BATCH_SIZE
) -> dict[Any, Any]:
    """Row key -> the earliest ``related.column`` of the related rows pointing at it (an
    evidence file's first assessment). One grouped query per batch of keys."""
    table = connector.table(related.table)
    via = connector._column(table, related.via)
    column = connector._column(table, related.column)
    query = (
        select(via, func.min(column))
        .where(via.in_(bindparam("keys", expanding=True)), column.is_not(None))
        .group_by(via)
    )
    found: dict[Any, Any] = {}
    with connector._connect() as conn:
        for batch in batches(keys, batch_size):
            found.update((row[0], row[1]) for row in conn.execute(query, {"keys": batch}))
    return found
