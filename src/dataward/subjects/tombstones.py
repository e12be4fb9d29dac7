"""What is left to show of a subject that was shredded or merged away: a tombstone.

A shredded subject's identities are gone for good and a merged one's moved to the subject it
was merged into; a bare "not found" would look like lost data. The tombstone says what
happened, when and by whom, links a merged record to the one that remains, and lists the
chain's events about it (which hold no personal data).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from dataward.audit.listing import AuditFilter, LoggedEvent, list_events
from dataward.subjects.audit_actions import SUBJECT_MERGED, SUBJECT_SHREDDED
from dataward.subjects.models import Subject
from dataward.subjects.service import SHRED_REASONS
from dataward.uow import UnitOfWork


@dataclass(frozen=True)
class Tombstone:
    ref: str
    organisation: str
    fate: str  # "shredded" or "merged"
    at: datetime | None
    by: str | None
    # The reason recorded with the action, if one was; never free text about the person.
    reason: str | None
    survivor_ref: str | None
    events: list[LoggedEvent]


def tombstone_of(uow: UnitOfWork, organisation: str, ref: str) -> Tombstone | None:
    """The tombstone of ``ref``, or None when it is live (or never existed)."""
    subject = uow.session.scalars(
        select(Subject).where(Subject.organisation == organisation, Subject.ref == ref)
    ).first()
    if subject is None:
        return None
    events = list_events(uow, AuditFilter(subject_ref=ref), limit=200).events
    if subject.shredded_at is not None:
        shredded = next((e for e in events if e.action == SUBJECT_SHREDDED), None)
        return Tombstone(
            ref,
            organisation,
            "shredded",
            subject.shredded_at,
            shredded.actor if shredded else None,
            _reason(shredded),
            None,
            events,
        )
    if subject.merged_into is None:
        return None
    survivor = uow.session.get(Subject, subject.merged_into)
    survivor_ref = survivor.ref if survivor is not None else None
    merge = _merge_event(uow, survivor_ref, ref) if survivor_ref else None
    return Tombstone(
        ref,
        organisation,
        "merged",
        merge.occurred_at if merge else None,
        merge.actor if merge else None,
        _reason(merge),
        survivor_ref,
        events,
    )


def _reason(event: LoggedEvent | None) -> str | None:
    value = event.details.get("reason") if event else None
    if not isinstance(value, str) or not value:
        return None
    return SHRED_REASONS.get(value, value)


def _merge_event(uow: UnitOfWork, survivor_ref: str, merged_ref: str) -> LoggedEvent | None:
    """The merge is recorded under the surviving subject, naming the merged one."""
    merges = AuditFilter(subject_ref=survivor_ref, action=SUBJECT_MERGED)
    for event in list_events(uow, merges, limit=200).events:
        if event.details.get("merged") == merged_ref:
            return event
    return None
