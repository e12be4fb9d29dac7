"""Proving who the requester is: an emailed one-time code and a knowledge checklist.

SAR-05: the clock waits for identity evidence the controller reasonably asked for, and
starts on the day it arrives; ``transitions.verify_identity`` does that, and each check
here calls it only when the check really proves identity. A code proves only that the
requester reads that mailbox: it verifies identity only when the address is one of the
linked subject's (the subject store's blind index answers), otherwise it is recorded as
"email confirmed" and a caseworker decides. Nothing here keeps a code or an answer in
clear: a code as an HMAC under the request's data key, an answer as matched or not.
ID documents are in ``verification_documents``. Never commits.
"""

from __future__ import annotations

import hmac
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from dataward.config import get_settings
from dataward.crypto.keyring import decrypt_for
from dataward.errors import DatawardError
from dataward.outbox.models import OutboxMessage
from dataward.requests import audit_actions as actions
from dataward.requests.errors import (
    VerificationInvalid,
    VerificationRefused,
)
from dataward.requests.messages import message_requester
from dataward.requests.models import RightsRequest
from dataward.requests.one_time_codes import CodeOwner, issue_code, try_code
from dataward.requests.service import audit_request, get_request, requester_of
from dataward.requests.transitions import VERIFIABLE, Step, verify_identity
from dataward.requests.verification_models import IdentityCheckRecord, RequestCode
from dataward.subjects.errors import InvalidIdentity
from dataward.subjects.identities import IdentityKind, normalise
from dataward.subjects.models import Subject
from dataward.subjects.service import find_subjects, identity_context, survivor
from dataward.uow import UnitOfWork

# Where a check can still settle identity (``transitions.verify_identity`` allows these).
CHECKABLE = VERIFIABLE
# Questions the subject store can answer, by the identity kind that answers them.
QUESTIONS: dict[str, IdentityKind] = {
    "date_of_birth": IdentityKind.DATE_OF_BIRTH,
    "postcode": IdentityKind.POSTCODE,
    "customer_ref": IdentityKind.CUSTOMER_REF,
    "phone": IdentityKind.PHONE,
    "email": IdentityKind.EMAIL,
    "name": IdentityKind.NAME,
}
MIN_QUESTIONS = 2


@dataclass(frozen=True)
class SentCode:
    """The message carrying the code (sealed in the outbox) and when the code stops working."""

    message: OutboxMessage
    expires_at: datetime


@dataclass(frozen=True)
class CodeCheck:
    """What a typed code did. ``refusal`` is set for a wrong try, which is still recorded
    (the edge commits, then reports it), so five wrong tries kill the code."""

    outcome: str  # verified | email_confirmed | wrong | dead
    tries_left: int = 0
    refusal: DatawardError | None = None


def audit_check(
    uow: UnitOfWork,
    row: RightsRequest,
    action: str,
    actor: str,
    **details: str | int | bool | None,
) -> None:
    audit_request(uow, row, action, actor=actor, **details)


def checkable(row: RightsRequest) -> None:
    if row.identity_verified_on is not None:
        raise VerificationRefused("the requester's identity is verified already")
    if row.state not in CHECKABLE:
        raise VerificationRefused(
            f"identity cannot be checked on a request that is {row.state.replace('_', ' ')}"
        )


def record_check(
    uow: UnitOfWork,
    row: RightsRequest,
    method: str,
    outcome: str,
    actor: str,
    *,
    answers: dict[str, str] | None = None,
    document_kind: str | None = None,
) -> IdentityCheckRecord:
    check = IdentityCheckRecord(
        id=str(uuid.uuid4()),
        request_id=row.id,
        method=method,
        outcome=outcome,
        answers=answers or {},
        document_kind=document_kind,
        actor=actor,
        at=uow.clock.now(),
        on=uow.clock.today(),
    )
    uow.session.add(check)
    return check


def _codes(row: RightsRequest) -> CodeOwner:
    return CodeOwner(
        RequestCode, RequestCode.request_id, row.id, row.key_id, "request-code", "request"
    )


def send_email_code(
    uow: UnitOfWork, organisation: str, ref: str, *, actor: str, minutes: int | None = None
) -> SentCode:
    """Email the requester a six-digit code; keep only its HMAC. At most three an hour."""
    row = get_request(uow, organisation, ref)
    checkable(row)
    lifetime = minutes or get_settings().request_code_minutes
    issued = issue_code(uow, _codes(row), minutes=lifetime)
    message = message_requester(
        uow, row, "request_code", {"code": issued.code, "minutes": lifetime}, actor=actor
    )
    if message is None:
        raise VerificationRefused(
            "the requester gave no email address: check their identity another way"
        )
    audit_check(
        uow,
        row,
        actions.REQUEST_CODE_SENT,
        actor,
        expires_at=issued.entry.expires_at.isoformat(),
        message=message.id,
    )
    return SentCode(message, issued.entry.expires_at)


