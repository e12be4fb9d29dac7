"""Taking a rights request in: from any channel, on the day it really arrived. Never commits.

A request opens whatever it asks (SAR-10: any channel, written or spoken): a right the
register says does not apply is kept and marked so the reply can explain it, and an unknown
person still gets a request, linked to a subject later. The requester's words and contact
details are sealed under a data key of the request's own, so shredding a subject never
loses the record that they asked, and the request can be shredded on its own schedule.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from dataward.audit.service import AuditEntry, DetailValue, record, record_about
from dataward.calendar import Nation
from dataward.clock import in_uk_time
from dataward.crypto.keyring import create_data_key, decrypt_for, encrypt_for
from dataward.publication.parsed import load_version
from dataward.publication.registers import current_version
from dataward.register.models import Register
from dataward.register.models.rights import Right
from dataward.register.nation import register_nation
from dataward.requests.audit_actions import REQUEST_RECEIVED
from dataward.requests.clock import due_dates
from dataward.requests.errors import RequestInvalid, RequestNotFound
from dataward.requests.models import RequestEvent, RightsRequest
from dataward.requests.task_plan import plan_tasks
from dataward.subjects.service import get_subject
from dataward.uow import UnitOfWork

# The rights a person can ask to exercise (the register's "informed" and "complain" are
# not requests: the notice and the complaints procedure answer them).
REQUESTABLE = (
    Right.ACCESS,
    Right.RECTIFICATION,
    Right.ERASURE,
    Right.RESTRICTION,
    Right.PORTABILITY,
    Right.OBJECTION,
    Right.OBJECTION_DIRECT_MARKETING,
    Right.AUTOMATED_DECISIONS,
    Right.WITHDRAW_CONSENT,
)
CHANNELS = ("portal", "email", "post", "phone", "in_person", "social_media", "api", "batch")
# SAR-10: the subject, or someone acting for them.
REQUESTER_KINDS = (
    "self",
    "solicitor",
    "claims_firm",
    "third_party_portal",
    "attorney",
    "deputy",
    "parent",
    "other_representative",
)
MAX_TEXT = 4000
# How the requester asked to be answered: empty for "email where given", or "post".
REPLY_BY = ("", "email", "post")


@dataclass(frozen=True)
class Requester:
    """Who asked and how to reach them: personal data, only ever stored sealed."""

    name: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    # The request in the requester's own words.
    words: str = ""
    # For someone acting for the subject: the subject's name and the authority seen.
    on_behalf_of: str = ""
    authority: str = ""
    # "post" where the requester asked to be answered by post (rights.delivery
    # ``electronic_unless_requested``); empty: email where an address is given.
    reply_by: str = ""

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass(frozen=True)
class NewRequest:
    organisation: str
    rights: Sequence[str]
    channel: str
    received_on: date
    requester: Requester = field(default_factory=Requester)
    requester_kind: str = "self"
    subject_ref: str | None = None


def register_of(uow: UnitOfWork, organisation: str) -> Register:
    return load_version(current_version(uow, organisation)).register


def _check(new: NewRequest, today: date) -> list[str]:
    rights = list(dict.fromkeys(new.rights))
    if not rights:
        raise RequestInvalid("name at least one right the person is asking to use")
    allowed = {r.value for r in REQUESTABLE}
    unknown = [r for r in rights if r not in allowed]
    if unknown:
        raise RequestInvalid(
            f"unknown right {unknown[0][:40]!r}: use one of {', '.join(sorted(allowed))}"
        )
    if new.channel not in CHANNELS:
        raise RequestInvalid(f"channel must be one of {', '.join(CHANNELS)}")
    if new.requester_kind not in REQUESTER_KINDS:
        raise RequestInvalid(f"requester kind must be one of {', '.join(REQUESTER_KINDS)}")
    if new.received_on > today:
        raise RequestInvalid("a request cannot have been received after today")
    for name, value in new.requester.as_dict().items():
        if len(value) > MAX_TEXT or "\x00" in value:
            raise RequestInvalid(f"{name.replace('_', ' ')} is too long (at most {MAX_TEXT})")
    if new.requester.reply_by not in REPLY_BY:
        raise RequestInvalid(f"reply by must be one of {', '.join(r for r in REPLY_BY if r)}")
    if new.requester_kind != "self" and not new.requester.authority.strip():
        raise RequestInvalid("say what authority the person acting for the subject showed")
    return rights


def not_offered(register: Register, rights: Sequence[str]) -> list[str]:
    """Rights the register says do not apply to this organisation."""
    settings = {item.right.value: item for item in register.rights.items}
    return [r for r in rights if r in settings and settings[r].applies == "not_applicable"]


def check_request(uow: UnitOfWork, new: NewRequest) -> list[str]:
    """Refuse a request that cannot be opened, before anything is written; the rights asked
    for, each once. The same checks for one request and for each line of a batch."""
    # The day is the UK's: a request made at 23:30 UTC on a summer evening arrived on the
    # next day in the UK, which is not a day after today.
    return _check(new, in_uk_time(uow.clock.now()).date())


def request_row(
    uow: UnitOfWork,
    new: NewRequest,
    rights: list[str],
    register: Register,
    *,
    subject_id: str | None,
    key_id: str,
) -> RightsRequest:
    """The new request, requester sealed and due dates set, not yet added to the session."""
    nation = register_nation(register)
    now = uow.clock.now()
    row = RightsRequest(
        id=str(uuid.uuid4()),
        ref="q_" + secrets.token_hex(8),
        organisation=new.organisation,
        rights=rights,
        not_offered=not_offered(register, rights),
        channel=new.channel,
        state="received",
        nation=nation.value,
        received_on=new.received_on,
        clock_starts_on=new.received_on,
        paused_days=0,
        extended=False,
        subject_id=subject_id,
        requester_kind=new.requester_kind,
        key_id=key_id,
        requester_sealed=b"",
        created_at=now,
        updated_at=now,
    )
    row.requester_sealed = encrypt_for(
        uow, row.key_id, json.dumps(new.requester.as_dict()), _context(row)
    )
    due = due_dates(row.clock_starts_on, 0, False, nation)
    row.due_on, row.extension_notice_by = due.due_on, due.extension_notice_by
    return row


def received_audit(
    row: RightsRequest, subject_ref: str | None, tasks: int, actor: str
) -> AuditEntry:
    """The audit entry of a request opened (refs and codes only)."""
    return AuditEntry(
        actor=actor,
        action=REQUEST_RECEIVED,
        entity_type="request",
        entity_id=row.ref,
        subject_ref=subject_ref,
        details={
            "organisation": row.organisation,
            "rights": ",".join(row.rights),
            "channel": row.channel,
            "requester": row.requester_kind,
            "received_on": row.received_on.isoformat(),
            "tasks": tasks,
        },
    )


def open_request(
    uow: UnitOfWork, new: NewRequest, *, actor: str, register: Register | None = None
) -> RightsRequest:
    """Open a request in state ``received``; its clock runs from the day it arrived.
    ``register``: the organisation's, when the caller has it already (a batch)."""
    rights = check_request(uow, new)
    register = register or register_of(uow, new.organisation)
    register_nation(register)  # refused before the subject is looked up
    subject_id = None
    if new.subject_ref:
        subject_id = get_subject(uow, new.organisation, new.subject_ref).id
    key_id = create_data_key(uow, new.organisation)
    row = request_row(uow, new, rights, register, subject_id=subject_id, key_id=key_id)
    uow.session.add(row)
    uow.session.flush()
    tasks = plan_tasks(uow, row, register)
    add_event(uow, row, REQUEST_RECEIVED, None, actor=actor, on=new.received_on, seq=1)
    record(uow, **vars(received_audit(row, new.subject_ref, len(tasks), actor)))
    from dataward.requests.immediate import take_effect_at_once  # it builds on this module

    take_effect_at_once(uow, row, actor=actor)  # OBJ-02, LAW-05: at once, verified or not
    return row


