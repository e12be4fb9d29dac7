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

from dataward.audit.service import AuditEntry, record_many
from dataward.crypto.keyring import decrypt_for
from dataward.outbox.config import get_mail_settings
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import RequestLink, prepare_message, queue_requester_message
from dataward.requests.authority_models import RequestAuthority
from dataward.requests.models import RightsRequest
from dataward.requests.service import requester_of
from dataward.subjects.identities import IdentityKind
from dataward.subjects.models import Subject
from dataward.subjects.service import identity_context
from dataward.uow import UnitOfWork


def link_of(row: RightsRequest) -> RequestLink:
    return RequestLink(request_id=row.id, request_ref=row.ref, key_id=row.key_id)


def message_requester(
    uow: UnitOfWork, row: RightsRequest, kind: str, context: dict[str, Any], *, actor: str
) -> OutboxMessage | None:
    """Queue ``kind`` to everyone the request's replies go to (``reply_addresses``); the
    first message, or None when nobody has an email address (the reply goes by post)."""
    sent = [
        queue_requester_message(
            uow,
            row.organisation,
            link_of(row),
            address,
            kind,
            {"reference": row.ref, **context},
            actor=actor,
        )
        for address in reply_addresses(uow, row)
    ]
    return sent[0] if sent else None


def message_requesters(
    uow: UnitOfWork,
    messages: Sequence[tuple[RightsRequest, dict[str, Any]]],
    kind: str,
    *,
    actor: str,
) -> list[OutboxMessage | None]:
    """``message_requester`` for many requests at once (a portal's batch): every message
    prepared, then their audit entries appended together (one hold of the chain)."""
    mail = get_mail_settings()
    first: list[OutboxMessage | None] = []
    audits: list[AuditEntry] = []
    for row, context in messages:
        prepared = [
            prepare_message(
                uow,
                organisation=row.organisation,
                kind=kind,
                to=address,
                context={"reference": row.ref, **context},
                subject=None,
                actor=actor,
                mail=mail,
                request=link_of(row),
            )
            for address in reply_addresses(uow, row)
        ]
        audits += [p.audit for p in prepared]
        first.append(prepared[0].message if prepared else None)
    record_many(uow, audits)
    return first


def reply_addresses(uow: UnitOfWork, row: RightsRequest) -> list[str]:
    """SAR-10: where replies go. The person who asked, for themselves; for someone acting
    for the subject, where their authority allows: them (the default), the subject (at the
    subject's email on record, once the request is linked), or both."""
    addresses: list[str] = []
    replies_to = _replies_to(uow, row)
    if replies_to in ("representative", "both"):
        addresses.append(requester_of(uow, row).email)
    if replies_to in ("subject", "both") and row.subject_id is not None:
        addresses.append(_subject_email(uow, row.subject_id))
    return list(dict.fromkeys(a for a in addresses if a))


def _replies_to(uow: UnitOfWork, row: RightsRequest) -> str:
    if row.requester_kind == "self":
        return "representative"  # the person who asked is the subject
    replies_to = uow.session.scalars(
        select(RequestAuthority.replies_to).where(RequestAuthority.request_id == row.id)
    ).first()
    return replies_to or "representative"


def _subject_email(uow: UnitOfWork, subject_id: str) -> str:
    """The subject's first email identity (sealed under the subject's key), or ""."""
    subject = uow.session.get(Subject, subject_id)
    if subject is None or subject.shredded_at is not None:
        return ""
    for identity in subject.identities:
        if identity.kind == IdentityKind.EMAIL.value:
            return decrypt_for(
                uow, subject.key_id, identity.sealed, identity_context(subject.id, identity.kind)
            )
    return ""


def request_messages(uow: UnitOfWork, row: RightsRequest) -> Sequence[OutboxMessage]:
    """Every message sent (or waiting) about this request, oldest first."""
    return uow.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.request_id == row.id)
        .order_by(OutboxMessage.created_at, OutboxMessage.id)
    ).all()
