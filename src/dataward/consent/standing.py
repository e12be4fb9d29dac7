"""Where a subject stands, for staff: every decision with its reason, and what made it.

The console's subject page and ``dataward consent show`` read this. Each decision is the
answer the decision API gives now (``decide_many`` on the same rules), so the page can never
say "consented" while a campaign is told "no". Beside the decisions it lists what they rest
on: consent records, objections and restrictions, so a caseworker sees why.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from dataward.consent.decisions import Ask, decide_many
from dataward.consent.models import Objection, Restriction
from dataward.consent.policy import CONTACT_CHANNELS, Policy, policy_for
from dataward.consent.records import RecordView, consent_records
from dataward.errors import DatawardError
from dataward.subjects.models import Subject
from dataward.subjects.service import get_subject
from dataward.uow import UnitOfWork

# "any" in a register's channel rule means every channel marketing could use.
_ANY = ("email", "sms", "live_call", "post")


@dataclass(frozen=True)
class DecisionRow:
    purpose: str
    purpose_name: str
    channel: str | None
    allow: bool
    code: str
    reason: str


@dataclass(frozen=True)
class ObjectionView:
    ref: str
    kind: str
    channels: list[str]
    purposes: list[str]
    method: str
    received_at: datetime
    outcome: str


@dataclass(frozen=True)
class RestrictionView:
    ref: str
    purposes: list[str]
    ground: str
    started_at: datetime
    subject_told_at: datetime | None


@dataclass(frozen=True)
class Standing:
    decisions: list[DecisionRow]
    records: list[RecordView]
    objections: list[ObjectionView]
    restrictions: list[RestrictionView]
    # What the forms may offer: purposes consent can be recorded for, purposes an Art 21(1)
    # objection applies to, every purpose (restriction), and the marketing channels in use.
    consent_purposes: list[tuple[str, str]]
    objectable_purposes: list[tuple[str, str]]
    all_purposes: list[tuple[str, str]]
    marketing_channels: list[str]


def _applicable(policy: Policy, groups: set[str]) -> set[str]:
    """Purposes the register states for one of the subject's groups."""
    return {p.id for p in policy.register.purposes if groups & set(p.subject_groups)}


def _questions(policy: Policy, groups: set[str]) -> list[Ask]:
    """One question per purpose of the subject's groups, and per channel for marketing."""
    asks: list[Ask] = []
    seen: set[tuple[str, str | None]] = set()
    applicable = _applicable(policy, groups)
    for purpose in policy.purposes.values():
        if purpose.id in applicable and not purpose.marketing:
            asks.append(Ask(purpose.id))
            seen.add((purpose.id, None))
    for rule in policy.channels:
        if rule.subject_groups and not groups & set(rule.subject_groups):
            continue
        channels = _ANY if rule.channel == "any" else (rule.channel,)
        for purpose_id in rule.purposes or [p.id for p in policy.purposes.values() if p.marketing]:
            for channel in channels:
                if channel in CONTACT_CHANNELS and (purpose_id, channel) not in seen:
                    seen.add((purpose_id, channel))
                    asks.append(Ask(purpose_id, channel))
    return asks


def _channels(policy: Policy, groups: set[str]) -> list[str]:
    found: list[str] = []
    for rule in policy.channels:
        if rule.subject_groups and not groups & set(rule.subject_groups):
            continue
        for channel in _ANY if rule.channel == "any" else (rule.channel,):
            if channel in CONTACT_CHANNELS and channel not in found:
                found.append(channel)
    return found


def standing_of(uow: UnitOfWork, organisation: str, subject_ref: str) -> Standing:
    subject = get_subject(uow, organisation, subject_ref)
    policy = policy_for(uow, organisation)
    groups = set(subject.groups)
    asks = [Ask(a.purpose, a.channel, subject_ref=subject.ref) for a in _questions(policy, groups)]
    decisions = []
    for ask, answer in zip(asks, decide_many(uow, organisation, asks), strict=True):
        name = policy.purpose(ask.purpose).name
        if isinstance(answer, DatawardError):
            row = DecisionRow(ask.purpose, name, ask.channel, False, answer.code, str(answer))
        else:
            reason = answer.reasons[-1] if answer.reasons else ""
            row = DecisionRow(ask.purpose, name, ask.channel, answer.allow, answer.code, reason)
        decisions.append(row)
    applicable = _applicable(policy, groups)
    purposes = sorted(
        (p for p in policy.purposes.values() if p.id in applicable), key=lambda p: p.name
    )
    return Standing(
        decisions=decisions,
        records=consent_records(uow, organisation, subject.ref),
        objections=_objections(uow, subject),
        restrictions=_restrictions(uow, subject),
        consent_purposes=[(p.id, p.name) for p in purposes if "consent" in p.bases],
        objectable_purposes=[(p.id, p.name) for p in purposes if p.objectable],
        all_purposes=[(p.id, p.name) for p in purposes],
        marketing_channels=_channels(policy, groups),
    )


def _objections(uow: UnitOfWork, subject: Subject) -> list[ObjectionView]:
    rows = uow.session.scalars(
        select(Objection)
        .where(Objection.subject_id == subject.id)
        .order_by(Objection.received_at.desc())
    )
    return [
        ObjectionView(
            r.ref,
            r.kind,
            list(r.channels),
            list(r.purposes),
            r.method,
            r.received_at,
            r.outcome,
        )
        for r in rows
    ]


def _restrictions(uow: UnitOfWork, subject: Subject) -> list[RestrictionView]:
    """Restrictions in force (lifted ones stay in the audit timeline)."""
    rows = uow.session.scalars(
        select(Restriction)
        .where(Restriction.subject_id == subject.id, Restriction.lifted_at.is_(None))
        .order_by(Restriction.started_at.desc())
    )
    return [
        RestrictionView(r.ref, list(r.purposes), r.ground, r.started_at, r.subject_told_at)
        for r in rows
    ]
