"""Links to a subject's preferences page, issued by staff to send to them. Never commits.

The link is signed by ``accounts.links`` (an HMAC: nothing stored, so it can only be
checked, not looked up or revoked); issuing one is recorded against the subject, with how
many days it lasts, so the subject's timeline shows who handed out access and when.
"""

from __future__ import annotations

from datetime import datetime

from dataward.accounts.links import sign_link
from dataward.audit.service import record
from dataward.subjects.audit_actions import PREFERENCES_LINK_ISSUED
from dataward.subjects.service import get_subject
from dataward.uow import UnitOfWork


def issue_preferences_link(
    uow: UnitOfWork, secret: bytes, organisation: str, ref: str, days: int, *, actor: str
) -> tuple[str, datetime]:
    """A signed link token for the subject, valid ``days``, and when it expires."""
    subject = get_subject(uow, organisation, ref)
    token, expires = sign_link(secret, uow.clock, subject.organisation, subject.ref, days)
    record(
        uow,
        actor=actor,
        action=PREFERENCES_LINK_ISSUED,
        entity_type="subject",
        entity_id=subject.ref,
        subject_ref=subject.ref,
        details={"days": days},
    )
    return token, expires