def check_email_code(
    uow: UnitOfWork, organisation: str, ref: str, code: str, *, actor: str
) -> CodeCheck:
    """Check the latest code (``one_time_codes.try_code``): single use, expiring, dead
    after five wrong tries.

    A used, expired or dead code raises and changes nothing; a wrong one is counted and
    returned with its refusal, so the edge can keep the count and still say no.
    """
    row = get_request(uow, organisation, ref)
    checkable(row)
    tried = try_code(uow, _codes(row), code)
    if not tried.accepted:
        audit_check(uow, row, actions.REQUEST_CODE_REFUSED, actor, failures=tried.failures)
        return CodeCheck(
            "dead" if tried.tries_left == 0 else "wrong", tried.tries_left, tried.refusal
        )
    proves = _email_is_subjects(uow, row)
    outcome = "verified" if proves else "email_confirmed"
    record_check(uow, row, "email_code", outcome, actor)
    audit_check(uow, row, actions.REQUEST_EMAIL_CONFIRMED, actor, proves_identity=proves)
    if proves:
        verify_identity(uow, organisation, ref, "email_code", Step(actor, uow.clock.today()))
    return CodeCheck(outcome)


def linked_subject(uow: UnitOfWork, row: RightsRequest) -> Subject | None:
    if row.subject_id is None:
        return None
    subject = uow.session.get(Subject, row.subject_id)
    if subject is None:
        return None
    subject = survivor(uow, subject)
    return subject if subject.shredded_at is None else None


def _email_is_subjects(uow: UnitOfWork, row: RightsRequest) -> bool:
    """Whether the requester's address belongs to the linked subject (blind index)."""
    subject = linked_subject(uow, row)
    email = requester_of(uow, row).email
    if subject is None or not email:
        return False
    try:
        owners = find_subjects(uow, row.organisation, "email", email)
    except InvalidIdentity:
        return False
    return any(owner.id == subject.id for owner in owners)


def _on_record(uow: UnitOfWork, subject: Subject, kind: IdentityKind) -> list[str]:
    return [
        decrypt_for(
            uow, subject.key_id, identity.sealed, identity_context(subject.id, identity.kind)
        )
        for identity in subject.identities
        if identity.kind == kind.value
    ]


def _compare(uow: UnitOfWork, subject: Subject, question: str, answer: str) -> str:
    kind = QUESTIONS[question]
    known = _on_record(uow, subject, kind)
    if not known:
        return "not_on_record"
    try:
        given = normalise(kind, answer, uow.clock.today())
    except InvalidIdentity:
        return "not_matched"  # an answer that cannot be a value of its kind matches nothing
    matched = False
    for value in known:
        matched |= hmac.compare_digest(value.encode(), given.encode())
    return "matched" if matched else "not_matched"


def record_knowledge_check(
    uow: UnitOfWork, organisation: str, ref: str, answers: Mapping[str, str], *, actor: str
) -> IdentityCheckRecord:
    """Compare the requester's answers with the linked subject's record, keeping per question
    only matched / not matched / not on record. Every answer matched (two at least):
    identity verified, method ``knowledge_check``."""
    row = get_request(uow, organisation, ref)
    checkable(row)
    asked = {q: a for q, a in answers.items() if isinstance(a, str) and a.strip()}
    unknown = sorted(set(asked) - set(QUESTIONS))
    if unknown:
        raise VerificationInvalid(
            f"unknown question {unknown[0][:40]!r}: use {', '.join(QUESTIONS)}"
        )
    if len(asked) < MIN_QUESTIONS:
        raise VerificationInvalid(f"ask at least {MIN_QUESTIONS} questions")
    if any(len(a) > 500 or "\x00" in a for a in asked.values()):
        raise VerificationInvalid("an answer is too long (at most 500 characters)")
    subject = linked_subject(uow, row)
    if subject is None:
        raise VerificationRefused(
            "link the request to its subject first: the answers are "
            "compared with the subject's record"
        )
    results = {q: _compare(uow, subject, q, asked[q]) for q in QUESTIONS if q in asked}
    verified = all(result == "matched" for result in results.values())
    outcome = "verified" if verified else "not_verified"
    check = record_check(uow, row, "knowledge_check", outcome, actor, answers=results)
    audit_check(
        uow,
        row,
        actions.REQUEST_KNOWLEDGE_CHECKED,
        actor,
        outcome=outcome,
        results=",".join(f"{q}:{r}" for q, r in results.items()),
    )
    if verified:
        verify_identity(uow, organisation, ref, "knowledge_check", Step(actor, uow.clock.today()))
    return check


def checks_of(uow: UnitOfWork, row: RightsRequest) -> list[IdentityCheckRecord]:
    """Every identity check made on the request, oldest first."""
    return list(
        uow.session.scalars(
            select(IdentityCheckRecord)
            .where(IdentityCheckRecord.request_id == row.id)
            .order_by(IdentityCheckRecord.at, IdentityCheckRecord.id)
        )
    )
