"""Append to and verify the audit chain. Services call ``record``; they never commit."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from sqlalchemy import Row, Table, Text, select, text
from sqlalchemy import cast as cast_
from sqlalchemy.orm import Session

from dataward.audit.chain import (
    GENESIS,
    canonical_json,
    canonical_time,
    chained_digests,
    row_digest,
    state_hash,
)
from dataward.audit.models import AuditEvent
from dataward.bulkwrite import JSONText, insert_rows
from dataward.errors import ValidationFailed
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork

# Any constant works; it names the one lock all appenders share on PostgreSQL.
_CHAIN_LOCK = 0x6461746177617264  # "dataward"
DetailValue = str | int | bool | None


def record(
    uow: UnitOfWork,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    subject_ref: str | None = None,
    before: Any = None,
    after: Any = None,
    details: dict[str, DetailValue] | None = None,
) -> AuditEvent:
    """Append one event to the chain inside the caller's transaction.

    ``before``/``after`` are hashed, not stored: the chain proves what changed without
    holding personal data. ``subject_ref`` is a pseudonymous id, never a name or email.
    """
    details = details or {}
    for key, value in details.items():
        if not isinstance(value, str | int | bool) and value is not None:
            raise ValidationFailed(f"audit detail {key!r} must be a string, integer or boolean")
    session = uow.session
    lock_chain(session)
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.row_hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
    occurred_at = canonical_time(uow.clock.now())
    fields: dict[str, Any] = {
        "seq": seq,
        "occurred_at": occurred_at,
        "actor": actor,
        "action": action,
        "entity_type": entity_type,
        "entity_id": entity_id,
        "subject_ref": subject_ref,
        "before_hash": None if before is None else state_hash(before),
        "after_hash": None if after is None else state_hash(after),
        "details": details,
        "prev_hash": prev_hash,
    }
    event = AuditEvent(**fields, row_hash=row_digest(**fields))
    session.add(event)
    session.flush()
    return event


def lock_chain(session: Session) -> None:
    """Serialise appenders until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock, so two processes never read the same
    head. SQLite: the write lock taken by a no-op write, since SQLite has one writer anyway
    and a deferred transaction would otherwise read the head before it holds that lock.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _CHAIN_LOCK})
    else:
        session.execute(text("UPDATE audit_events SET seq = seq WHERE 0"))


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    row_id: int
    reason: str
    truncated: bool = False
    """No row is missing inside the chain, but it ends before a row an anchor names."""


@dataclass(frozen=True)
class Verification:
    rows: int
    head_seq: int
    head_hash: str
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


@dataclass(frozen=True)
class Anchor:
    """``SEQ:HASH`` of a row, kept where the database's writers cannot reach it
    (``dataward audit head``): the chain must still hold that row, with that hash."""

    seq: int
    row_hash: str

    @classmethod
    def parse(cls, text: str) -> Anchor:
        seq_text, _, row_hash = text.strip().partition(":")
        if not seq_text.isdigit() or int(seq_text) < 1 or not _HEX64.fullmatch(row_hash):
            raise ValidationFailed(
                f"anchor {text[:80]!r} is not SEQ:HASH as `dataward audit head` prints it"
            )
        return cls(int(seq_text), row_hash)


_HEX64 = re.compile(r"[0-9a-f]{64}")


def verify(session: Session, batch: int = 5000, anchors: Sequence[Anchor] = ()) -> Verification:
    """Walk the chain in order; report the first row whose hash or link is wrong.

    Detects edited, deleted, inserted and reordered rows, whatever their ids (a row slipped
    in below the first id is walked too). Removing rows from the *end* leaves a shorter
    valid chain, and a chain rewritten and re-hashed from some row on is valid too: each
    ``anchor`` (``dataward audit head``, kept elsewhere) must name a row that is still there
    with the same hash, which detects both.
    """
    pinned = {a.seq: a.row_hash for a in anchors}
    expected_seq = 1
    prev_hash = GENESIS
    count = 0

    def broken(row: Row[Any], reason: str) -> Verification:
        return Verification(count, expected_seq - 1, prev_hash, ChainBreak(row.seq, row.id, reason))

    for row in _rows(session, batch):
        count += 1
        if row.seq != expected_seq:
            return broken(row, _misplaced(session, row.seq, expected_seq))
        if row.prev_hash != prev_hash:
            return broken(row, "link to the previous row is wrong")
        try:
            digest = row_digest(
                seq=row.seq,
                occurred_at=row.occurred_at,
                actor=row.actor,
                action=row.action,
                entity_type=row.entity_type,
                entity_id=row.entity_id,
                subject_ref=row.subject_ref,
                before_hash=row.before_hash,
                after_hash=row.after_hash,
                details=json.loads(row.details),
                prev_hash=row.prev_hash,
            )
        except (TypeError, ValueError, AttributeError):
            # A forged row with a malformed time or details cannot even be hashed.
            return broken(row, "row content cannot be read (malformed time or details)")
        if digest != row.row_hash:
            return broken(row, "row content does not match its hash")
        if row.seq in pinned and pinned[row.seq] != row.row_hash:
            return broken(row, "row hash does not match the anchor kept for it")
        prev_hash = row.row_hash
        expected_seq += 1
    result = Verification(count, expected_seq - 1, prev_hash, None)
    beyond = [seq for seq in pinned if seq > result.head_seq]
    if beyond:
        return Verification(
            count,
            result.head_seq,
            prev_hash,
            ChainBreak(
                min(beyond),
                0,
                f"the chain ends at seq {result.head_seq}, an anchor names seq {min(beyond)}",
                truncated=True,
            ),
        )
    return result


