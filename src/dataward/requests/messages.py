"""Messages to the person who made a request, kept with the request. Never commits.

They go through the outbox (sent by the worker, retried, audited) sealed under the
request's own key, so they are shredded with the request and never with a subject the
requester may only be acting for. A requester with no email address is answered by post:
``message_requester`` returns None and the caseworker sends the letter.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import RequestLink, queue_requester_message
from dataward.requests.authority_models import RequestAuthority
from dataward.requests.models import RightsRequest
from dataward.requests.service import requester_of
from dataward.uow import UnitOfWork


def link_of(row: RightsRequest) -> RequestLink:
    return RequestLink(request_id=row.id, request_ref=row.ref, key_id=row.key_id)


def message_requester(
    uow: UnitOfWork, row: RightsRequest, kind: str, context: dict[str, Any], *, actor: str
) -> OutboxMessage | None:
    """Queue ``kind`` to the requester's email, or None when they gave none (post) or when
    the authority of the person acting for the subject sends replies to the subject only
    (SAR-10: the caseworker writes to the subject)."""
    email = requester_of(uow, row).email
    if not email or not replies_to_requester(uow, row):
        return None
    return queue_requester_message(
        uow,
        row.organisation,
        link_of(row),
        email,
        kind,
        {"reference": row.ref, **context},
        actor=actor,
    )


def request_messages(uow: UnitOfWork, row: RightsRequest) -> Sequence[OutboxMessage]:
    """Every message sent (or waiting) about this request, oldest first."""
    return uow.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.request_id == row.id)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    ).all()


def replies_to_requester(uow: UnitOfWork, row: RightsRequest) -> bool:
    """Whether replies may go to the person who asked: not when their authority sends them
    to the subject only (the representative is then told nothing directly, SAR-10)."""
    if row.requester_kind == "self":
        return True
    replies_to = uow.session.scalars(
        select(RequestAuthority.replies_to).where(RequestAuthority.request_id == row.id)
    ).first()
    return replies_to != "subject"
