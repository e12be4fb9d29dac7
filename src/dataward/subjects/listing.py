"""Read-only views of subjects for the console: a page of the list, and a timeline.

Listing shows pseudonymous refs, groups and dates only: identities are decrypted on the
subject's own page, one subject at a time.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from dataward.audit.listing import AuditFilter, LoggedEvent, list_events
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


# A subject's timeline is the audit log narrowed to their pseudonymous ref.
TimelineEntry = LoggedEvent


def subject_timeline(uow: UnitOfWork, subject_ref: str, limit: int = 200) -> list[TimelineEntry]:
    """The audit chain's events about one subject, newest first."""
    return list_events(uow, AuditFilter(subject_ref=subject_ref), limit=limit).events
