"""One interface for every kind of source: open by name, describe, stream a subject's rows.

A connector is opened for one named connection of a sources file. Its URL (or folder) comes
from a dataward setting or an environment variable named by ``url_from``, never from the
file, and is never put in an error message. Rows are found set-based:

1. ``subject_keys``: the keys of the rows of a *root* table (the one holding identity
   columns, ``debtors``) the person's identity values find, in batches: an email or a
   reference alone, a name or a date of birth only together with another (``identity_match``:
   never another person's rows);
2. ``rows_for``: the rows of a binding whose ``subject`` relation leads to those keys (one
   query per batch of keys, joins along the relation), plus rows matching the binding's own
   identity columns. Never a query per row, never a whole table in memory.

``stream_subject`` runs both across every binding of a sources file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

from dataward.errors import DatawardError
from dataward.sources.models import Binding, Connection, HoldRule, Relation, SourcesFile

BATCH_SIZE = 2000
"""Values per ``IN`` / ``= ANY`` list: far from every backend's parameter limit."""

TypeFamily = Literal["integer", "number", "string", "date", "datetime", "boolean", "other"]
Row = dict[str, Any]
IdentityValues = Mapping[str, Collection[Any]]
"""Register identity kind -> the values to look for (a tuple per value for a multi-column kind)."""


class SourceUnavailable(DatawardError):
    """A connection could not be opened or read: its setting is missing, or it is down."""

    code = "source_unavailable"
    http_status = 503
    exit_code = 2
    title = "A data source is not available"


class SourceMisfit(DatawardError):
    """A binding asks for something its connector cannot do (a table missing, a loop)."""

    code = "source_misfit"
    http_status = 422
    exit_code = 2
    title = "A data source does not fit its sources file"


class ReadOnlyConnection(SourceMisfit):
    code = "source_read_only"
    title = "A write was attempted on a read-only connection"


@dataclass(frozen=True, slots=True)
class ColumnDescription:
    name: str
    family: TypeFamily
    type_name: str
    nullable: bool = True


@dataclass(frozen=True, slots=True)
class TableDescription:
    """A table (or, for CSV/JSON, the rows of the files a pattern matches)."""

    name: str
    columns: dict[str, ColumnDescription]
    indexes: tuple[tuple[str, ...], ...] = ()
    """Column lists of indexes, unique constraints and the primary key, in order."""

    def indexed(self, column: str) -> bool:
        """True when some index leads with ``column`` (a lookup on it need not scan)."""
        return any(index and index[0] == column for index in self.indexes)


@dataclass(frozen=True, slots=True)
class FileDescription:
    path: str
    """Relative to the connection's root, with ``/`` separators."""
    size: int


@dataclass(frozen=True, slots=True)
class Description:
    """What exists behind a connection, as far as a sources file can refer to it."""

    tables: dict[str, TableDescription] = field(default_factory=dict)
    files: tuple[FileDescription, ...] = ()
    root: str | None = None
    """For folder connections: that the root exists is all a description says of it."""


@runtime_checkable
class Connector(Protocol):
    """What every kind of source offers. One module per kind (``connectors/__init__.py``)."""

    kinds: ClassVar[tuple[str, ...]]
    name: str
    read_only: bool

    def describe(self, bindings: Sequence[Binding] = ()) -> Description:
        """Tables, columns, types and indexes (or folders and files) the bindings refer to.

        A SQL connector reflects only the tables named (never a whole catalogue); a folder
        connector lists the files the bindings' patterns match.
        """
        ...

    def subject_keys(
        self, table: str, key: str, identities: Mapping[str, Any], values: IdentityValues
    ) -> set[Any]:
        """Keys of the rows of ``table`` the person's identities find (``identity_match``):
        one of a kind that finds alone, or two together kinds in the same row.

        ``identities`` is the binding's map kind -> column (or columns); kinds without
        values are skipped. One query per kind that finds alone per batch of values, and
        one for the together kinds.
        """
        ...

    def rows_for(
        self,
        binding: Binding,
        root_keys: Collection[Any],
        values: IdentityValues,
        batch_size: int = BATCH_SIZE,
        columns: Collection[str] | None = None,
    ) -> Iterator[Row]:
        """Stream the binding's rows that belong to the subject, each once.

        Rows whose ``subject`` relation ends at one of ``root_keys`` (a binding without a
        relation is its own root: its ``key`` is looked up), and rows its own identity
        columns find by the same rule as ``subject_keys`` (``identity_match``). With
        ``columns``, a database reads only those and the key (a file is read whole anyway).
        """
        ...

    def close(self) -> None: ...


