"""Open complaints by urgency against CMP-01's clocks, read on the UK's day.

"acknowledgement_overdue": not acknowledged and ``acknowledge_by`` has passed;
"outcome_overdue": the outcome the register promised is late; "on_time": neither.
A complaint late on both counts is counted once, as its acknowledgement is the first duty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import Select, case, func, select

from dataward.complaints.models import Complaint
from dataward.complaints.service import OPEN, today_of
from dataward.holds.models import LegalHold
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork

URGENCIES = ("acknowledgement_overdue", "outcome_overdue", "on_time")


def urgency(row: Complaint, today: date) -> str:
    if row.state not in OPEN:
        return "closed"
    if row.acknowledged_on is None and row.acknowledge_by < today:
        return "acknowledgement_overdue"
    if row.outcome_target_on is not None and row.outcome_target_on < today:
        return "outcome_overdue"
    return "on_time"


def _urgency_of(today: date) -> Any:
    """The same rule as ``urgency``, as SQL."""
    return case(
        (
            (Complaint.acknowledged_on.is_(None)) & (Complaint.acknowledge_by < today),
            "acknowledgement_overdue",
        ),
        (
            (Complaint.outcome_target_on.is_not(None)) & (Complaint.outcome_target_on < today),
            "outcome_overdue",
        ),
        else_="on_time",
    )


def counts(uow: UnitOfWork, organisation: str | None) -> dict[str, int]:
    """Open complaints of the organisation (None: of every one) by urgency, in one query."""
    kind = _urgency_of(today_of(uow)).label("urgency")
    query = select(kind, func.count()).where(Complaint.state.in_(OPEN))
    if organisation is not None:
        query = query.where(Complaint.organisation == organisation)
    rows = uow.session.execute(query.group_by(kind)).all()
    found = {str(name): int(n) for name, n in rows}
    return {name: found.get(name, 0) for name in URGENCIES}


def open_complaints(uow: UnitOfWork, organisation: str, limit: int = 50) -> list[Complaint]:
    """Open complaints, the one whose acknowledgement is due first at the top."""
    return list(
        uow.session.scalars(
            select(Complaint)
            .where(Complaint.organisation == organisation, Complaint.state.in_(OPEN))
            .order_by(Complaint.acknowledge_by, Complaint.received_on, Complaint.ref)
            .limit(limit)
        )
    )


@dataclass(frozen=True)
class ComplaintFilter:
    """The console queue's view: one organisation or all, open (or closed), narrowed."""

    organisation: str | None = None
    state: str | None = None
    urgency: str | None = None
    theme: str | None = None
    closed: bool = False


@dataclass(frozen=True)
class ComplaintPage:
    rows: list[Complaint]
    total: int
    offset: int
    limit: int
    counts: dict[str, int] = field(default_factory=dict)
    # The pseudonymous ref of each row's linked subject, by complaint id.
    subject_refs: dict[str, str] = field(default_factory=dict)


def _where(query: Select[Any], filters: ComplaintFilter, today: date) -> Select[Any]:
    if filters.organisation:
        query = query.where(Complaint.organisation == filters.organisation)
    if filters.closed:
        query = query.where(Complaint.state == "closed")
    elif filters.state in OPEN:
        query = query.where(Complaint.state == filters.state)
    else:
        query = query.where(Complaint.state.in_(OPEN))
    if filters.theme:
        query = query.where(Complaint.theme == filters.theme)
    if filters.urgency in URGENCIES and not filters.closed:
        query = query.where(_urgency_of(today) == filters.urgency)
    return query


def complaint_queue(
    uow: UnitOfWork, filters: ComplaintFilter, *, offset: int = 0, limit: int = 50
) -> ComplaintPage:
    """A page of the queue, filtered and paged in SQL: open complaints with the
    acknowledgement due first, or closed ones, the latest closed first (CMP-01)."""
    today = today_of(uow)
    query = _where(select(Complaint), filters, today)
    found = counts(uow, filters.organisation)
    if filters.closed or filters.state or filters.theme:
        total = int(uow.session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    else:  # narrowed by organisation and urgency only: the total is one of the counts
        total = found[filters.urgency] if filters.urgency in found else sum(found.values())
    if filters.closed:
        order: tuple[Any, ...] = (Complaint.closed_on.desc(), Complaint.ref)
    else:
        order = (Complaint.acknowledge_by, Complaint.received_on, Complaint.ref)
    rows = list(uow.session.scalars(query.order_by(*order).offset(offset).limit(limit)))
    linked = {r.subject_id for r in rows if r.subject_id}
    refs: dict[str, str] = {}
    if linked:
        pairs = uow.session.execute(select(Subject.id, Subject.ref).where(Subject.id.in_(linked)))
        by_id = {str(i): str(ref) for i, ref in pairs}
        refs = {r.id: by_id[r.subject_id] for r in rows if r.subject_id in by_id}
    return ComplaintPage(rows, total, offset, limit, found, subject_refs=refs)


def holds_of_complaint(uow: UnitOfWork, row: Complaint) -> list[LegalHold]:
    """The legal holds placed from the complaint, in the order they were placed."""
    return list(
        uow.session.scalars(
            select(LegalHold)
            .where(LegalHold.complaint_id == row.id)
            .order_by(LegalHold.placed_on, LegalHold.created_at)
        )
    )
