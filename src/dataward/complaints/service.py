"""Taking a complaint in, and each step to its outcome (CMP-01). Never commits.

A complaint opens from any channel on the day it really arrived, by the person or someone
acting for them; an unknown person's complaint is kept and linked to a subject later. Its
acknowledgement is due 30 days after receipt, and its outcome by the day the register
promises (if it promises one). The complainant's details and words are sealed under a data
key of the complaint's own, so the complaint can be shredded on its own schedule; the audit
chain gets refs and codes only.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select

from dataward.audit.service import DetailValue, record_about
from dataward.clock import in_uk_time
from dataward.complaints.audit_actions import COMPLAINT_RECEIVED
from dataward.complaints.errors import ComplaintInvalid, ComplaintNotFound
from dataward.complaints.models import Complaint, ComplaintEvent
from dataward.crypto.keyring import create_data_key, decrypt_for, encrypt_for
from dataward.publication.parsed import load_version
from dataward.publication.registers import current_version
from dataward.requests.service import REQUESTER_KINDS, Requester
from dataward.subjects.service import get_subject
from dataward.uow import UnitOfWork

# CMP-01: a complaint by any channel.
CHANNELS = ("portal", "email", "post", "phone", "in_person", "social_media", "api")
# The person, or someone acting for them (the same kinds as a rights request's, SAR-10).
COMPLAINANT_KINDS = REQUESTER_KINDS
# CMP-01: acknowledged within 30 days of receipt.
ACKNOWLEDGE_WITHIN_DAYS = 30
OUTCOMES = ("upheld", "partly_upheld", "not_upheld", "withdrawn")
OPEN = ("received", "acknowledged", "investigating")
# What a complaint is about, for the DPO's figures by theme (the ICO's own broad headings).
THEMES = (
    "rights_request",  # a rights request handled late, badly or refused
    "disclosure",  # data shared or disclosed when it should not have been
    "accuracy",  # wrong or out-of-date data
    "security",  # data lost, stolen or seen by the wrong person
    "retention",  # data kept too long, or deleted too soon
    "marketing",  # marketing sent without consent or after an objection
    "recording",  # CCTV, body-worn video, call recordings
    "collection",  # more collected than needed, or without being told
    "other",
)
MAX_TEXT = 8000


# Who complains and how to reach them: the details a rights request's requester gives (the
# person or someone acting for them; reply_by "post" where they asked for post). Personal
# data, only ever stored sealed.
Complainant = Requester


@dataclass(frozen=True)
class NewComplaint:
    organisation: str
    channel: str
    received_on: date
    complainant: Complainant
    complainant_kind: str = "self"
    subject_ref: str | None = None
    theme: str | None = None


def today_of(uow: UnitOfWork) -> date:
    # The UK's day: a complaint sent at 23:30 UTC on a summer evening arrived the next day.
    return in_uk_time(uow.clock.now()).date()


def check_text(name: str, value: str) -> None:
    if len(value) > MAX_TEXT:
        raise ComplaintInvalid(f"{name} is too long (at most {MAX_TEXT} characters)")
    if "\x00" in value:
        raise ComplaintInvalid(f"{name} holds a character that cannot be stored")


def _check(new: NewComplaint, today: date) -> None:
    if new.channel not in CHANNELS:
        raise ComplaintInvalid(f"channel must be one of {', '.join(CHANNELS)}")
    if new.complainant_kind not in COMPLAINANT_KINDS:
        raise ComplaintInvalid(f"complainant kind must be one of {', '.join(COMPLAINANT_KINDS)}")
    if new.theme is not None and new.theme not in THEMES:
        raise ComplaintInvalid(f"theme must be one of {', '.join(THEMES)}")
    if new.received_on > today:
        raise ComplaintInvalid("a complaint cannot have been received after today")
    for name, value in new.complainant.as_dict().items():
        check_text(name.replace("_", " "), value)
    if not new.complainant.words.strip():
        raise ComplaintInvalid("say what the complaint is about")
    acting = new.complainant_kind != "self"
    if acting and not new.complainant.on_behalf_of.strip():
        raise ComplaintInvalid("someone acting for the person must say whom they act for")
    if not acting and new.complainant.on_behalf_of.strip():
        raise ComplaintInvalid("say what kind of person is acting for the complainant")


def outcome_within_days(uow: UnitOfWork, organisation: str) -> int | None:
    """The days the register promises the outcome in; None when it promises nothing."""
    route = load_version(current_version(uow, organisation)).register.rights.complaints
    return route.outcome_within_days if route is not None else None


def _context(row: Complaint) -> str:
    return f"complaint:{row.id}:complainant"


def open_complaint(uow: UnitOfWork, new: NewComplaint, *, actor: str) -> Complaint:
    """Open a complaint in state ``received``; CMP-01's clock runs from the day it arrived."""
    _check(new, today_of(uow))
    within = outcome_within_days(uow, new.organisation)
    subject_id = None
    if new.subject_ref:
        subject_id = get_subject(uow, new.organisation, new.subject_ref).id
    now = uow.clock.now()
    row = Complaint(
        id=str(uuid.uuid4()),
        ref="c_" + secrets.token_hex(8),
        organisation=new.organisation,
        channel=new.channel,
        state="received",
        received_on=new.received_on,
        acknowledge_by=new.received_on + timedelta(days=ACKNOWLEDGE_WITHIN_DAYS),
        outcome_target_on=(
            new.received_on + timedelta(days=within) if within is not None else None
        ),
        subject_id=subject_id,
        complainant_kind=new.complainant_kind,
        theme=new.theme,
        request_refs=[],
        key_id=create_data_key(uow, new.organisation),
        complainant_sealed=b"",
        created_at=now,
        updated_at=now,
    )
    row.complainant_sealed = encrypt_for(
        uow, row.key_id, json.dumps(new.complainant.as_dict()), _context(row)
    )
    uow.session.add(row)
    uow.session.flush()
    add_event(uow, row, COMPLAINT_RECEIVED, None, actor=actor, on=new.received_on)
    audit_complaint(
        uow,
        row,
        COMPLAINT_RECEIVED,
        actor=actor,
        channel=row.channel,
        complainant=row.complainant_kind,
        received_on=row.received_on.isoformat(),
        acknowledge_by=row.acknowledge_by.isoformat(),
    )
    return row


