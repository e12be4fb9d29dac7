"""Read-only views of subjects for the console: a page of the list, and a timeline.

Listing shows pseudonymous refs, groups and dates only: identities are decrypted on the
subject's own page, one subject at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from dataward.audit.models import AuditEvent
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork


@dataclass(frozen=True)
class SubjectPage:
    subjects: list[Subject]
    total: int
    offset: int
    limit: int


def list_subjects(
    uow: UnitOfWork, organisation: str | None, *, offset: int = 0, limit: int = 50
) -> SubjectPage:
    """Live subjects (not merged away, not shredded), newest first."""
    live = Subject.merged_into.is_(None) & Subject.shredded_at.is_(None)
    if organisation:
        live = live & (Subject.organisation == organisation)
    total = int(uow.session.scalar(select(func.count()).select_from(Subject).where(live)) or 0)
    rows = uow.session.scalars(
        select(Subject)
        .where(live)
        .order_by(Subject.created_at.desc(), Subject.ref)
        .offset(offset)
        .limit(limit)
    )
    return SubjectPage(list(rows), total, offset, limit)


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    occurred_at: datetime
    actor: str
    action: str
    details: dict[str, object]


def subject_timeline(uow: UnitOfWork, subject_ref: str, limit: int = 200) -> list[TimelineEntry]:
    """The audit chain's events about one subject, newest first."""
    rows = uow.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.subject_ref == subject_ref)
        .order_by(AuditEvent.seq.desc())
        .limit(limit)
    )
    return [TimelineEntry(r.seq, r.occurred_at, r.actor, r.action, dict(r.details)) for r in rows]