def _context(row: RightsRequest) -> str:
    return f"request:{row.id}:requester"


def requester_of(uow: UnitOfWork, row: RightsRequest) -> Requester:
    data = json.loads(decrypt_for(uow, row.key_id, row.requester_sealed, _context(row)))
    return Requester(**{k: str(v) for k, v in data.items() if k in Requester.__dataclass_fields__})


def audit_request(
    uow: UnitOfWork, row: RightsRequest, action: str, *, actor: str, **details: DetailValue
) -> None:
    """One entry of the audit chain about a request: under its ref and its subject's
    pseudonymous ref, with its organisation; never the requester's details or words."""
    record_about(uow, "request", row, action, actor=actor, **details)


def get_request(uow: UnitOfWork, organisation: str, ref: str) -> RightsRequest:
    row = uow.session.scalars(
        select(RightsRequest).where(
            RightsRequest.organisation == organisation, RightsRequest.ref == ref
        )
    ).first()
    if row is None:
        raise RequestNotFound(f"no request {ref[:32]!r} in {organisation[:80]}")
    return row


def nation_of(row: RightsRequest) -> Nation:
    return Nation(row.nation)


def add_event(
    uow: UnitOfWork,
    row: RightsRequest,
    action: str,
    from_state: str | None,
    *,
    actor: str,
    on: date,
    note: str | None = None,
    seq: int | None = None,
) -> RequestEvent:
    """One step of the request's history; the note (the caseworker's words) is sealed.
    ``seq``: the step's number when the caller knows it (1 for a request just opened)."""
    if seq is None:
        # Counted by the database: a long history is not read to number its next step.
        seq = (
            uow.session.scalar(
                select(func.count(RequestEvent.id)).where(RequestEvent.request_id == row.id)
            )
            or 0
        ) + 1
    event = RequestEvent(
        id=str(uuid.uuid4()),
        request_id=row.id,
        seq=seq,
        at=uow.clock.now(),
        on=on,
        actor=actor,
        action=action,
        from_state=from_state,
        to_state=row.state,
    )
    if note:
        event.note_sealed = encrypt_for(uow, row.key_id, note, f"request:{row.id}:event:{seq}")
    uow.session.add(event)
    return event
