"""Messages to the person who complained, kept with the complaint. Never commits.

They go through the outbox (sent by the worker, retried, audited) sealed under the
complaint's own key, so they are shredded with the complaint. A complainant with no email
address, or who asked for post, is answered by post: nothing is queued and the chain
records that the letter must be printed (CMP-01).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from dataward.complaints.models import Complaint
from dataward.complaints.service import complainant_of
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import ComplaintLink, queue_complainant_message
from dataward.uow import UnitOfWork

ACKNOWLEDGED = "complaint_acknowledged"
OUTCOME = "complaint_outcome"


def link_of(row: Complaint) -> ComplaintLink:
    return ComplaintLink(complaint_id=row.id, complaint_ref=row.ref, key_id=row.key_id)


def reply_address(uow: UnitOfWork, row: Complaint) -> str:
    """Where emails go: the complainant's email, unless they asked for post; "" for post."""
    complainant = complainant_of(uow, row)
    return "" if complainant.reply_by == "post" else complainant.email


def message_complainant(
    uow: UnitOfWork, row: Complaint, kind: str, context: dict[str, Any], *, actor: str
) -> OutboxMessage | None:
    """Queue ``kind`` to the complainant; None when they are answered by post."""
    address = reply_address(uow, row)
    if not address:
        return None
    return queue_complainant_message(
        uow,
        row.organisation,
        link_of(row),
        address,
        kind,
        {"reference": row.ref, **context},
        actor=actor,
    )


def complaint_messages(uow: UnitOfWork, row: Complaint) -> Sequence[OutboxMessage]:
    """Every message sent (or waiting) about this complaint, oldest first."""
    return uow.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.complaint_id == row.id)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    ).all()