def _misplaced(session: Session, seq: int, expected: int) -> str:
    """Why ``seq`` stands where ``expected`` should: the expected row exists further on
    (the rows were reordered) or nowhere (it was deleted)."""
    if seq < expected:
        return f"row {expected} is out of order"
    table = AuditEvent.__table__
    later = session.execute(select(table.c.id).where(table.c.seq == expected).limit(1)).first()
    return f"row {expected} is {'out of order' if later is not None else 'missing'}"


def _rows(session: Session, batch: int) -> Iterator[Row[Any]]:
    # Keyset pagination keeps memory flat over millions of rows on both backends, and plain
    # rows rather than ORM objects keep the walk cheap (building objects cost 2/3 of it).
    # Ordering by id (insertion order) rather than seq is what exposes a reordered row. The
    # first page has no lower bound, so no row hides below an assumed first id.
    # Details come as their stored text and are parsed in ``verify``, so a row whose details
    # are not JSON is named as the broken row instead of failing the whole page.
    table = AuditEvent.__table__
    columns = [c if c.name != "details" else cast_(c, Text).label("details") for c in table.columns]
    query = select(*columns).order_by(table.c.id).limit(batch)
    rows = session.execute(query).all()
    while rows:
        yield from rows
        rows = session.execute(query.where(table.c.id > rows[-1].id)).all()


@dataclass(frozen=True)
class AuditEntry:
    """One event for ``record_many``: the same fields as ``record``'s keyword arguments."""

    actor: str
    action: str
    entity_type: str
    entity_id: str
    subject_ref: str | None = None
    before: Any = None
    after: Any = None
    details: dict[str, DetailValue] | None = None


class AboutSubject(Protocol):
    """A row of an organisation's that may name a subject (a request, complaint, hold)."""

    @property
    def ref(self) -> str: ...
    @property
    def organisation(self) -> str: ...
    @property
    def subject_id(self) -> str | None: ...


def record_about(
    uow: UnitOfWork,
    entity_type: str,
    row: AboutSubject,
    action: str,
    *,
    actor: str,
    **details: DetailValue,
) -> None:
    """One entry of the chain about ``row``: under its ref and its subject's pseudonymous
    ref, with its organisation; never anyone's details or words."""
    subject = uow.session.get(Subject, row.subject_id) if row.subject_id else None
    record(
        uow,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=row.ref,
        subject_ref=subject.ref if subject is not None else None,
        details={"organisation": row.organisation, **details},
    )


def record_many(uow: UnitOfWork, entries: Iterable[AuditEntry]) -> int:
    """Append many events in order, as ``record`` would one by one, in one INSERT batch.

    The chain lock is taken once; links and digests are computed here in sequence by
    ``chained_digests``, which hashes the same bytes as ``row_digest``, so ``verify`` cannot
    tell the rows from ``record``'s. Returns the number of events appended.
    """
    pending = list(entries)
    for entry in pending:
        for key, value in (entry.details or {}).items():
            if type(value) not in _PLAIN and not isinstance(value, str | int | bool):
                raise ValidationFailed(f"audit detail {key!r} must be a string, integer or boolean")
    if not pending:
        return 0
    session = uow.session
    lock_chain(session)
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.row_hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (last[0], last[1]) if last else (0, GENESIS)
    occurred_at = canonical_time(uow.clock.now())
    # Batches repeat their details (a recompute: a few thousand distinct organisation and
    # date pairs in 75,000 rows): each distinct one is encoded once.
    encoded: dict[tuple[Any, ...], JSONText] = {}
    hashed: list[tuple[Any, ...]] = []
    for entry in pending:
        seq += 1
        details = entry.details or {}
        # With the types: True == 1, and the two encode differently.
        same = (*details.items(), *map(type, details.values()))
        if same not in encoded:
            encoded[same] = JSONText(canonical_json(details))
        hashed.append(
            (
                seq,
                entry.actor,
                entry.action,
                entry.entity_type,
                entry.entity_id,
                entry.subject_ref,
                None if entry.before is None else state_hash(entry.before),
                None if entry.after is None else state_hash(entry.after),
                encoded[same],  # stored as the text the hash was computed over
            )
        )
    digests = chained_digests(occurred_at, prev_hash, hashed)
    links = [prev_hash, *digests[:-1]]
    rows = [
        (seq, occurred_at, actor, action, kind, entity, subject, before, after, details, link, own)
        for (seq, actor, action, kind, entity, subject, before, after, details), link, own in zip(
            hashed, links, digests, strict=True
        )
    ]
    # One statement per batch rather than SQLAlchemy's per-row executemany (bulkwrite):
    # the same values, a fraction of the time on a recompute's 75,000 rows.
    insert_rows(session, cast(Table, AuditEvent.__table__), _COLUMNS, rows)
    return len(rows)


# The detail types as they come (a subclass of one is checked with isinstance).
_PLAIN = frozenset({str, int, bool, type(None)})
_COLUMNS = (
    "seq",
    "occurred_at",
    "actor",
    "action",
    "entity_type",
    "entity_id",
    "subject_ref",
    "before_hash",
    "after_hash",
    "details",
    "prev_hash",
    "row_hash",
)
