"""A retention run's work in a source, a batch of keys at a time (RET-01..03).

``choose`` picks the next keys to act on (``due AND NOT any held``, in key order, after the
last batch) with their files' paths; ``act`` re-checks the same conditions at the moment it
acts and deletes, anonymises or (for ``review``) only counts those rows, in one source
transaction. Keys of the batch already gone from the source are reported: a batch resumed
after the source committed but dataward did not is counted once, and said to be resumed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, any_, bindparam, delete, literal, not_, or_, select, update
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects.postgresql import ARRAY

from dataward.erasure.survey import changes_of, key_digests
from dataward.retention.plan_types import Conditions
from dataward.sources.connectors.base import (
    BATCH_SIZE,
    Connector,
    SourceMisfit,
    SourceUnavailable,
)
from dataward.sources.connectors.blobs import BlobConnector, delete_files, placeholders
from dataward.sources.connectors.sql import SqlConnector, foreign_keys_enforced, pointed_at
from dataward.sources.models import Binding

REVIEW = "review"
ANONYMISE = "anonymise"


@dataclass(frozen=True)
class Change:
    """What acting on a row does: flag it (review), delete it, or set columns."""

    review: bool
    delete: bool
    values: Mapping[str, Any] = field(default_factory=dict)

    @property
    def nothing(self) -> bool:
        return not self.review and not self.delete and not self.values

    @property
    def done(self) -> str:
        """What acting on a row did, in words: the run's evidence says it."""
        if self.review:
            return "flagged for review"
        return "deleted" if self.delete else "anonymised"


def files_go(binding: Binding, change: Change) -> bool:
    """Whether acting on the binding's rows takes their files too: the row is deleted, or
    the column that names its file is overwritten (JTR's new occupier evidence: the scans
    go, the record that they came stays). A row that no longer names its file would leave
    the file where no rule finds it again. A files ``pattern`` names its file from columns
    that stay, so only a deleted row takes those."""
    if change.delete:
        return True
    ref = binding.files
    return ref is not None and ref.column is not None and ref.column in change.values


def change_of(action: str, how: Mapping[str, str]) -> Change:
    """The rule's action on a binding's rows, through the sources file's erasure strategies.

    ``review`` changes nothing. ``anonymise`` sets the columns given ``set_null`` or an
    ``anonymise`` strategy (never deletes). Every other action (delete, destroy, anonymise
    or destroy) erases as an erasure would: the row deleted where a column says
    ``delete_row``, else its columns set."""
    if action == REVIEW:
        return Change(review=True, delete=False)
    delete_row, values = changes_of(how)
    if action == ANONYMISE:
        _, values = changes_of({c: s for c, s in how.items() if s != "delete_row"})
        return Change(review=False, delete=False, values=values)
    return Change(review=False, delete=delete_row, values=values)


@dataclass(frozen=True)
class Chosen:
    keys: list[Any]
    paths: list[list[Any]]  # [key, files connection, path]


def _parts(keys: Sequence[Any], size: int = BATCH_SIZE) -> Iterator[list[Any]]:
    for start in range(0, len(keys), size):
        yield list(keys[start : start + size])


def _keyed(dialect: str, key: ColumnElement[Any], count: int) -> tuple[ColumnElement[bool], int]:
    """``key`` among the ``keys`` parameter, and how many keys a statement takes. PostgreSQL
    takes the whole batch as one array (``key = ANY(:keys)``): one statement, planned once,
    where an ``IN`` of 2,000 parameters a part was compiled and planned ten times a batch
    (a third of acting on it). Elsewhere parts of ``BATCH_SIZE`` parameters."""
    if dialect == "postgresql":
        return key == any_(bindparam("keys", type_=ARRAY(key.type))), max(count, 1)
    return key.in_(bindparam("keys", expanding=True)), BATCH_SIZE


def _stored(key: Any) -> Any:
    """A key as JSON keeps it: ids are integers or text."""
    return key if isinstance(key, int | str) else str(key)


def not_yet_changed(target: Any, change: Change) -> ColumnElement[bool] | None:
    """Rows whose columns do not all hold their new values yet: a row anonymised by an
    earlier run stays due, and is neither changed nor counted again."""
    if change.review or change.delete or not change.values:
        return None
    # The new value typed as its column: "zero" on a boolean column is false (PostgreSQL
    # has no boolean <> integer).
    parts = [
        target.c[name].is_not(None)
        if value is None
        else or_(target.c[name].is_(None), target.c[name] != _typed(target.c[name], value))
        for name, value in change.values.items()
    ]
    return or_(*parts)


