"""Objections (OBJ-01, OBJ-02) and restriction (RES-01). Never commits.

An objection to direct marketing is absolute and immediate on every channel it names:
there is no outcome to wait for and nothing in dataward lifts it. An objection to
legitimate-interest processing stops that processing while it is considered (pending),
and for good if upheld; only "compelling grounds", with the reasons sealed, lets it go on.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence

from sqlalchemy import select

from dataward.audit.service import record as audit
from dataward.consent.audit_actions import (
    OBJECTION_DECIDED,
    OBJECTION_DIRECT_MARKETING,
    OBJECTION_LEGITIMATE_INTERESTS,
    OBJECTION_SUPERSEDED,
    RESTRICTION_LIFTED,
    RESTRICTION_STARTED,
    RESTRICTION_SUBJECT_TOLD,
)
from dataward.consent.errors import ObjectionInvalid, RestrictionInvalid
from dataward.consent.models import Objection, Restriction
from dataward.consent.policy import CONTACT_CHANNELS, METHODS, policy_for
from dataward.consent.suppression import SUPPRESSED
from dataward.crypto.keyring import encrypt_for
from dataward.subjects.models import Subject
from dataward.subjects.service import get_subject
from dataward.uow import UnitOfWork

LI_OUTCOMES = ("upheld", "compelling_grounds")
# A person's own objection to marketing on one channel, replaced by their own fresh consent
# on that channel (issue 15, item 2). Never set on an objection staff recorded.
SUPERSEDED = "superseded"
# The method of everything the person does through their own signed preferences link.
OWN_LINK_METHOD = "portal"
# RES-01: the grounds of Art 18(1).
RESTRICTION_GROUNDS = ("accuracy_contested", "unlawful", "legal_claims", "objection_pending")


def _method(method: str) -> str:
    if method not in METHODS:
        raise ObjectionInvalid(f"method must be one of {', '.join(METHODS)}")
    return method


def object_to_marketing(
    uow: UnitOfWork,
    organisation: str,
    subject_ref: str,
    channels: Sequence[str],
    *,
    method: str,
    actor: str = "system",
) -> Objection:
    """OBJ-02: absolute, immediate, on every channel named ("any" for all of them)."""
    wanted = sorted(set(channels))
    allowed = (*CONTACT_CHANNELS, "any")
    if not wanted or any(c not in allowed for c in wanted):
        raise ObjectionInvalid(f"name the channels objected to: {', '.join(allowed)}")
    policy_for(uow, organisation)
    subject = get_subject(uow, organisation, subject_ref)
    now = uow.clock.now()
    row = Objection(
        id=str(uuid.uuid4()),
        ref="o_" + secrets.token_hex(8),
        organisation=organisation,
        subject_id=subject.id,
        kind="direct_marketing",
        channels=wanted,
        purposes=[],
        method=_method(method),
        received_at=now,
        outcome="upheld",
        outcome_at=now,
    )
    uow.session.add(row)
    uow.session.flush()
    audit(
        uow,
        actor=actor,
        action=OBJECTION_DIRECT_MARKETING,
        entity_type="objection",
        entity_id=row.ref,
        subject_ref=subject.ref,
        after={"channels": wanted},
        details={"organisation": organisation, "channels": ",".join(wanted), "method": method},
    )
    return row


def marketing_objections(
    uow: UnitOfWork, subject: Subject, channel: str
) -> tuple[list[Objection], list[Objection]]:
    """The objections to marketing in force on ``channel``: (the person's own, staff's).

    "Own" is one the person made through their own link for this one channel: only that
    can be undone by the person's own tick. One recorded by staff (by phone, letter, ...)
    or covering several channels stays until staff change it.
    """
    rows = uow.session.scalars(
        select(Objection).where(
            Objection.subject_id == subject.id,
            Objection.kind == "direct_marketing",
            Objection.outcome != SUPERSEDED,
        )
    ).all()
    covering = [r for r in rows if "any" in r.channels or channel in r.channels]
    # A stop inherited from the suppression list (issue 19) was the person's own too.
    own = [
        r
        for r in covering
        if (r.method == OWN_LINK_METHOD or r.outcome == SUPPRESSED) and r.channels == [channel]
    ]
    return own, [r for r in covering if r not in own]


def supersede_own_objections(
    uow: UnitOfWork, organisation: str, subject_ref: str, channel: str, *, actor: str
) -> list[Objection]:
    """The person ticked ``channel`` again through their own link: their own objection on
    it gives way to the consent they just gave. Staff-recorded objections stay (OBJ-02)."""
    subject = get_subject(uow, organisation, subject_ref)
    own, _ = marketing_objections(uow, subject, channel)
    now = uow.clock.now()
    for row in own:
        before = row.outcome
        row.outcome = SUPERSEDED
        row.outcome_at = now
        uow.session.flush()
        audit(
            uow,
            actor=actor,
            action=OBJECTION_SUPERSEDED,
            entity_type="objection",
            entity_id=row.ref,
            subject_ref=subject.ref,
            before={"outcome": before},
            after={"outcome": SUPERSEDED},
            details={"organisation": organisation, "channels": channel},
        )
    return own


def object_to_processing(
    uow: UnitOfWork,
    organisation: str,
    subject_ref: str,
    purposes: Sequence[str],
    *,
    method: str,
    actor: str = "system",
) -> Objection:
    """OBJ-01: record the objection; processing stops while it is pending."""
    policy = policy_for(uow, organisation)
    wanted = sorted(set(purposes))
    for purpose in wanted:
        if not policy.purpose(purpose).objectable:
            raise ObjectionInvalid(
                f"purpose {purpose!r} does not rest on legitimate interests or public task, "
                "so Art 21(1) does not apply to it"
            )
    subject = get_subject(uow, organisation, subject_ref)
    row = Objection(
        id=str(uuid.uuid4()),
        ref="o_" + secrets.token_hex(8),
        organisation=organisation,
        subject_id=subject.id,
        kind="legitimate_interests",
        channels=[],
        purposes=wanted,
        method=_method(method),
        received_at=uow.clock.now(),
        outcome="pending",
    )
    uow.session.add(row)
    uow.session.flush()
    audit(
        uow,
        actor=actor,
        action=OBJECTION_LEGITIMATE_INTERESTS,
        entity_type="objection",
        entity_id=row.ref,
        subject_ref=subject.ref,
        after={"purposes": wanted, "outcome": "pending"},
        details={"organisation": organisation, "purposes": ",".join(wanted) or "all"},
    )
    return row


def decide_objection(
    uow: UnitOfWork,
    organisation: str,
    objection_ref: str,
    outcome: str,
    reasons: str,
    *,
    actor: str = "system",
) -> Objection:
    """Record the outcome of an LI objection, with the reasons sealed under the subject key."""
    if outcome not in LI_OUTCOMES:
        raise ObjectionInvalid(f"outcome must be one of {', '.join(LI_OUTCOMES)}")
    if not reasons.strip() or len(reasons) > 4000:
        raise ObjectionInvalid("give the reasons for the outcome (at most 4000 characters)")
    row = uow.session.scalars(
        select(Objection).where(
            Objection.organisation == organisation, Objection.ref == objection_ref
        )
    ).first()
    if row is None or row.kind != "legitimate_interests":
        raise ObjectionInvalid("no objection to legitimate interests has this reference")
    if row.outcome != "pending":
        raise ObjectionInvalid("this objection already has an outcome")
    subject = get_subject_by_id(uow, row.subject_id)
    row.outcome = outcome
    row.outcome_at = uow.clock.now()
    row.outcome_sealed = encrypt_for(uow, subject.key_id, reasons, f"objection:{row.id}")
    uow.session.flush()
    audit(
        uow,
        actor=actor,
        action=OBJECTION_DECIDED,
        entity_type="objection",
        entity_id=row.ref,
        subject_ref=subject.ref,
        before={"outcome": "pending"},
        after={"outcome": outcome},
        details={"organisation": organisation, "outcome": outcome},
    )
    return row


def get_subject_by_id(uow: UnitOfWork, subject_id: str) -> Subject:
    subject = uow.session.get(Subject, subject_id)
    if subject is None:
        raise ObjectionInvalid("the subject of this record no longer exists")
    return subject


def restrict(
    uow: UnitOfWork,
    organisation: str,
    subject_ref: str,
    purposes: Sequence[str],
    ground: str,
    *,
    actor: str = "system",
) -> Restriction:
    """RES-01: the data is kept but not used; decisions answer "no" from now on."""
    if ground not in RESTRICTION_GROUNDS:
        raise RestrictionInvalid(f"ground must be one of {', '.join(RESTRICTION_GROUNDS)}")
    policy = policy_for(uow, organisation)
    wanted = sorted(set(purposes))
    for purpose in wanted:
        policy.purpose(purpose)
    subject = get_subject(uow, organisation, subject_ref)
    row = Restriction(
        id=str(uuid.uuid4()),
        ref="r_" + secrets.token_hex(8),
        organisation=organisation,
        subject_id=subject.id,
        purposes=wanted,
        ground=ground,
        started_at=uow.clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    audit(
        uow,
        actor=actor,
        action=RESTRICTION_STARTED,
        entity_type="restriction",
        entity_id=row.ref,
        subject_ref=subject.ref,
        after={"purposes": wanted, "ground": ground},
        details={"organisation": organisation, "ground": ground},
    )
    return row


def restriction_in_force(uow: UnitOfWork, organisation: str, ref: str) -> Restriction:
    row = uow.session.scalars(
        select(Restriction).where(Restriction.organisation == organisation, Restriction.ref == ref)
    ).first()
    if row is None or row.lifted_at is not None:
        raise RestrictionInvalid("no restriction in force has this reference")
    return row


def tell_before_lifting(
    uow: UnitOfWork, organisation: str, ref: str, *, actor: str = "system"
) -> Restriction:
    """Record that the subject was told the restriction will be lifted (Art 18(3))."""
    row = restriction_in_force(uow, organisation, ref)
    row.subject_told_at = uow.clock.now()
    _audit_restriction(uow, row, RESTRICTION_SUBJECT_TOLD, organisation, actor)
    return row


def lift_restriction(
    uow: UnitOfWork, organisation: str, ref: str, *, actor: str = "system"
) -> Restriction:
    row = restriction_in_force(uow, organisation, ref)
    if row.subject_told_at is None:
        raise RestrictionInvalid(
            "tell the subject before lifting a restriction (RES-01); nothing changed"
        )
    row.lifted_at = uow.clock.now()
    _audit_restriction(uow, row, RESTRICTION_LIFTED, organisation, actor)
    return row


def _audit_restriction(
    uow: UnitOfWork, row: Restriction, action: str, organisation: str, actor: str
) -> None:
    """The audit event of a step in a restriction's life, under its subject's ref."""
    subject = get_subject_by_id(uow, row.subject_id)
    audit(
        uow,
        actor=actor,
        action=action,
        entity_type="restriction",
        entity_id=row.ref,
        subject_ref=subject.ref,
        details={"organisation": organisation},
    )