def complainant_of(uow: UnitOfWork, row: Complaint) -> Complainant:
    data = json.loads(decrypt_for(uow, row.key_id, row.complainant_sealed, _context(row)))
    fields = Complainant.__dataclass_fields__
    return Complainant(**{k: str(v) for k, v in data.items() if k in fields})


def get_complaint(uow: UnitOfWork, organisation: str, ref: str) -> Complaint:
    row = uow.session.scalars(
        select(Complaint).where(Complaint.organisation == organisation, Complaint.ref == ref)
    ).first()
    if row is None:
        raise ComplaintNotFound(f"no complaint {ref[:32]!r} in {organisation[:80]}")
    return row


def audit_complaint(
    uow: UnitOfWork, row: Complaint, action: str, *, actor: str, **details: DetailValue
) -> None:
    """One entry of the audit chain about a complaint: its ref, its subject's pseudonymous
    ref, its organisation; never the complainant's details or words."""
    record_about(uow, "complaint", row, action, actor=actor, **details)


def add_event(
    uow: UnitOfWork,
    row: Complaint,
    action: str,
    from_state: str | None,
    *,
    actor: str,
    on: date,
    note: str | None = None,
) -> ComplaintEvent:
    """One step of the complaint's history; the note (the caseworker's words) is sealed."""
    seq = (
        uow.session.scalar(
            select(func.count(ComplaintEvent.id)).where(ComplaintEvent.complaint_id == row.id)
        )
        or 0
    ) + 1
    event = ComplaintEvent(
        id=str(uuid.uuid4()),
        complaint_id=row.id,
        seq=seq,
        at=uow.clock.now(),
        on=on,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=row.state,
    )
    if note:
        event.note_sealed = encrypt_for(uow, row.key_id, note, f"complaint:{row.id}:event:{seq}")
    uow.session.add(event)
    uow.session.flush()
    return event


def note_of(uow: UnitOfWork, row: Complaint, event: ComplaintEvent) -> str | None:
    if event.note_sealed is None:
        return None
    return decrypt_for(uow, row.key_id, event.note_sealed, f"complaint:{row.id}:event:{event.seq}")