def _typed(column: Any, value: Any) -> Any:
    """The new value as the column's type: a strategy's ``zero`` (0) compared with a boolean
    column (the demo's ``vulnerable``) is ``false`` on PostgreSQL, not an integer it refuses
    to compare."""
    return literal(value, type_=column.type)


def choose(
    connector: SqlConnector,
    conditions: Conditions,
    connectors: Mapping[str, Connector | Any],
    *,
    after: Any,
    limit: int,
    with_files: bool,
    change: Change | None = None,
) -> Chosen:
    """The next keys to act on after ``after``, and (when rows are deleted) their files."""
    binding, target, key = conditions.binding, conditions.target, conditions.key
    ref = binding.files
    names: list[str] = []
    if with_files and ref is not None:
        names = [ref.column] if ref.column is not None else placeholders(ref.pattern or "")
    columns = [target.c[n] for n in names if n in target.c and n != key.name]
    names_of = [key.name, *(c.name for c in columns)]
    query = select(key, *columns).select_from(target).where(conditions.act_on)
    pending = None if change is None else not_yet_changed(target, change)
    if pending is not None:
        query = query.where(pending)
    if after is not None:
        query = query.where(key > after)
    query = query.order_by(key).limit(limit)
    try:
        with connector.engine.connect() as conn:
            # Fetched at once as tuples: a mapping per row was a third of choosing the keys.
            fetched = conn.execute(query).all()
    except sa_exc.OperationalError:
        raise SourceUnavailable(f"connection {connector.name} cannot be reached") from None
    except sa_exc.DBAPIError:
        raise SourceMisfit(f"connection {connector.name}: the source refused the query") from None
    keys = [_stored(row[0]) for row in fetched]
    paths: list[list[Any]] = []
    if names and ref is not None:
        rows = [dict(zip(names_of, row, strict=True)) for row in fetched]
        blobs = connectors.get(ref.connection or binding.connection)
        if not isinstance(blobs, BlobConnector):
            raise SourceUnavailable(f"files connection {ref.connection} cannot be reached")
        for row in rows:
            paths.extend(
                [_stored(row[key.name]), blobs.name, str(found["path"])]
                for found in blobs.files_for([row], ref)
                if found.get("size") is not None
            )
    return Chosen(keys, paths)


@dataclass(frozen=True)
class Acted:
    acted: list[Any]  # rows acted on now (deleted, set, or flagged)
    # Rows of the batch acted on before (a resumed batch): no longer in the source, or
    # already holding their new values.
    gone: list[Any]

    @property
    def rows(self) -> int:
        return len(self.acted) + len(self.gone)


