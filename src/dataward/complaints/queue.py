"""Open complaints by urgency against CMP-01's clocks, read on the UK's day.

"acknowledgement_overdue": not acknowledged and ``acknowledge_by`` has passed;
"outcome_overdue": the outcome the register promised is late; "on_time": neither.
A complaint late on both counts is counted once, as its acknowledgement is the first duty.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import case, func, select

from dataward.complaints.models import Complaint
from dataward.complaints.service import OPEN, today_of
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


def counts(uow: UnitOfWork, organisation: str) -> dict[str, int]:
    """Open complaints of the organisation by urgency, in one query."""
    kind = _urgency_of(today_of(uow)).label("urgency")
    rows = uow.session.execute(
        select(kind, func.count())
        .where(Complaint.organisation == organisation, Complaint.state.in_(OPEN))
        .group_by(kind)
    ).all()
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
