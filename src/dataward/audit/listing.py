"""Reading the audit chain for people: a filtered page of events, and every match in order.

The console's audit log, its CSV export and a subject's timeline all read through here. Rows
are read as plain columns with their details as stored text, parsed one by one, so a forged
row whose details are not JSON shows as such instead of failing the page: the log must stay
readable exactly when someone has tampered with it (``audit verify`` says where).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Row, Select, Text, select
from sqlalchemy import cast as cast_
from sqlalchemy.orm import Session

from dataward.audit.models import AuditEvent
from dataward.clock import UK_ZONE
from dataward.errors import ValidationFailed
from dataward.uow import UnitOfWork

MAX_PAGE = 200
UNREADABLE = "(unreadable: not JSON)"


@dataclass(frozen=True)
class AuditFilter:
    """What an auditor narrows the log to; every field is optional.

    ``action`` ending in a dot is a family (``consent.`` is every consent action); days are
    UK calendar days, inclusive, as a reader in the UK means them.
    """

    actor: str | None = None
    action: str | None = None
    subject_ref: str | None = None
    entity_id: str | None = None
    from_day: date | None = None
    to_day: date | None = None

    def __post_init__(self) -> None:
        if self.from_day and self.to_day and self.from_day > self.to_day:
            raise ValidationFailed("the 'from' day is after the 'to' day")

    @property
    def empty(self) -> bool:
        return not any(
            (
                self.actor,
                self.action,
                self.subject_ref,
                self.entity_id,
                self.from_day,
                self.to_day,
            )
        )


@dataclass(frozen=True)
class LoggedEvent:
    """One chain row as read for display: no personal data is ever in it."""

    seq: int
    occurred_at: datetime
    actor: str
    action: str
    entity_type: str = ""
    entity_id: str = ""
    subject_ref: str | None = None
    details: dict[str, object] = field(default_factory=dict)
    prev_hash: str = ""
    row_hash: str = ""


@dataclass(frozen=True)
class EventPage:
    events: list[LoggedEvent]
    # The seq to pass as ``before`` for the next (older) page; None on the last page.
    older_than: int | None


def _uk_midnight_utc(day: date) -> datetime:
    """The UTC moment a UK day starts (stored times are naive UTC)."""
    local = datetime.combine(day, time(0), tzinfo=UK_ZONE)
    return local.astimezone(UTC).replace(tzinfo=None)


def _query(filters: AuditFilter) -> Select[Any]:
    table = AuditEvent.__table__
    columns = [c if c.name != "details" else cast_(c, Text).label("details") for c in table.columns]
    query = select(*columns)
    if filters.actor:
        query = query.where(table.c.actor == filters.actor)
    if filters.action:
        if filters.action.endswith("."):
            query = query.where(table.c.action.startswith(filters.action, autoescape=True))
        else:
            query = query.where(table.c.action == filters.action)
    if filters.subject_ref:
        query = query.where(table.c.subject_ref == filters.subject_ref)
    if filters.entity_id:
        query = query.where(table.c.entity_id == filters.entity_id)
    if filters.from_day:
        query = query.where(table.c.occurred_at >= _uk_midnight_utc(filters.from_day))
    if filters.to_day:
        end = _uk_midnight_utc(filters.to_day + timedelta(days=1))
        query = query.where(table.c.occurred_at < end)
    return query


def _event(row: Row[Any]) -> LoggedEvent:
    try:
        details = json.loads(row.details) if row.details is not None else {}
    except ValueError:
        details = {"details": UNREADABLE}
    if not isinstance(details, dict):
        details = {"details": UNREADABLE}
    return LoggedEvent(
        seq=row.seq,
        occurred_at=row.occurred_at,
        actor=row.actor,
        action=row.action,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        subject_ref=row.subject_ref,
        details=details,
        prev_hash=row.prev_hash,
        row_hash=row.row_hash,
    )


def list_events(
    uow: UnitOfWork, filters: AuditFilter, *, before: int | None = None, limit: int = 50
) -> EventPage:
    """The newest events matching ``filters`` with seq below ``before``: keyset paging, so
    page 1,000 of a million-row chain costs what page 1 does."""
    limit = max(1, min(limit, MAX_PAGE))
    table = AuditEvent.__table__
    query = _query(filters)
    if before is not None:
        query = query.where(table.c.seq < before)
    rows = uow.session.execute(query.order_by(table.c.seq.desc()).limit(limit + 1)).all()
    events = [_event(row) for row in rows[:limit]]
    older = events[-1].seq if len(rows) > limit and events else None
    return EventPage(events, older)


def iter_events(session: Session, filters: AuditFilter, batch: int = 2000) -> Iterator[LoggedEvent]:
    """Every matching event, oldest first, read in keyset batches (flat memory)."""
    table = AuditEvent.__table__
    query = _query(filters).order_by(table.c.seq).limit(batch)
    rows = session.execute(query).all()
    while rows:
        yield from (_event(row) for row in rows)
        rows = session.execute(query.where(table.c.seq > rows[-1].seq)).all()