def act(
    connector: SqlConnector, conditions: Conditions, keys: Sequence[Any], change: Change
) -> Acted:
    """In one source transaction: the batch's rows still due and not held, acted on.

    Where the database returns what a DELETE or UPDATE changed (SQLite 3.35+, PostgreSQL),
    the statement itself carries the conditions (``... WHERE key IN (batch) AND due AND NOT
    held RETURNING key``): the rows are read once. Else (and for ``review``) the conditions
    are read once for the whole batch, over its key range (its keys were chosen in the
    source's key order: the first is the lowest, the last the highest), kept to the batch's
    own keys, and the statement changes those keys."""
    if not keys:
        return Acted([], [])
    target, key = conditions.target, conditions.key
    keyed, size = _keyed(connector.engine.dialect.name, key, len(keys))
    present_q = select(key).select_from(target).where(keyed)
    pending = not_yet_changed(target, change)
    checks = [conditions.act_on] if pending is None else [conditions.act_on, pending]
    still_q = (
        select(key)
        .select_from(target)
        .where(key >= bindparam("first"), key <= bindparam("last"), *checks)
    )
    statement: Any = None
    if change.delete:
        statement = delete(target).where(keyed)
    elif change.values:
        values = {target.c[c].name: v for c, v in change.values.items()}
        statement = update(target).where(keyed).values(values)
    if statement is not None:
        connector.write_guard()
    present: set[Any] = set()
    before: set[Any] = set()
    wanted = set(keys)
    try:
        with connector.engine.connect() as conn:
            level = conn.dialect.default_isolation_level or "SERIALIZABLE"
            conn = conn.execution_options(isolation_level=level)
            with foreign_keys_enforced(conn), conn.begin():
                if statement is not None and _returns(conn.dialect, change):
                    still = _acted_returning(conn, statement, checks, key, keys, size)
                    statement = None  # done: the rows changed are the ones returned
                else:
                    in_range = conn.execute(still_q, {"first": keys[0], "last": keys[-1]})
                    still = {k for k in map(_stored, in_range.scalars().all()) if k in wanted}
                # A row still to act on is there; only the others are looked up (a deleted
                # batch resumed after a crash, or rows held since they were chosen).
                for part in _parts([k for k in keys if k not in still], size):
                    present.update(
                        _stored(k) for k in conn.execute(present_q, {"keys": part}).scalars().all()
                    )
                present |= still
                if statement is not None:
                    for part in _parts([k for k in keys if k in still], size):
                        conn.execute(statement, {"keys": part})
                if pending is not None:
                    others = [k for k in keys if k in present and k not in still]
                    before = _changed_before(conn, present_q, pending, others, size)
    except sa_exc.OperationalError:
        raise SourceUnavailable(f"connection {connector.name} cannot be reached") from None
    except sa_exc.IntegrityError as refused:
        if pointed_at(refused):
            raise SourceMisfit(
                f"connection {connector.name}: rows other rows point at (foreign key): the "
                "source refused to delete them while those rows are there"
            ) from None
        raise SourceMisfit(f"connection {connector.name}: the source refused the change") from None
    except sa_exc.DBAPIError:
        raise SourceMisfit(f"connection {connector.name}: the source refused the change") from None
    acted = [k for k in keys if k in still]
    # A deleted row that is gone was deleted by this batch before a crash (or by the
    # organisation since): either way it went, and its files go too.
    gone = [k for k in keys if k not in present] if change.delete else []
    if before:
        gone = [k for k in keys if k in before]
    return Acted(acted, gone)


def _changed_before(
    conn: Any,
    present_q: Any,
    pending: ColumnElement[bool],
    keys: list[Any],
    size: int,
) -> set[Any]:
    """Of a batch's rows there but not set now (held since, or set before), those already
    holding their new values: they were chosen not yet set, so this batch set them before
    a crash (or the organisation did since). Counted once, and a file they no longer name
    goes, as a deleted row's does. ``present_q`` is the batch's keys that are there, keyed
    as the batch's other statements are (``_keyed``)."""
    query = present_q.where(not_(pending))
    found: set[Any] = set()
    for part in _parts(keys, size):
        found.update(map(_stored, conn.execute(query, {"keys": part}).scalars().all()))
    return found


def _returns(dialect: Any, change: Change) -> bool:
    return bool(dialect.delete_returning if change.delete else dialect.update_returning)


def _acted_returning(
    conn: Any,
    statement: Any,
    checks: list[ColumnElement[bool]],
    key: ColumnElement[Any],
    keys: Sequence[Any],
    size: int,
) -> set[Any]:
    """The change made to the batch's rows still due and not held (and not yet changed),
    part by part; the keys it changed."""
    checked = statement.where(*checks).returning(key)
    changed: set[Any] = set()  # each part fetched at once (.all()), not a row at a time
    for part in _parts(keys, size):
        changed.update(_stored(k) for k in conn.execute(checked, {"keys": part}).scalars().all())
    return changed


def batch_digest(binding: Binding, keys: Sequence[Any]) -> str:
    """sha256 of the key digests of the rows acted on, one a line, in key order."""
    digest = key_digests(binding.connection, binding.table or binding.pattern or "")
    lines = "\n".join(map(digest, keys))
    return hashlib.sha256(lines.encode()).hexdigest()


def chained(previous: str | None, batch: str) -> str:
    """The evidence's digest after one more batch: sha256(previous digest, batch digest)."""
    return hashlib.sha256(f"{previous or ''}\n{batch}".encode()).hexdigest()


def delete_batch_files(
    connectors: Mapping[str, Connector | Any], paths: Sequence[Sequence[Any]], keys: set[Any]
) -> int:
    """Delete the files of these rows (their rows committed); how many were on disk."""
    by_connection: dict[str, list[str]] = {}
    for key, connection, path in paths:
        if key in keys:
            by_connection.setdefault(str(connection), []).append(str(path))
    deleted = 0
    for connection, found in by_connection.items():
        blobs = connectors.get(connection)
        if not isinstance(blobs, BlobConnector):
            raise SourceUnavailable(f"files connection {connection} cannot be reached")
        deleted += delete_files(blobs, found)
    return deleted
