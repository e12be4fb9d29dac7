"""Outbox service: queue messages with the change that causes them, and deliver them.

``queue_*`` run inside the caller's unit of work: the message and its due row commit with
the change, or not at all. The message is rendered when queued (what was queued is what
is sent, whatever later edits to a template) and sealed under a data key.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from sqlalchemy import func, select, update

from dataward.audit.service import AuditEntry, record
from dataward.crypto.errors import SubjectShredded
from dataward.crypto.keyring import create_data_key, decrypt_for, encrypt_for
from dataward.errors import ValidationFailed
from dataward.jobs.models import Job
from dataward.jobs.service import ClaimedJob, enqueue
from dataward.outbox.audit_actions import OUTBOX_PARKED, OUTBOX_QUEUED, OUTBOX_SENT
from dataward.outbox.config import MailSettings, get_mail_settings
from dataward.outbox.errors import MessageUndeliverable, UnknownMessageType
from dataward.outbox.models import OutboxMessage
from dataward.outbox.senders import Sender, check_address
from dataward.outbox.templates import MESSAGE_TYPES, checked_templates
from dataward.publication.parsed import derived
from dataward.publication.registers import current_version
from dataward.register.loader import LoadedRegister
from dataward.subjects.identities import normalise_email
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork

SEND_JOB = "outbox.send"
QUEUED, SENT, PARKED = "queued", "sent", "parked"
# A campaign's message waits, unsent, while its campaign is paused (or a draft), and is
# withdrawn for good when the campaign is cancelled (issue 14, item 9).
HELD, CANCELLED = "held", "cancelled"


def organisation_names(uow: UnitOfWork, organisation: str) -> tuple[str, str]:
    """(name, legal name) from the current register: messages go out in these."""
    return derived(current_version(uow, organisation), "outbox.names", _names)


def _names(loaded: LoadedRegister) -> tuple[str, str]:
    controller = loaded.register.controller
    return (controller.name, controller.legal_name)


@dataclass(frozen=True)
class RequestLink:
    """The rights request a requester's message belongs to: sealed under its key."""

    request_id: str
    request_ref: str
    key_id: str


@dataclass(frozen=True)
class ComplaintLink:
    """The complaint a complainant's message belongs to: sealed under its key (CMP-01)."""

    complaint_id: str
    complaint_ref: str
    key_id: str


@dataclass(frozen=True)
class Prepared:
    message: OutboxMessage
    audit: AuditEntry


def prepare_message(
    uow: UnitOfWork,
    *,
    organisation: str,
    kind: str,
    to: str,
    context: dict[str, Any],
    subject: Subject | None,
    actor: str,
    campaign_id: str | None = None,
    mail: MailSettings | None = None,
    request: RequestLink | None = None,
    complaint: ComplaintLink | None = None,
) -> Prepared:
    """Render, seal and add one message and its due row; the caller records the audit entry
    (one at a time with ``record``, or a batch at once with ``record_many``)."""
    mail = mail or get_mail_settings()
    message_type = MESSAGE_TYPES.get(kind)
    if message_type is None:
        raise UnknownMessageType(f"unknown message type {kind!r}")
    if request is not None and complaint is not None:
        raise ValidationFailed("a message belongs to one request or one complaint, not both")
    case = request or complaint
    audience = "subject" if subject is not None else "requester" if case else "staff"
    if audience != message_type.audience:
        raise ValidationFailed(f"{kind} messages go to {message_type.audience}s")
    address = normalise_email(to)
    name, legal_name = organisation_names(uow, organisation)
    rendered = checked_templates(mail.mail_templates_dir).render(
        kind, {**context, "organisation_name": name, "organisation_legal_name": legal_name}
    )
    message_uuid = str(uuid.uuid4())
    # Staff messages get a key of their own: nothing in the main database is plaintext. A
    # requester's messages use the request's key, so they go when the request is shredded;
    # a complainant's, the complaint's.
    if subject is not None:
        key_id = subject.key_id
    elif case is not None:
        key_id = case.key_id
    else:
        key_id = create_data_key(uow, organisation)
    body = json.dumps(
        {
            "to": address,
            "from_name": name,
            "subject": rendered.subject,
            "text": rendered.text,
            "html": rendered.html,
        }
    )
    domain = mail.mail_from.rpartition("@")[2] or "localhost"
    message = OutboxMessage(
        id=message_uuid,
        organisation=organisation,
        kind=kind,
        subject_id=subject.id if subject is not None else None,
        subject_ref=subject.ref if subject is not None else None,
        key_id=key_id,
        message_id=f"<{message_uuid}@{domain}>",
        sealed=encrypt_for(uow, key_id, body, _context(message_uuid)),
        status=QUEUED,
        campaign_id=campaign_id,
        request_id=request.request_id if request is not None else None,
        complaint_id=complaint.complaint_id if complaint is not None else None,
        created_at=uow.clock.now(),
    )
    uow.session.add(message)
    enqueue(uow, SEND_JOB, {"message": message_uuid}, max_attempts=mail.job_max_attempts)
    audit = AuditEntry(
        actor=actor,
        action=OUTBOX_QUEUED,
        entity_type="outbox_message",
        entity_id=message_uuid,
        subject_ref=message.subject_ref,
        details={
            "organisation": organisation,
            "kind": kind,
            **({"request": request.request_ref} if request is not None else {}),
            **({"complaint": complaint.complaint_ref} if complaint is not None else {}),
        },
    )
    return Prepared(message, audit)


