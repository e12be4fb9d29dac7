"""Objections to direct marketing and consent withdrawals take effect at once. Never commits.

OBJ-02 makes an objection to direct marketing absolute and immediate, and a withdrawal of
consent must be as easy as giving it and stop the processing from then on (LAW-05, Art
7(3)). Neither waits for the request to be worked on or for the requester's identity to be
verified: stopping marketing or consent-based processing harms no one if the requester was
not who they said, whereas waiting a month would keep doing what the person refused. So
the moment a request asking for either has a subject (opened with one, or linked to one
later), the consent services record the change in the same unit of work as the request:
both are committed together or neither is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from dataward.audit.service import record
from dataward.consent.models import ConsentRecord, Objection
from dataward.consent.objections import object_to_marketing
from dataward.consent.policy import policy_for
from dataward.consent.records import upsert_record, withdraw_consent
from dataward.register.models.rights import Right
from dataward.requests.audit_actions import REQUEST_TOOK_EFFECT
from dataward.requests.models import RightsRequest
from dataward.requests.service import add_event
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork

AT_ONCE = (Right.OBJECTION_DIRECT_MARKETING.value, Right.WITHDRAW_CONSENT.value)
# The consent services' method for a change made because of a rights request.
REQUEST_METHOD = "request"


@dataclass(frozen=True)
class Effect:
    # The objection recorded (None when one covering every channel was in force already).
    objection_ref: str | None = None
    # The consent records withdrawn.
    withdrawn: list[str] = field(default_factory=list)


def _objects_to_all_marketing(uow: UnitOfWork, subject: Subject) -> bool:
    """An objection covering every channel is in force already (a second adds nothing)."""
    rows = uow.session.scalars(
        select(Objection.channels).where(
            Objection.subject_id == subject.id,
            Objection.kind == "direct_marketing",
            Objection.outcome == "upheld",
        )
    )
    return any("any" in channels for channels in rows)


def _object(uow: UnitOfWork, row: RightsRequest, subject: Subject, actor: str) -> str | None:
    """OBJ-02 on every channel ("any"): the request names none, and the objection covers
    direct marketing as a whole, so marketing decisions asked without a channel (profiling
    for marketing, a marketing purpose in general) are refused too (``consent.rules``).

    Applied even when the register lists the right as not offered (``row.not_offered``):
    Art 21(3) makes it absolute, so a register saying otherwise cannot take it away."""
    if _objects_to_all_marketing(uow, subject):
        return None
    objection = object_to_marketing(
        uow, row.organisation, subject.ref, ["any"], method=REQUEST_METHOD, actor=actor
    )
    return objection.ref


def _withdraw(uow: UnitOfWork, row: RightsRequest, subject: Subject, actor: str) -> list[str]:
    """Every consent the subject has given, withdrawn.

    The request's words may name one purpose ("stop the photos"), but reading them is a
    person's job and would not be "at once": dataward withdraws all, because too much is
    undone by the person giving consent again, while too little keeps on doing what they
    refused. The caseworker narrows it afterwards, with the person, by recording again any
    consent they want to keep (with its evidence) on the subject's page.

    Like OBJ-02, applied even if the register lists the right as not offered: Art 7(3)
    gives it wherever consent is relied on.
    """
    given = uow.session.scalars(
        select(ConsentRecord)
        .where(
            ConsentRecord.subject_id == subject.id,
            ConsentRecord.kind == "consent",
            ConsentRecord.state == "given",
        )
        .order_by(ConsentRecord.purpose, ConsentRecord.channel)
    ).all()
    policy = policy_for(uow, row.organisation)
    refs = []
    for consent in given:
        if consent.purpose in policy.purposes:
            withdraw_consent(
                uow,
                row.organisation,
                subject.ref,
                consent.purpose,
                method=REQUEST_METHOD,
                channel=consent.channel or None,
                actor=actor,
            )
        else:
            # A purpose a newer register dropped: ``withdraw_consent`` would refuse it as
            # unknown, yet the consent on record must still say it was withdrawn.
            upsert_record(
                uow,
                policy,
                subject,
                kind="consent",
                purpose=consent.purpose,
                channel=consent.channel,
                state="withdrawn",
                method=REQUEST_METHOD,
                notice_version=consent.notice_version,
                evidence=None,
                actor=actor,
            )
        refs.append(consent.ref)
    return refs


def take_effect_at_once(uow: UnitOfWork, row: RightsRequest, *, actor: str) -> Effect | None:
    """Apply an objection to marketing or a consent withdrawal the request asks for, now.

    Nothing happens (None) while the request has no subject or asks for neither; otherwise
    the request's history and the audit chain record what took effect (refs only)."""
    wanted = [r for r in row.rights if r in AT_ONCE]
    subject = uow.session.get(Subject, row.subject_id) if row.subject_id else None
    if not wanted or subject is None:
        return None
    effect = Effect(
        objection_ref=_object(uow, row, subject, actor)
        if Right.OBJECTION_DIRECT_MARKETING.value in wanted
        else None,
        withdrawn=_withdraw(uow, row, subject, actor)
        if Right.WITHDRAW_CONSENT.value in wanted
        else [],
    )
    today = uow.clock.today()
    add_event(uow, row, REQUEST_TOOK_EFFECT, row.state, actor=actor, on=today)
    record(
        uow,
        actor=actor,
        action=REQUEST_TOOK_EFFECT,
        entity_type="request",
        entity_id=row.ref,
        subject_ref=subject.ref,
        details={
            "organisation": row.organisation,
            "rights": ",".join(wanted),
            "objection": effect.objection_ref,
            "consents_withdrawn": ",".join(effect.withdrawn) or None,
            "on": today.isoformat(),
        },
    )
    return effect