def resolve_url(
    connection_name: str, connection: Connection, env: Mapping[str, str] | None = None
) -> str:
    """The URL (or folder) of a connection, from the environment or a dataward setting.

    ``url_from`` names an environment variable (``AGENCY_DB_URL``) or a setting
    (``database_url``, read as ``DATAWARD_DATABASE_URL``). The error names the variable,
    never a URL.
    """
    environment = os.environ if env is None else env
    name = connection.url_from
    for candidate in (name, f"DATAWARD_{name.upper()}"):
        value = environment.get(candidate)
        if value:
            return value
    if env is None:
        # A setting (also read from .env): database_url, or DATAWARD_DATABASE_URL.
        from dataward.config import get_settings

        setting = getattr(get_settings(), name.lower().removeprefix("dataward_"), None)
        if isinstance(setting, str | os.PathLike) and str(setting):
            return str(setting)
    raise SourceUnavailable(
        f"connection {connection_name}: the environment variable {name} is not set "
        f"(url_from names where its URL comes from)"
    )


@dataclass(frozen=True, slots=True)
class Root:
    """Where a binding's rows lead to their subject: a table, its key and identity columns."""

    connection: str
    table: str
    key: str
    identities: Mapping[str, Any]


def relation_chain(relation: Relation | None) -> list[Relation]:
    chain: list[Relation] = []
    seen: set[str] = set()
    while relation is not None:
        if relation.table in seen:
            raise SourceMisfit(f"the relation through {relation.table} loops back on itself")
        seen.add(relation.table)
        chain.append(relation)
        relation = relation.then
    return chain


def root_of(sources: SourcesFile, binding: Binding) -> Root | None:
    """The table a binding's rows lead to and the identity columns found there.

    A binding with its own identities and no relation is its own root. With a relation, the
    root is the last table of the chain; its identity columns come from the binding (of the
    same connection if there is one) that binds that table with identities. None when no
    root has any.
    """
    if binding.subject is None:
        if not binding.identities or binding.table is None:
            return None
        return Root(binding.connection, binding.table, binding.key, binding.identities)
    last = relation_chain(binding.subject)[-1]
    candidates = [
        other
        for bindings in sources.datasets.values()
        for other in bindings
        if other.table == last.table and other.subject is None and other.identities
    ]
    # The root's own connection first; a file source may point at a database's table.
    candidates.sort(key=lambda other: other.connection != binding.connection)
    if not candidates:
        return None
    found = candidates[0]
    return Root(found.connection, last.table, last.key, found.identities)


@dataclass
class SubjectRows:
    """Rows of one binding for a subject, streamed; counts once the stream is consumed."""

    dataset: str
    index: int
    binding: Binding
    rows: Iterator[Row]


def stream_subject(
    sources: SourcesFile,
    connectors: Mapping[str, Connector],
    values: IdentityValues,
    *,
    datasets: Collection[str] | None = None,
    binding: int | None = None,
    batch_size: int = BATCH_SIZE,
    roots: dict[tuple[str, str, str], set[Any]] | None = None,
    columns: Callable[[Binding], Collection[str]] | None = None,
) -> Iterator[SubjectRows]:
    """For every binding (of ``datasets``, or all), the subject's rows, lazily.

    ``binding`` keeps only the binding at that index of each dataset's list (an access
    package stages one binding at a time, so a resumed build redoes one part only).

    Root keys are found once per root table and reused by every binding leading there, so
    a subject across N bindings costs about N + (identity kinds) queries per batch. A caller
    streaming one binding at a time passes the same ``roots`` to reuse them across calls.
    ``columns`` names, per binding, the only columns the caller reads (``rows_for``).
    """
    root_keys: dict[tuple[str, str, str], set[Any]] = {} if roots is None else roots
    for dataset, bindings in sources.datasets.items():
        if datasets is not None and dataset not in datasets:
            continue
        for index, bound in enumerate(bindings):
            if binding is not None and index != binding:
                continue
            connector = connectors[bound.connection]
            root = root_of(sources, bound)
            keys: set[Any] = set()
            if root is not None:
                marker = (root.connection, root.table, root.key)
                if marker not in root_keys:
                    root_keys[marker] = connectors[root.connection].subject_keys(
                        root.table, root.key, root.identities, values
                    )
                keys = root_keys[marker]
            wanted = columns(bound) if columns is not None else None
            yield SubjectRows(
                dataset, index, bound, connector.rows_for(bound, keys, values, batch_size, wanted)
            )


def batches(values: Collection[Any], size: int) -> Iterator[list[Any]]:
    """Sorted batches (sorted for stable plans and test output) of at most ``size`` values."""
    ordered = sorted(values, key=repr) if values else []
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


