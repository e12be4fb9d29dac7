"""Complaints for the API and the CLI: a filtered list, a page at a time, and the history.

The list reads codes and days only (never the sealed complainant); pages follow a cursor
(the last row's day of receipt and ref), so a complaint opened while a client pages is
neither skipped nor shown twice. The history unseals the caseworkers' notes for a reader
who holds ``complaints:read``. Never commits.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select, tuple_

from dataward.complaints.errors import ComplaintInvalid
from dataward.complaints.models import Complaint, ComplaintEvent
from dataward.complaints.queue import URGENCIES, _urgency_of, urgency
from dataward.complaints.service import (
    OPEN,
    THEMES,
    Complainant,
    complainant_of,
    note_of,
    today_of,
)
from dataward.requests.queue import HistoryEntry
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork

STATES = (*OPEN, "closed")
# "open": any of the open states.
STATE_FILTERS = (*STATES, "open")
MAX_LIMIT = 500


@dataclass(frozen=True)
class ComplaintFilter:
    organisation: str | None = None
    state: str | None = None
    urgency: str | None = None
    theme: str | None = None


@dataclass(frozen=True)
class ComplaintPage:
    rows: list[Complaint]
    # The cursor of the next page; None on the last one.
    next_cursor: str | None


def encode_cursor(row: Complaint) -> str:
    raw = f"{row.received_on.isoformat()}|{row.ref}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[date, str]:
    """The (day received, ref) a cursor stands for; ComplaintInvalid when it is not one."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        day, ref = raw.split("|", 1)
        return date.fromisoformat(day), ref[:32]
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ComplaintInvalid("cursor is not one this server gave") from None


def check_filter(filters: ComplaintFilter) -> None:
    if filters.state is not None and filters.state not in STATE_FILTERS:
        raise ComplaintInvalid(f"state must be one of {', '.join(STATE_FILTERS)}")
    if filters.urgency is not None and filters.urgency not in URGENCIES:
        raise ComplaintInvalid(f"urgency must be one of {', '.join(URGENCIES)}")
    if filters.theme is not None and filters.theme not in THEMES:
        raise ComplaintInvalid(f"theme must be one of {', '.join(THEMES)}")


def list_complaints(
    uow: UnitOfWork, filters: ComplaintFilter, *, limit: int = 100, cursor: str | None = None
) -> ComplaintPage:
    """Complaints oldest received first, filtered; ``urgency`` (CMP-01's clocks, on the UK's
    day) keeps to open complaints."""
    check_filter(filters)
    if not 1 <= limit <= MAX_LIMIT:
        raise ComplaintInvalid(f"limit must be between 1 and {MAX_LIMIT}")
    query = select(Complaint)
    if filters.organisation is not None:
        query = query.where(Complaint.organisation == filters.organisation)
    if filters.state == "open":
        query = query.where(Complaint.state.in_(OPEN))
    elif filters.state is not None:
        query = query.where(Complaint.state == filters.state)
    if filters.urgency is not None:
        query = query.where(
            Complaint.state.in_(OPEN), _urgency_of(today_of(uow)) == filters.urgency
        )
    if filters.theme is not None:
        query = query.where(Complaint.theme == filters.theme)
    if cursor:
        after = decode_cursor(cursor)
        query = query.where(tuple_(Complaint.received_on, Complaint.ref) > after)
    query = query.order_by(Complaint.received_on, Complaint.ref).limit(limit + 1)
    rows = list(uow.session.scalars(query))
    more = len(rows) > limit
    rows = rows[:limit]
    return ComplaintPage(rows, encode_cursor(rows[-1]) if more else None)


def subject_ref_of(uow: UnitOfWork, row: Complaint) -> str | None:
    subject = uow.session.get(Subject, row.subject_id) if row.subject_id else None
    return subject.ref if subject is not None else None


def history(uow: UnitOfWork, row: Complaint, *, with_notes: bool) -> list[HistoryEntry]:
    """Every step, oldest first; the notes unsealed only ``with_notes``."""
    events = uow.session.scalars(
        select(ComplaintEvent)
        .where(ComplaintEvent.complaint_id == row.id)
        .order_by(ComplaintEvent.seq)
    )
    return [HistoryEntry.of(e, note_of(uow, row, e) if with_notes else None) for e in events]


def complaint_facts(row: Complaint, today: date) -> dict[str, Any]:
    """A complaint's codes and days, CMP-01's urgency on ``today``: no personal data."""
    return {
        "ref": row.ref,
        "organisation": row.organisation,
        "channel": row.channel,
        "state": row.state,
        "urgency": urgency(row, today),
        "received_on": row.received_on,
        "acknowledge_by": row.acknowledge_by,
        "acknowledged_on": row.acknowledged_on,
        "outcome_target_on": row.outcome_target_on,
        "outcome": row.outcome,
        "closed_on": row.closed_on,
        "theme": row.theme,
        "complainant_kind": row.complainant_kind,
        "subject_linked": row.subject_id is not None,
        "request_refs": list(row.request_refs),
    }


def complaint_record(uow: UnitOfWork, row: Complaint, *, sealed: bool) -> dict[str, Any]:
    """The whole complaint: its facts, subject, history; with ``sealed``, the complainant's
    details and the caseworkers' notes too (None and no notes without)."""
    complainant = (
        {**dict.fromkeys(Complainant.__dataclass_fields__, ""), **complainant_of(uow, row).__dict__}
        if sealed
        else None
    )
    return {
        **complaint_facts(row, today_of(uow)),
        "subject_ref": subject_ref_of(uow, row),
        "complainant": complainant,
        "history": [e.__dict__ for e in history(uow, row, with_notes=sealed)],
    }