def queue_staff_message(
    uow: UnitOfWork,
    organisation: str,
    to: str,
    kind: str,
    context: dict[str, Any],
    *,
    actor: str = "system",
    mail: MailSettings | None = None,
) -> OutboxMessage:
    prepared = prepare_message(
        uow,
        organisation=organisation,
        kind=kind,
        to=to,
        context=context,
        subject=None,
        actor=actor,
        mail=mail,
    )
    _record(uow, prepared.audit)
    return prepared.message


def queue_subject_message(
    uow: UnitOfWork,
    subject: Subject,
    to: str,
    kind: str,
    context: dict[str, Any],
    *,
    actor: str = "system",
    mail: MailSettings | None = None,
) -> OutboxMessage:
    if subject.shredded_at is not None:
        raise SubjectShredded("this subject's data was destroyed; no message can be sent")
    prepared = prepare_message(
        uow,
        organisation=subject.organisation,
        kind=kind,
        to=to,
        context=context,
        subject=subject,
        actor=actor,
        mail=mail,
    )
    _record(uow, prepared.audit)
    return prepared.message


def queue_requester_message(
    uow: UnitOfWork,
    organisation: str,
    request: RequestLink,
    to: str,
    kind: str,
    context: dict[str, Any],
    *,
    actor: str = "system",
    mail: MailSettings | None = None,
) -> OutboxMessage:
    """A message to whoever made a rights request (the subject or someone acting for them),
    who may not be in the subject store at all."""
    prepared = prepare_message(
        uow,
        organisation=organisation,
        kind=kind,
        to=to,
        context=context,
        subject=None,
        actor=actor,
        mail=mail,
        request=request,
    )
    _record(uow, prepared.audit)
    return prepared.message


def queue_complainant_message(
    uow: UnitOfWork,
    organisation: str,
    complaint: ComplaintLink,
    to: str,
    kind: str,
    context: dict[str, Any],
    *,
    actor: str = "system",
    mail: MailSettings | None = None,
) -> OutboxMessage:
    """A message to whoever made a complaint (CMP-01), sealed under the complaint's key."""
    prepared = prepare_message(
        uow,
        organisation=organisation,
        kind=kind,
        to=to,
        context=context,
        subject=None,
        actor=actor,
        mail=mail,
        complaint=complaint,
    )
    _record(uow, prepared.audit)
    return prepared.message


def _record(uow: UnitOfWork, entry: AuditEntry) -> None:
    record(
        uow,
        actor=entry.actor,
        action=entry.action,
        entity_type=entry.entity_type,
        entity_id=entry.entity_id,
        subject_ref=entry.subject_ref,
        details=entry.details,
    )


def _context(message_uuid: str) -> str:
    return f"outbox:{message_uuid}"


def open_message(uow: UnitOfWork, row: OutboxMessage, mail: MailSettings) -> EmailMessage:
    """The MIME message, identical on every try: same Message-ID, Date and body."""
    try:
        body = json.loads(decrypt_for(uow, row.key_id, row.sealed, _context(row.id)))
    except SubjectShredded:
        raise MessageUndeliverable(
            "the subject's data was destroyed (crypto-shredded): this message can never be sent"
        ) from None
    message = EmailMessage()
    message["Message-ID"] = row.message_id
    message["Date"] = format_datetime(row.created_at)
    message["From"] = Address(display_name=body["from_name"], addr_spec=mail.mail_from)
    message["To"] = check_address(body["to"])
    message["Subject"] = body["subject"]
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body["text"])
    message.add_alternative(body["html"], subtype="html")
    return message


class OutboxDelivery:
    """The ``outbox.send`` job: hand one message to the sender, then mark it sent."""

    needs_keys = True

    def __init__(self, sender: Sender, mail: MailSettings) -> None:
        self.sender = sender
        self.mail = mail

    def run(self, uow: UnitOfWork, job: ClaimedJob) -> None:
        row = uow.session.get(OutboxMessage, job.payload.get("message"))
        if row is None:
            raise MessageUndeliverable("the message no longer exists")
        if row.status == SENT:
            return  # a repeat of a job whose first run committed: nothing to do
        if row.status in (HELD, CANCELLED):
            # Its campaign was paused or cancelled: resuming queues a new send job.
            return
        self.sender.send(open_message(uow, row, self.mail))
        row.status = SENT
        row.sent_at = uow.clock.now()
        record(
            uow,
            actor="worker",
            action=OUTBOX_SENT,
            entity_type="outbox_message",
            entity_id=row.id,
            subject_ref=row.subject_ref,
            details={"organisation": row.organisation, "kind": row.kind, "try": job.attempts},
        )

    def parked(self, uow: UnitOfWork, job: ClaimedJob, reason: str) -> None:
        row = uow.session.get(OutboxMessage, job.payload.get("message"))
        if row is None or row.status == SENT:
            return
        row.status = PARKED
        row.parked_reason = reason
        record(
            uow,
            actor="worker",
            action=OUTBOX_PARKED,
            entity_type="outbox_message",
            entity_id=row.id,
            subject_ref=row.subject_ref,
            details={"organisation": row.organisation, "kind": row.kind},
        )

    def close(self) -> None:
        self.sender.close()


