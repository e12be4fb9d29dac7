"""What a request waiting in ``awaiting_identity`` waits for: the requester's proof of
identity, or the authority of the person acting for the subject (SAR-05, SAR-10).

Both asks stop the clock in the same state; the history says which came last, and the
status page, the letters and the console say that one (never "proof of identity" while a
representative's authority is what is awaited).
"""

from __future__ import annotations

from sqlalchemy import select

from dataward.requests.audit_actions import (
    REQUEST_AUTHORITY_REQUESTED,
    REQUEST_IDENTITY_REQUESTED,
)
from dataward.requests.models import RequestEvent, RightsRequest
from dataward.uow import UnitOfWork

# The steps that ask the requester for proof and stop the clock until it arrives.
PROOF_ASKS = (REQUEST_IDENTITY_REQUESTED, REQUEST_AUTHORITY_REQUESTED)


def last_proof_asked(uow: UnitOfWork, row: RightsRequest) -> RequestEvent | None:
    """The latest ask for identity or for authority, or None if neither was made."""
    return uow.session.scalars(
        select(RequestEvent)
        .where(RequestEvent.request_id == row.id, RequestEvent.action.in_(PROOF_ASKS))
        .order_by(RequestEvent.seq.desc())
        .limit(1)
    ).first()


def waits_for_authority(uow: UnitOfWork, row: RightsRequest) -> bool:
    """The request waits, and what it waits for is a representative's authority."""
    if row.state != "awaiting_identity":
        return False
    last = last_proof_asked(uow, row)
    return last is not None and last.action == REQUEST_AUTHORITY_REQUESTED
