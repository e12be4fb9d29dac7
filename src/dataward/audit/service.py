"""Append to and verify the audit chain. Services call ``record``; they never commit."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Row, Table, insert, select, text
from sqlalchemy.orm import Session

from dataward.audit.chain import GENESIS, canonical_time, row_digest, state_hash
from dataward.audit.models import AuditEvent
from dataward.errors import ValidationFailed
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
    _lock_chain(session)
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


def _lock_chain(session: Session) -> None:
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


@dataclass(frozen=True)
class Verification:
    rows: int
    head_seq: int
    head_hash: str
    first_break: ChainBreak | None

    @property
    def intact(self) -> bool:
        return self.first_break is None


def verify(session: Session, batch: int = 5000) -> Verification:
    """Walk the chain in order; report the first row whose hash or link is wrong.

    Detects edited, deleted, inserted and reordered rows. Removing rows from the *end*
    leaves a shorter valid chain: compare ``head_seq``/``head_hash`` with an anchor kept
    elsewhere (``dataward audit head``) to detect that.
    """
    expected_seq = 1
    prev_hash = GENESIS
    count = 0
    for row in _rows(session, batch):
        count += 1
        if row.seq != expected_seq:
            what = "missing" if row.seq > expected_seq else "out of order"
            return Verification(
                count,
                expected_seq - 1,
                prev_hash,
                ChainBreak(row.seq, row.id, f"row {expected_seq} is {what}"),
            )
        if row.prev_hash != prev_hash:
            return Verification(
                count,
                expected_seq - 1,
                prev_hash,
                ChainBreak(row.seq, row.id, "link to the previous row is wrong"),
            )
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
            details=row.details,
            prev_hash=row.prev_hash,
        )
        if digest != row.row_hash:
            return Verification(
                count,
                expected_seq - 1,
                prev_hash,
                ChainBreak(row.seq, row.id, "row content does not match its hash"),
            )
        prev_hash = row.row_hash
        expected_seq += 1
    return Verification(count, expected_seq - 1, prev_hash, None)


def _rows(session: Session, batch: int) -> Iterator[Row[Any]]:
    # Keyset pagination keeps memory flat over millions of rows on both backends, and plain
    # rows rather than ORM objects keep the walk cheap (building objects cost 2/3 of it).
    # Ordering by id (insertion order) rather than seq is what exposes a reordered row.
    table = AuditEvent.__table__
    last_id = 0
    while True:
        rows = session.execute(
            select(*table.columns).where(table.c.id > last_id).order_by(table.c.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        last_id = rows[-1].id


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


def record_many(uow: UnitOfWork, entries: Iterable[AuditEntry]) -> int:
    """Append many events in order, as ``record`` would one by one, in one INSERT batch.

    The chain lock is taken once; links and digests are computed here in sequence with the
    same ``row_digest``, so ``verify`` cannot tell the rows from ``record``'s. Returns the
    number of events appended.
    """
    pending = list(entries)
    for entry in pending:
        for key, value in (entry.details or {}).items():
            if not isinstance(value, str | int | bool) and value is not None:
                raise ValidationFailed(f"audit detail {key!r} must be a string, integer or boolean")
    if not pending:
        return 0
    session = uow.session
    _lock_chain(session)
    last = session.execute(
        select(AuditEvent.seq, AuditEvent.row_hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev_hash = (last[0], last[1]) if last else (0, GENESIS)
    occurred_at = canonical_time(uow.clock.now())
    rows: list[dict[str, Any]] = []
    for entry in pending:
        seq += 1
        fields: dict[str, Any] = {
            "seq": seq,
            "occurred_at": occurred_at,
            "actor": entry.actor,
            "action": entry.action,
            "entity_type": entry.entity_type,
            "entity_id": entry.entity_id,
            "subject_ref": entry.subject_ref,
            "before_hash": None if entry.before is None else state_hash(entry.before),
            "after_hash": None if entry.after is None else state_hash(entry.after),
            "details": entry.details or {},
            "prev_hash": prev_hash,
        }
        prev_hash = row_digest(**fields)
        fields["row_hash"] = prev_hash
        rows.append(fields)
    session.execute(insert(cast(Table, AuditEvent.__table__)), rows)
    return len(rows)