def hold_campaign_messages(uow: UnitOfWork, campaign_id: str) -> int:
    """Hold a campaign's messages not yet sent; their send jobs then do nothing."""
    return _move_campaign_messages(uow, campaign_id, (QUEUED,), HELD)


def cancel_campaign_messages(uow: UnitOfWork, campaign_id: str) -> int:
    """Withdraw a campaign's messages not yet sent, for good."""
    return _move_campaign_messages(uow, campaign_id, (QUEUED, HELD), CANCELLED)


def release_campaign_messages(
    uow: UnitOfWork, campaign_id: str, *, mail: MailSettings | None = None
) -> int:
    """Held messages wait to be sent again, each with a new send job."""
    mail = mail or get_mail_settings()
    ids = list(
        uow.session.scalars(
            select(OutboxMessage.id).where(
                OutboxMessage.campaign_id == campaign_id, OutboxMessage.status == HELD
            )
        )
    )
    _move_campaign_messages(uow, campaign_id, (HELD,), QUEUED)
    for message_id in ids:
        enqueue(uow, SEND_JOB, {"message": message_id}, max_attempts=mail.job_max_attempts)
    return len(ids)


def _move_campaign_messages(
    uow: UnitOfWork, campaign_id: str, from_states: tuple[str, ...], to_state: str
) -> int:
    result = uow.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.campaign_id == campaign_id, OutboxMessage.status.in_(from_states))
        .values(status=to_state)
        .execution_options(synchronize_session="fetch")
    )
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class WaitingMessage:
    """A message not yet sent, and why it waits: never its address or body."""

    message: OutboxMessage
    reason: str
    next_attempt: datetime | None
    last_error: str | None


def waiting_messages(
    uow: UnitOfWork, campaign_states: dict[str, str], limit: int = 100
) -> list[WaitingMessage]:
    """The oldest messages waiting (queued or held), each with its send job's next try and
    last error. ``campaign_states`` maps a campaign id to its status (a held message says
    whether its campaign is paused or waits for approval)."""
    rows = list(
        uow.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status.in_((QUEUED, HELD)))
            .order_by(OutboxMessage.created_at, OutboxMessage.id)
            .limit(limit)
        )
    )
    jobs: dict[str, Job] = {}
    queued = [r.id for r in rows if r.status == QUEUED]
    if queued:
        message_of = Job.payload["message"].as_string()
        for found in uow.session.scalars(
            select(Job)
            .where(Job.kind == SEND_JOB, Job.state.in_(("due", "claimed")), message_of.in_(queued))
            .order_by(Job.id)
        ):
            jobs[str(found.payload.get("message"))] = found
    waiting = []
    for row in rows:
        job = jobs.get(row.id)
        if row.status == HELD:
            state = campaign_states.get(row.campaign_id or "", "")
            reason = "campaign waits for approval" if state == "draft" else "campaign paused"
            waiting.append(WaitingMessage(row, reason, None, None))
        elif job is None:
            waiting.append(WaitingMessage(row, "no send job: see parked jobs", None, None))
        elif job.state == "claimed":
            waiting.append(WaitingMessage(row, "being sent now", None, _kind(job.last_error)))
        elif job.attempts:
            error = _kind(job.last_error)
            waiting.append(WaitingMessage(row, "retry after an error", job.due_at, error))
        else:
            waiting.append(WaitingMessage(row, "due to be sent", job.due_at, None))
    return waiting


def _kind(last_error: str | None) -> str | None:
    """The error's stable code (``[delivery_deferred] ...`` -> ``delivery_deferred``)."""
    if not last_error:
        return None
    if last_error.startswith("[") and "]" in last_error:
        return last_error[1 : last_error.index("]")]
    return last_error.split(":", 1)[0][:60]


def outbox_counts(uow: UnitOfWork) -> dict[str, int]:
    rows = uow.session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ).all()
    counts = {QUEUED: 0, SENT: 0, PARKED: 0, HELD: 0, CANCELLED: 0}
    counts.update({status: int(n) for status, n in rows})
    return counts


def parked_messages(uow: UnitOfWork, limit: int = 200) -> Sequence[OutboxMessage]:
    return uow.session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == PARKED)
        .order_by(OutboxMessage.created_at.desc())
        .limit(limit)
    ).all()
