"""Legal holds for the API and the CLI: a filtered list, and a hold's refs for display.

No personal data is read: a hold names its subject by a foreign key (shown as the subject's
pseudonymous ref) and its case and record by the organisation's own references. Never
commits.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from dataward.complaints.models import Complaint
from dataward.holds.errors import HoldInvalid
from dataward.holds.models import LegalHold
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork

MAX_LIMIT = 500


@dataclass(frozen=True)
class HoldFilter:
    organisation: str | None = None
    # True: open holds only; False: closed ones only; None: both.
    open: bool | None = None
    subject_ref: str | None = None
    case_ref: str | None = None


def list_holds(uow: UnitOfWork, filters: HoldFilter, *, limit: int = 100) -> list[LegalHold]:
    """Holds, open ones first, the next review first. A subject is named within an
    organisation: ``subject_ref`` needs ``organisation``; an unknown subject holds nothing."""
    if not 1 <= limit <= MAX_LIMIT:
        raise HoldInvalid(f"limit must be between 1 and {MAX_LIMIT}")
    query = select(LegalHold)
    if filters.organisation is not None:
        query = query.where(LegalHold.organisation == filters.organisation)
    if filters.open is True:
        query = query.where(LegalHold.closed_on.is_(None))
    elif filters.open is False:
        query = query.where(LegalHold.closed_on.is_not(None))
    if filters.subject_ref is not None:
        if filters.organisation is None:
            raise HoldInvalid("a subject is named within an organisation: give organisation")
        query = query.join(Subject, Subject.id == LegalHold.subject_id).where(
            Subject.organisation == filters.organisation, Subject.ref == filters.subject_ref
        )
    if filters.case_ref is not None:
        query = query.where(LegalHold.case_ref == filters.case_ref)
    query = query.order_by(
        LegalHold.closed_on.is_not(None), LegalHold.review_on, LegalHold.ref
    ).limit(limit)
    return list(uow.session.scalars(query))


def subject_ref_of(uow: UnitOfWork, row: LegalHold) -> str | None:
    subject = uow.session.get(Subject, row.subject_id) if row.subject_id else None
    return subject.ref if subject is not None else None


def complaint_ref_of(uow: UnitOfWork, row: LegalHold) -> str | None:
    complaint = uow.session.get(Complaint, row.complaint_id) if row.complaint_id else None
    return complaint.ref if complaint is not None else None


def complaint_id_of(uow: UnitOfWork, organisation: str, complaint_ref: str) -> str:
    """The id of the organisation's complaint ``complaint_ref`` (the hold it places)."""
    found = uow.session.scalar(
        select(Complaint.id).where(
            Complaint.organisation == organisation, Complaint.ref == complaint_ref
        )
    )
    if found is None:
        raise HoldInvalid(f"no complaint {complaint_ref[:32]!r} in {organisation[:80]}")
    return found