# Which identity kinds find a person on their own ---------------------------------------------
# The one place this rule lives. Many people share a name, a date of birth, an address, a
# car or an IP address: a row matching only one of those may be someone else's, and
# disclosing or erasing someone else's data is the breach a search must never cause. Such a
# kind finds a row only together with another of the person's identities matching the same
# row (name + date of birth, name + address). A kind absent from both sets finds nothing.

IDENTIFYING_ALONE: frozenset[str] = frozenset(
    {"email", "phone", "customer_ref", "case_ref", "ni_number", "account_id"}
)
"""Identity kinds a single match of which finds the person."""

ONLY_TOGETHER: frozenset[str] = frozenset(
    {"name", "address", "date_of_birth", "ip_address", "vehicle_registration"}
)
"""Identity kinds that find the person only with another matching identity of the same row."""

IdentityColumns = tuple[tuple[str, ...], Collection[Any]]
"""A kind's columns and the values to look for in them."""


@dataclass(frozen=True, slots=True)
class IdentityMatch:
    """How a binding's identity columns find the person's rows.

    A row is the person's when any of ``alone`` matches, or when at least two of
    ``together`` match in that same row (each with one of the person's values).
    """

    alone: tuple[IdentityColumns, ...]
    together: tuple[IdentityColumns, ...]

    def __bool__(self) -> bool:
        return bool(self.alone or self.together)


def identity_match(identities: Mapping[str, Any], values: IdentityValues) -> IdentityMatch:
    """The identity columns of a binding that can find the person, split by the rule above.

    Kinds without values are left out; the together kinds only when two or more have values
    (one alone would find other people sharing it).
    """
    alone: list[IdentityColumns] = []
    together: list[IdentityColumns] = []
    for kind, names, wanted in identity_columns(identities, values):
        if kind in IDENTIFYING_ALONE:
            alone.append((names, wanted))
        elif kind in ONLY_TOGETHER:
            together.append((names, wanted))
    return IdentityMatch(tuple(alone), tuple(together) if len(together) >= 2 else ())


def matches_together(found: Sequence[bool]) -> bool:
    """True when at least two of the together kinds matched one row."""
    return sum(found) >= 2


def lone_weak_kinds(identities: Mapping[str, Any]) -> list[str]:
    """The together kinds of a binding that can never find a row: it binds no kind that
    identifies alone and only one that needs another (``sources check`` warns of them)."""
    if any(kind in IDENTIFYING_ALONE for kind in identities):
        return []
    weak = [kind for kind in identities if kind in ONLY_TOGETHER]
    return weak if len(weak) == 1 else []


def identity_columns(
    identities: Mapping[str, Any], values: IdentityValues
) -> Iterator[tuple[str, tuple[str, ...], Collection[Any]]]:
    """(kind, columns, values) for each identity kind that has values to look for."""
    for kind, columns in identities.items():
        wanted = values.get(kind)
        if not wanted:
            continue
        names = (columns,) if isinstance(columns, str) else tuple(columns)
        if len(names) > 1:
            wanted = [v for v in wanted if isinstance(v, tuple) and len(v) == len(names)]
            if not wanted:
                continue
        yield kind, names, wanted


# Writes (erasure, retention) ------------------------------------------------------------------
# Everything below changes a source. Only a connection whose mode is ``read_write`` may; the
# connectors' write methods call ``guard_write`` first, so a read-only one refuses before
# any statement is sent.


@dataclass(frozen=True)
class RowChange:
    """One set-based change to a table: delete the rows with these keys, or set columns.

    ``values`` maps a column to its new value (None: set to null); empty with ``delete``.
    """

    table: str
    key: str
    keys: Sequence[Any]
    delete: bool
    values: Mapping[str, Any] = field(default_factory=dict)


def guard_write(name: str, read_only: bool) -> None:
    """Refuse a write through a read-only connection (no statement is sent)."""
    if read_only:
        raise ReadOnlyConnection(f"connection {name} is read_only: dataward may not change it")


def hold_open_on(rule: HoldRule, row: Mapping[str, Any], *, text: bool = False) -> bool:
    """Whether a hold predicate read on the row itself (no ``table``) is open on it.

    ``text`` for rows read from files, where every value may be text: an empty field is
    null, and ``in: [7]`` matches ``"7"``. A hold must never fail to open on a type.
    """
    if rule.open_when_null is not None:
        value = row.get(rule.open_when_null)
        return value is None or (text and value == "")
    assert rule.open_when is not None
    value = row.get(rule.open_when.column)
    if value in rule.open_when.in_:
        return True
    return text and str(value) in {str(v) for v in rule.open_when.in_}
