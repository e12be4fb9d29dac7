"""SQL sources through SQLAlchemy Core: reflected tables, set-based lookups, streamed rows.

Only the tables a sources file names are reflected. A read-only connection is read-only at
the database too (``PRAGMA query_only`` on SQLite, ``default_transaction_read_only`` on
PostgreSQL), so even a bug in dataward cannot write through it.

The connector is here; its helpers live beside it (``sql_schema``: type families and names;
``sql_guards``: read-only, foreign keys; ``sql_stream``: rows a page at a time;
``sql_changes``: the set-based writes; ``sql_related``: reads along relations). The
helpers the retention run imports from here are re-exported (``__all__``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from itertools import combinations
from typing import Any, ClassVar

from sqlalchemy import (
    Column,
    Engine,
    MetaData,
    Table,
    and_,
    bindparam,
    create_engine,
    event,
    inspect,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.engine.reflection import ObjectKind
from sqlalchemy.sql import ColumnElement, FromClause, Select

from dataward.sources.connectors.base import (
    BATCH_SIZE,
    ColumnDescription,
    Description,
    IdentityColumns,
    IdentityValues,
    Row,
    SourceMisfit,
    SourceUnavailable,
    TableDescription,
    batches,
    guard_write,
    identity_match,
    relation_chain,
)
from dataward.sources.connectors.sql_changes import apply_change_batches, apply_changes
from dataward.sources.connectors.sql_guards import (
    foreign_keys_enforced,
    pointed_at,
    read_only_postgres,
    read_only_sqlite,
)
from dataward.sources.connectors.sql_related import (
    entity_refs,
    first_related_dates,
    keys_held_by_related,
)
from dataward.sources.connectors.sql_schema import coerce, family_of, split_table, tables_named
from dataward.sources.connectors.sql_stream import stream_rows
from dataward.sources.models import Binding


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
                event.listen(self.engine, "connect", read_only_sqlite)
            elif backend == "postgresql":
                event.listen(self.engine, "connect", read_only_postgres)
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
                schema, name = split_table(table)
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
                schema, bare = split_table(name)
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
            schema, bare = split_table(name)
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

    def column(self, table: Table, name: str) -> ColumnElement[Any]:
        if name not in table.c:
            raise SourceMisfit(f"connection {self.name}: table {table.name} has no column {name}")
        return table.c[name]

    def _match(
        self, table: Table, names: tuple[str, ...], values: list[Any]
    ) -> ColumnElement[bool]:
        columns = [self.column(table, n) for n in names]
        if len(columns) == 1:
            return columns[0].in_([coerce(columns[0], v) for v in values])
        return tuple_(*columns).in_(
            [tuple(coerce(c, x) for c, x in zip(columns, v, strict=True)) for v in values]
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
        key_column = self.column(root, key)
        match = identity_match(identities, values)
        found: set[Any] = set()
        with self.connect() as conn:
            for names, wanted in match.alone:
                for batch in batches(wanted, BATCH_SIZE):
                    if len(names) == 1:
                        column = self.column(root, names[0])
                        query = self._by_value.get((table, key, names[0]))
                        if query is None:
                            query = select(key_column).where(
                                column.in_(bindparam("values", expanding=True))
                            )
                            self._by_value[(table, key, names[0])] = query
                        params = {"values": [coerce(column, v) for v in batch]}
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
        with self.connect() as conn:
            for batch in batches(root_keys, batch_size):
                for row in stream_rows(conn, by_keys, {"keys": batch}, batch_size):
                    if seen is not None:
                        seen.add(row[key.name])
                    yield row
            for query in own:
                for row in stream_rows(conn, query.order_by(key), {}, batch_size):
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
        key = self.column(target, binding.key)
        # Joins along the relation, all but its last hop: the last table's key equals the
        # previous table's ``via``, so the filter goes there and the root is never read.
        source: FromClause = target
        current = target
        chain = relation_chain(binding.subject)
        for relation in chain[:-1]:
            nxt = self.table(relation.table)
            source = source.join(
                nxt,
                self.column(current, relation.via) == self.column(nxt, relation.key),
            )
            current = nxt
        last_via = (
            self.column(current, chain[-1].via) if chain else self.column(target, binding.key)
        )
        read = [target] if wanted is None else [self.column(target, c) for c in wanted]
        by_keys = (
            select(*read)
            .select_from(source)
            .where(last_via.in_(bindparam("keys", expanding=True)))
            .order_by(key)
        )
        plan = (target, key, by_keys)
        self._plans[(id(binding), wanted)] = (binding, plan)
        return plan

    def sample(self, table: str, column: str, limit: int = 20) -> list[Any]:
        """Up to ``limit`` non-null values of a column (the check looks for their files)."""
        found = self.table(table)
        target = self.column(found, column)
        query = select(target).where(target.is_not(None)).limit(limit)
        with self.connect() as conn:
            return list(conn.execute(query).scalars())

    def write_guard(self) -> None:
        """Call before any write (erasure, retention): a read-only connection refuses."""
        guard_write(self.name, self.read_only)

    def connect(self) -> Any:
        try:
            return self.engine.connect()
        except sa_exc.OperationalError:
            raise SourceUnavailable(
                f"connection {self.name}: the database cannot be reached"
            ) from None

    def close(self) -> None:
        self.engine.dispose()

    # Rectification (REC-01) -----------------------------------------------------------------
    # One block of its own: the erasure executor's writes are in ``sql_changes``.

    def update_columns(
        self, table: str, key_column: str, keys: Collection[Any], values: Mapping[str, Any]
    ) -> int:
        """Set ``values`` (column -> new value) on the rows of ``table`` whose ``key_column``
        is one of ``keys``, all in one transaction; returns how many rows changed.

        Refused on a read-only connection, before anything is read.
        """
        self.write_guard()
        target = self.table(table)
        key = self.column(target, key_column)
        if not values:
            raise SourceMisfit(f"connection {self.name}: no column to change in {table}")
        if key_column in values:
            raise SourceMisfit(
                f"connection {self.name}: the key column {key_column} is not changed"
            )
        new = {name: coerce(self.column(target, name), value) for name, value in values.items()}
        changed = 0
        try:
            with self.connect() as conn:
                # The engine autocommits reads; a write of several batches is one transaction.
                level = conn.dialect.default_isolation_level or "SERIALIZABLE"
                conn = conn.execution_options(isolation_level=level)
                with conn.begin():
                    for batch in batches(keys, BATCH_SIZE):
                        statement = (
                            update(target)
                            .where(key.in_([coerce(key, k) for k in batch]))
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


__all__ = [
    "SqlConnector",
    "apply_change_batches",
    "apply_changes",
    "entity_refs",
    "family_of",
    "first_related_dates",
    "foreign_keys_enforced",
    "keys_held_by_related",
    "pointed_at",
    "tables_named",
]
