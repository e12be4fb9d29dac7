"""Consent, soft opt-in and preference records: give, withdraw, show. Never commits.

Withdrawing takes the same arguments as giving (LAW-05: as easy to withdraw as to give)
and takes effect in the same transaction: the next decision already sees it. Nothing is
ever deleted: every change is an event in the record's history and on the audit chain.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from dataward.audit.service import record as audit
from dataward.consent.audit_actions import (
    CONSENT_CONSENT_GIVEN,
    CONSENT_CONSENT_RENEWED,
    CONSENT_CONSENT_WITHDRAWN,
    CONSENT_PREFERENCE_GIVEN,
    CONSENT_PREFERENCE_RENEWED,
    CONSENT_PREFERENCE_WITHDRAWN,
    CONSENT_SOFT_OPT_IN_GIVEN,
    CONSENT_SOFT_OPT_IN_RENEWED,
    CONSENT_SOFT_OPT_IN_WITHDRAWN,
)
from dataward.consent.errors import (
    AlreadyWithdrawn,
    ConsentInvalid,
    ConsentNotBasis,
    ConsentNotFound,
)
from dataward.consent.models import ConsentEvent, ConsentRecord
from dataward.consent.policy import (
    DIRECT_MARKETING,
    METHODS,
    Policy,
    check_channel,
    policy_for,
)
from dataward.crypto.keyring import decrypt_for, encrypt_for
from dataward.subjects.models import Subject
from dataward.subjects.service import get_subject
from dataward.uow import UnitOfWork

MAX_EVIDENCE = 4000


@dataclass(frozen=True)
class EventView:
    event: str
    at: datetime
    method: str
    notice_version: str
    actor: str


@dataclass(frozen=True)
class RecordView:
    ref: str
    kind: str
    purpose: str
    channel: str | None
    state: str
    notice_version: str
    register_version: int
    method: str
    given_at: datetime
    changed_at: datetime
    evidence: dict[str, object] | None
    history: list[EventView]


def check_method(method: str) -> str:
    if method not in METHODS:
        raise ConsentInvalid(f"method must be one of {', '.join(METHODS)}")
    return method


def _check_notice(policy: Policy, notice_version: str | None) -> str:
    if notice_version is None:
        return policy.current_notice_version
    if notice_version not in policy.notice_versions:
        raise ConsentInvalid(
            f"notice version {notice_version[:40]!r} is not one the register declares "
            f"({', '.join(policy.notice_versions)})"
        )
    return notice_version


def check_evidence(evidence: str) -> str:
    if not evidence.strip():
        raise ConsentInvalid("evidence is required: what the person did or said, and where")
    if len(evidence) > MAX_EVIDENCE or "\x00" in evidence:
        raise ConsentInvalid(f"evidence is too long (at most {MAX_EVIDENCE} characters)")
    return evidence


def existing_record(
    uow: UnitOfWork, subject: Subject, kind: str, purpose: str, channel: str
) -> ConsentRecord | None:
    return uow.session.scalars(
        select(ConsentRecord).where(
            ConsentRecord.subject_id == subject.id,
            ConsentRecord.kind == kind,
            ConsentRecord.purpose == purpose,
            ConsentRecord.channel == channel,
        )
    ).first()


def _context(record_id: str) -> str:
    return f"consent:{record_id}"


# The audit action of each (record kind, event): one named constant per value written.
_ACTIONS = {
    ("consent", "given"): CONSENT_CONSENT_GIVEN,
    ("consent", "renewed"): CONSENT_CONSENT_RENEWED,
    ("consent", "withdrawn"): CONSENT_CONSENT_WITHDRAWN,
    ("soft_opt_in", "given"): CONSENT_SOFT_OPT_IN_GIVEN,
    ("soft_opt_in", "renewed"): CONSENT_SOFT_OPT_IN_RENEWED,
    ("soft_opt_in", "withdrawn"): CONSENT_SOFT_OPT_IN_WITHDRAWN,
    ("preference", "given"): CONSENT_PREFERENCE_GIVEN,
    ("preference", "renewed"): CONSENT_PREFERENCE_RENEWED,
    ("preference", "withdrawn"): CONSENT_PREFERENCE_WITHDRAWN,
}


def upsert_record(
    uow: UnitOfWork,
    policy: Policy,
    subject: Subject,
    *,
    kind: str,
    purpose: str,
    channel: str,
    state: str,
    method: str,
    notice_version: str,
    evidence: dict[str, object] | None,
    actor: str,
) -> ConsentRecord:
    now = uow.clock.now()
    row = existing_record(uow, subject, kind, purpose, channel)
    before = None if row is None else {"state": row.state, "version": row.version}
    if row is None:
        row = ConsentRecord(
            id=str(uuid.uuid4()),
            ref="c_" + secrets.token_hex(8),
            organisation=policy.organisation,
            subject_id=subject.id,
            kind=kind,
            purpose=purpose,
            channel=channel,
            state=state,
            notice_version=notice_version,
            register_version=policy.register_version,
            method=method,
            given_at=now,
            changed_at=now,
            version=1,
        )
        uow.session.add(row)
        event = "given" if state == "given" else "withdrawn"
    else:
        event = "renewed" if row.state == "given" and state == "given" else _event_for(state)
        row.state = state
        row.changed_at = now
        row.method = method
        row.notice_version = notice_version
        row.register_version = policy.register_version
        row.version += 1
        if state == "given":
            row.given_at = now
    if evidence is not None:
        text = json.dumps(evidence, sort_keys=True)
        row.evidence_sealed = encrypt_for(uow, subject.key_id, text, _context(row.id))
    uow.session.flush()
    _add_event(uow, row, event, method, actor)
    audit(
        uow,
        actor=actor,
        action=_ACTIONS[kind, event],
        entity_type="consent",
        entity_id=row.ref,
        subject_ref=subject.ref,
        before=before,
        after={"state": row.state, "version": row.version},
        details={
            "organisation": policy.organisation,
            "purpose": purpose,
            "channel": channel or None,
            "method": method,
            "notice_version": notice_version,
        },
    )
    return row


def _event_for(state: str) -> str:
    return "given" if state == "given" else "withdrawn"


def _add_event(uow: UnitOfWork, row: ConsentRecord, event: str, method: str, actor: str) -> None:
    seq = row.version
    uow.session.add(
        ConsentEvent(
            record_id=row.id,
            seq=seq,
            event=event,
            at=uow.clock.now(),
            method=method,
            notice_version=row.notice_version,
            actor=actor[:200],
        )
    )


def _consent_target(policy: Policy, purpose: str, channel: str | None) -> str:
    rules = policy.purpose(purpose)
    checked = check_channel(channel)
    if purpose == DIRECT_MARKETING:
        raise ConsentInvalid("consent is given for a named purpose of the register")
    if rules.marketing:
        if checked is None:
            raise ConsentInvalid("marketing consent is given per channel (PECR): name one")
        if not policy.channels_for(purpose, checked):
            raise ConsentNotBasis(
                f"the register declares no {checked} marketing for purpose {purpose!r}"
            )
        return checked
    if checked is not None:
        raise ConsentInvalid("a channel applies only to marketing purposes")
    if "consent" not in rules.bases:
        raise ConsentNotBasis(
            f"purpose {purpose!r} does not rest on consent in the register, so consent "
            "cannot be recorded for it (asking would mislead the person)"
        )
    return ""


def give_consent(
    uow: UnitOfWork,
    organisation: str,
    subject_ref: str,
    purpose: str,
    *,
    method: str,
    evidence: str,
    channel: str | None = None,
    notice_version: str | None = None,
    actor: str = "system",
) -> ConsentRecord:
    """Record consent to ``purpose`` (per ``channel`` for marketing), with what was shown."""
    policy = policy_for(uow, organisation)
    target = _consent_target(policy, purpose, channel)
    method = check_method(method)
    shown = _check_notice(policy, notice_version)
    text = check_evidence(evidence)
    subject = get_subject(uow, organisation, subject_ref)
    return upsert_record(
        uow,
        policy,
        subject,
        kind="consent",
        purpose=purpose,
        channel=target,
        state="given",
        method=method,
        notice_version=shown,
        evidence={"statement": text},
        actor=actor,
    )


def withdraw_consent(
    uow: UnitOfWork,
    organisation: str,
    subject_ref: str,
    purpose: str,
    *,
    method: str,
    channel: str | None = None,
    actor: str = "system",
) -> ConsentRecord:
    """Withdraw at once. Needs no evidence and no reason: as easy as giving, or easier."""
    policy = policy_for(uow, organisation)
    policy.purpose(purpose)
    target = check_channel(channel) or ""
    method = check_method(method)
    subject = get_subject(uow, organisation, subject_ref)
    row = existing_record(uow, subject, "consent", purpose, target)
    if row is None:
        raise ConsentNotFound("no consent is recorded for this purpose and channel")
    if row.state == "withdrawn":
        raise AlreadyWithdrawn("this consent was already withdrawn; nothing changed")
    return upsert_record(
        uow,
        policy,
        subject,
        kind="consent",
        purpose=purpose,
        channel=target,
        state="withdrawn",
        method=method,
        notice_version=row.notice_version,
        evidence=None,
        actor=actor,
    )


def consent_records(uow: UnitOfWork, organisation: str, subject_ref: str) -> list[RecordView]:
    """Every record of a subject with its full history and decrypted evidence."""
    subject = get_subject(uow, organisation, subject_ref)
    rows = uow.session.scalars(
        select(ConsentRecord)
        .where(ConsentRecord.subject_id == subject.id)
        .order_by(ConsentRecord.kind, ConsentRecord.purpose, ConsentRecord.channel)
    ).all()
    views = []
    for row in rows:
        events = uow.session.scalars(
            select(ConsentEvent).where(ConsentEvent.record_id == row.id).order_by(ConsentEvent.seq)
        )
        evidence = None
        if row.evidence_sealed is not None:
            opened = decrypt_for(uow, subject.key_id, row.evidence_sealed, _context(row.id))
            evidence = json.loads(opened)
        views.append(
            RecordView(
                row.ref,
                row.kind,
                row.purpose,
                row.channel or None,
                row.state,
                row.notice_version,
                row.register_version,
                row.method,
                row.given_at,
                row.changed_at,
                evidence,
                [EventView(e.event, e.at, e.method, e.notice_version, e.actor) for e in events],
            )
        )
    return views
