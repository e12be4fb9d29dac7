"""Staff looking at one subject, identities decrypted: the look is recorded. Never commits.

Reading a subject's decrypted identities appends ``subject.viewed`` to the audit chain,
so the subject's timeline shows who looked; the event carries the pseudonymous ref only.
"""

from __future__ import annotations

from dataward.audit.service import record
from dataward.subjects.audit_actions import SUBJECT_VIEWED
from dataward.subjects.service import SubjectView, show_subject
from dataward.uow import UnitOfWork


def view_subject(uow: UnitOfWork, organisation: str, ref: str, *, actor: str) -> SubjectView:
    """The subject with its identities decrypted, for ``actor``; the view is audited."""
    view = show_subject(uow, organisation, ref)
    record(
        uow,
        actor=actor,
        action=SUBJECT_VIEWED,
        entity_type="subject",
        entity_id=view.ref,
        subject_ref=view.ref,
    )
    return view
