"""The caseworker's queue: open requests by urgency, filtered, paged; one request's history.

Urgency is read against today's date in UK terms: overdue (due before today), due within 7
days, on time, or waiting (no clock running: identity or a fee awaited, or paused).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import Select, case, func, select

from dataward.crypto.keyring import decrypt_for
from dataward.requests.models import RequestEvent, RightsRequest
from dataward.requests.transitions import OPEN
from dataward.uow import UnitOfWork

SOON_DAYS = 7
URGENCIES = ("overdue", "due_soon", "on_time", "waiting")


def not_indexed(column: Any) -> Any:
    """``column || ''``: the same value, but a planner without statistics (SQLite before its
    first ANALYZE) can no longer pick the state index and then sort every open request;
    it walks the index of the ORDER BY instead and stops after a page."""
    return column.concat("")


def urgency(row: RightsRequest, today: date) -> str:
    if row.state not in OPEN:
        return "closed"
    if row.due_on is None or row.paused_since is not None:
        return "waiting"
    if row.due_on < today:
        return "overdue"
    if row.due_on <= today + timedelta(days=SOON_DAYS):
        return "due_soon"
    return "on_time"


@dataclass(frozen=True)
class QueueFilter:
    organisation: str | None = None
    urgency: str | None = None
    right: str | None = None
    channel: str | None = None
    state: str | None = None
    assignee: str | None = None
    include_closed: bool = False


@dataclass(frozen=True)
class QueuePage:
    rows: list[RightsRequest]
    total: int
    offset: int
    limit: int
    counts: dict[str, int] = field(default_factory=dict)


def _where(query: Select[Any], filters: QueueFilter, today: date) -> Select[Any]:
    table = RightsRequest
    if filters.organisation:
        query = query.where(table.organisation == filters.organisation)
    if not filters.include_closed and not filters.state:
        query = query.where(not_indexed(table.state).in_(OPEN))
    if filters.state:
        query = query.where(table.state == filters.state)
    if filters.channel:
        query = query.where(table.channel == filters.channel)
    if filters.assignee:
        query = query.where(table.assignee == filters.assignee)
    soon = today + timedelta(days=SOON_DAYS)
    running = table.due_on.is_not(None) & table.paused_since.is_(None)
    if filters.urgency == "overdue":
        query = query.where(running, table.due_on < today)
    elif filters.urgency == "due_soon":
        query = query.where(running, table.due_on >= today, table.due_on <= soon)
    elif filters.urgency == "on_time":
        query = query.where(running, table.due_on > soon)
    elif filters.urgency == "waiting":
        query = query.where(~running)
    return query


def urgency_counts(uow: UnitOfWork, organisation: str | None, today: date) -> dict[str, int]:
    """Open requests by urgency, in one pass over the table."""
    table = RightsRequest
    soon = today + timedelta(days=SOON_DAYS)
    running = table.due_on.is_not(None) & table.paused_since.is_(None)
    buckets = {
        "overdue": running & (table.due_on < today),
        "due_soon": running & (table.due_on >= today) & (table.due_on <= soon),
        "on_time": running & (table.due_on > soon),
        "waiting": ~running,
    }
    query = select(
        *(func.coalesce(func.sum(case((cond, 1), else_=0)), 0) for cond in buckets.values())
    ).where(table.state.in_(OPEN))
    if organisation:
        query = query.where(table.organisation == organisation)
    found = uow.session.execute(query).one()
    return {name: int(value) for name, value in zip(buckets, found, strict=True)}


def queue(uow: UnitOfWork, filters: QueueFilter, *, offset: int = 0, limit: int = 50) -> QueuePage:
    """Requests, most urgent first (earliest due; waiting ones last), paged in SQL.

    Two queries for the usual view (the counts and the page): the total of a view narrowed
    only by organisation and urgency is one of the counts.
    """
    today = uow.clock.today()
    counts = urgency_counts(uow, filters.organisation, today)
    query = _where(select(RightsRequest), filters, today)
    order = (
        RightsRequest.due_on.is_(None),
        RightsRequest.due_on,
        RightsRequest.received_on,
        RightsRequest.ref,
    )
    if filters.right:
        # Rights are a JSON list, read the same way on both backends: filtered here.
        rows = [r for r in uow.session.scalars(query.order_by(*order)) if filters.right in r.rights]
        return QueuePage(rows[offset : offset + limit], len(rows), offset, limit, counts)
    narrowed_further = (
        filters.channel or filters.state or filters.assignee or filters.include_closed
    )
    if narrowed_further:
        counted = select(func.count()).select_from(query.subquery())
        total = int(uow.session.scalar(counted) or 0)
    else:
        total = counts[filters.urgency] if filters.urgency else sum(counts.values())
    return QueuePage(_page(uow, query, offset, limit), total, offset, limit, counts)


def _page(uow: UnitOfWork, query: Select[Any], offset: int, limit: int) -> list[RightsRequest]:
    """Dated requests by due date, then undated ones by receipt.

    Two queries rather than one ``ORDER BY due_on IS NULL, ...``: each walks an index in
    order and stops after the page, where the single ordering sorted every open request.
    """
    table = RightsRequest
    dated = query.where(table.due_on.is_not(None)).order_by(
        table.due_on, table.received_on, table.ref
    )
    page = list(uow.session.scalars(dated.offset(offset).limit(limit)))
    if len(page) == limit:
        return page
    before = offset
    if offset:
        counted = select(func.count()).select_from(dated.order_by(None).subquery())
        before = offset - int(uow.session.scalar(counted) or 0)
    undated = query.where(table.due_on.is_(None)).order_by(table.received_on, table.ref)
    rest = undated.offset(max(before, 0)).limit(limit - len(page))
    return page + list(uow.session.scalars(rest))


class StepEvent(Protocol):
    """A step in a history (``RequestEvent``, ``ComplaintEvent``), as ``HistoryEntry``
    reads it."""

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def on(self) -> date: ...
    @property
    def actor(self) -> str: ...
    @property
    def action(self) -> str: ...
    @property
    def from_state(self) -> str | None: ...
    @property
    def to_state(self) -> str: ...


@dataclass(frozen=True)
class HistoryEntry:
    seq: int
    at: datetime
    on: date
    actor: str
    action: str
    from_state: str | None
    to_state: str
    note: str | None

    @classmethod
    def of(cls, event: StepEvent, note: str | None) -> HistoryEntry:
        """A step of a request's or complaint's history, with its note as the view may
        show it."""
        e = event
        return cls(e.seq, e.at, e.on, e.actor, e.action, e.from_state, e.to_state, note)


def history(uow: UnitOfWork, row: RightsRequest) -> list[HistoryEntry]:
    """Every step, oldest first, with the caseworkers' reasons unsealed for this view."""
    events = uow.session.scalars(
        select(RequestEvent).where(RequestEvent.request_id == row.id).order_by(RequestEvent.seq)
    )
    return [
        HistoryEntry.of(
            e,
            decrypt_for(uow, row.key_id, e.note_sealed, f"request:{row.id}:event:{e.seq}")
            if e.note_sealed is not None
            else None,
        )
        for e in events
    ]


def earlier_requests(uow: UnitOfWork, row: RightsRequest) -> list[RightsRequest]:
    """The same subject's other requests, newest first."""
    if row.subject_id is None:
        return []
    return list(
        uow.session.scalars(
            select(RightsRequest)
            .where(RightsRequest.subject_id == row.subject_id, RightsRequest.id != row.id)
            .order_by(RightsRequest.received_on.desc())
        )
    )


def count_open(uow: UnitOfWork) -> int:
    return int(
        uow.session.scalar(
            select(func.count()).select_from(RightsRequest).where(RightsRequest.state.in_(OPEN))
        )
        or 0
    )
