"""``decide``: may subject S's data be used for purpose P, or S be contacted on channel C?

Facts are loaded in bulk for a whole chunk of questions (a handful of queries per chunk,
not per person), so a campaign list of a million identities costs about as many queries
as a thousand. The answer itself comes from ``rules.evaluate``. Deciding changes nothing,
so nothing is audited; logs carry counts only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from dataward.consent.errors import ConsentInvalid, ConsentNotFound
from dataward.consent.models import ConsentRecord, Objection, Restriction
from dataward.consent.policy import Policy, check_channel, policy_for
from dataward.consent.rules import (
    Decision,
    Facts,
    ObjectionFact,
    RecordFact,
    RestrictionFact,
    evaluate,
)
from dataward.consent.tps import lists_holding, tps_digest
from dataward.crypto.keyring import decrypt_for, index_digest
from dataward.crypto.keystore import BlindIndexEntry
from dataward.errors import DatawardError
from dataward.subjects.identities import IdentityKind, normalise, parse_kind
from dataward.subjects.models import Subject, SubjectIdentity
from dataward.subjects.service import SubjectNotFound, identity_context, survivor
from dataward.uow import UnitOfWork

CHUNK = 500
Identity = tuple[str, str]


class ConsentWithdrawn(DatawardError):
    code = "consent_withdrawn"
    http_status = 409
    title = "The consent relied on was withdrawn"


@dataclass(frozen=True)
class Ask:
    purpose: str
    channel: str | None = None
    subject_ref: str | None = None
    identity: Identity | None = None
    consent_ref: str | None = None


def decide(
    uow: UnitOfWork,
    organisation: str,
    subject: str | Identity,
    purpose: str,
    channel: str | None = None,
    *,
    consent_ref: str | None = None,
) -> Decision:
    """One decision; ``subject`` is a subject ref or an identity ``(kind, value)``."""
    if isinstance(subject, str):
        ask = Ask(purpose, channel, subject_ref=subject, consent_ref=consent_ref)
    else:
        ask = Ask(purpose, channel, identity=subject, consent_ref=consent_ref)
    answer = decide_many(uow, organisation, [ask])[0]
    if isinstance(answer, DatawardError):
        raise answer
    return answer


@dataclass
class _Resolved:
    subjects: list[Subject]
    phone: str | None = None


def decide_many(
    uow: UnitOfWork, organisation: str, asks: Sequence[Ask]
) -> list[Decision | DatawardError]:
    """Answers in the order asked; a bad question gets its error, the others their answer."""
    policy = policy_for(uow, organisation)
    out: list[Decision | DatawardError | None] = [None] * len(asks)
    resolved: dict[int, _Resolved] = {}
    for index, ask in enumerate(asks):
        try:
            policy.purpose(ask.purpose)
            check_channel(ask.channel)
        except DatawardError as error:
            out[index] = error
    pending = [i for i, a in enumerate(asks) if out[i] is None]
    _resolve(uow, organisation, asks, pending, out, resolved)
    subjects = {s.id: s for r in resolved.values() for s in r.subjects}
    facts = _facts(uow, subjects)
    _screen(uow, asks, resolved, facts)
    for index in pending:
        if out[index] is not None:
            continue
        ask = asks[index]
        try:
            _check_consent_ref(uow, organisation, ask, resolved[index])
            out[index] = _answer(policy, ask, resolved[index], facts)
        except DatawardError as error:
            out[index] = error
    return [o for o in out if o is not None]


def _answer(policy: Policy, ask: Ask, found: _Resolved, facts: dict[str, Facts]) -> Decision:
    channel = check_channel(ask.channel)
    if not found.subjects:
        empty = Facts(tps_lists=facts.get(_phone_key(found.phone), Facts()).tps_lists)
        decision = evaluate(policy, ask.purpose, channel, empty)
        reasons = ["no subject holds this identity: nothing is on record for the person"]
        return Decision(decision.allow, reasons + decision.reasons, decision.rules, [])
    decisions = [evaluate(policy, ask.purpose, channel, facts[s.id]) for s in found.subjects]
    # Several subjects share a phone or address: every one of them must allow.
    refused = [d for d in decisions if not d.allow]
    return refused[0] if refused else decisions[0]


def _phone_key(phone: str | None) -> str:
    return f"phone:{phone}"


def _resolve(
    uow: UnitOfWork,
    organisation: str,
    asks: Sequence[Ask],
    pending: list[int],
    out: list[Decision | DatawardError | None],
    resolved: dict[int, _Resolved],
) -> None:
    refs = {asks[i].subject_ref for i in pending if asks[i].subject_ref}
    by_ref: dict[str, Subject] = {}
    for chunk in _chunks(sorted(r for r in refs if r)):
        for subject in uow.session.scalars(
            select(Subject).where(Subject.organisation == organisation, Subject.ref.in_(chunk))
        ):
            by_ref[subject.ref] = subject
    digests: dict[int, tuple[str, str]] = {}
    phones: dict[int, str] = {}
    material = uow.vault.material if any(asks[i].identity for i in pending) else None
    for index in pending:
        ask = asks[index]
        if ask.subject_ref:
            known = by_ref.get(ask.subject_ref)
            if known is None or known.shredded_at is not None:
                out[index] = SubjectNotFound(f"no subject {ask.subject_ref[:32]!r}")
                continue
            resolved[index] = _Resolved([known])
        elif ask.identity is not None and material is not None:
            try:
                kind = parse_kind(ask.identity[0])
                value = normalise(kind, ask.identity[1])
            except DatawardError as error:
                out[index] = error
                continue
            digests[index] = (kind.value, index_digest(material, organisation, kind.value, value))
            if kind is IdentityKind.PHONE:
                phones[index] = value
        else:
            out[index] = ConsentInvalid("give a subject_ref or an identity")
    owners = _owners_by_digest(uow, organisation, set(digests.values()))
    for index, digest in digests.items():
        resolved[index] = _Resolved(owners.get(digest, []), phones.get(index))


def _owners_by_digest(
    uow: UnitOfWork, organisation: str, digests: set[tuple[str, str]]
) -> dict[tuple[str, str], list[Subject]]:
    if not digests:
        return {}
    uow.keys.flush()
    identity_digest: dict[str, tuple[str, str]] = {}
    by_kind: dict[str, list[str]] = {}
    for kind, digest in digests:
        by_kind.setdefault(kind, []).append(digest)
    for kind, values in by_kind.items():
        # The index is (organisation, kind, digest): naming the kind keeps this a seek.
        for chunk in _chunks(sorted(values)):
            for identity_id, digest in uow.keys.execute(
                select(BlindIndexEntry.identity_id, BlindIndexEntry.digest).where(
                    BlindIndexEntry.organisation == organisation,
                    BlindIndexEntry.kind == kind,
                    BlindIndexEntry.digest.in_(chunk),
                )
            ):
                identity_digest[identity_id] = (kind, digest)
    owners: dict[tuple[str, str], list[Subject]] = {}
    for chunk in _chunks(sorted(identity_digest)):
        # Filter the organisation here, not in SQL: with it in the WHERE clause SQLite's
        # planner walks every subject of the organisation (its index) instead of seeking the
        # identity ids, and each chunk costs as much as the whole table.
        rows = uow.session.execute(
            select(SubjectIdentity.id, Subject)
            .join(Subject, Subject.id == SubjectIdentity.subject_id)
            .where(SubjectIdentity.id.in_(chunk))
        )
        for identity_id, subject in rows:
            if subject.organisation != organisation:
                continue
            owner = survivor(uow, subject)
            if owner.shredded_at is not None:
                continue
            found = owners.setdefault(identity_digest[identity_id], [])
            if all(s.id != owner.id for s in found):
                found.append(owner)
    return owners


def _facts(uow: UnitOfWork, subjects: dict[str, Subject]) -> dict[str, Facts]:
    facts = {sid: Facts(subject_ref=s.ref) for sid, s in subjects.items()}
    ids = sorted(subjects)
    for chunk in _chunks(ids):
        for row in uow.session.execute(
            select(
                ConsentRecord.subject_id,
                ConsentRecord.kind,
                ConsentRecord.purpose,
                ConsentRecord.channel,
                ConsentRecord.ref,
                ConsentRecord.state,
                ConsentRecord.changed_at,
            ).where(ConsentRecord.subject_id.in_(chunk))
        ):
            facts[row[0]].records[(row[1], row[2], row[3])] = RecordFact(row[4], row[5], row[6])
        for oid, ref, kind, channels, purposes, outcome in uow.session.execute(
            select(
                Objection.subject_id,
                Objection.ref,
                Objection.kind,
                Objection.channels,
                Objection.purposes,
                Objection.outcome,
            ).where(Objection.subject_id.in_(chunk))
        ):
            facts[oid].objections.append(
                ObjectionFact(ref, kind, tuple(channels), tuple(purposes), outcome)
            )
        for rid, ref, purposes, started_at in uow.session.execute(
            select(
                Restriction.subject_id,
                Restriction.ref,
                Restriction.purposes,
                Restriction.started_at,
            ).where(Restriction.subject_id.in_(chunk), Restriction.lifted_at.is_(None))
        ):
            facts[rid].restrictions.append(RestrictionFact(ref, tuple(purposes), started_at))
    return facts


def _screen(
    uow: UnitOfWork, asks: Sequence[Ask], resolved: dict[int, _Resolved], facts: dict[str, Facts]
) -> None:
    """MKT-02: for live calls, which TPS/CTPS lists hold the numbers concerned."""
    calls = [i for i in resolved if asks[i].channel == "live_call"]
    if not calls:
        return
    key = uow.vault.material.index_key
    numbers: dict[str, set[str]] = {}  # facts key -> E.164 numbers
    for index in calls:
        found = resolved[index]
        if found.phone:
            numbers.setdefault(_phone_key(found.phone), set()).add(found.phone)
            for subject in found.subjects:
                numbers.setdefault(subject.id, set()).add(found.phone)
        else:
            for subject in found.subjects:
                numbers.setdefault(subject.id, set()).update(_phones_of(uow, subject))
    digests = {n: tps_digest(key, n) for nums in numbers.values() for n in nums}
    holding = lists_holding(uow, digests.values())
    for owner, nums in numbers.items():
        lists: set[str] = set()
        for number in nums:
            lists |= holding.get(digests[number], set())
        target = facts.setdefault(owner, Facts())
        target.tps_lists = lists if nums else None


def _phones_of(uow: UnitOfWork, subject: Subject) -> set[str]:
    rows = uow.session.scalars(
        select(SubjectIdentity).where(
            SubjectIdentity.subject_id == subject.id, SubjectIdentity.kind == "phone"
        )
    )
    return {
        decrypt_for(uow, subject.key_id, r.sealed, identity_context(subject.id, "phone"))
        for r in rows
    }


def _check_consent_ref(uow: UnitOfWork, organisation: str, ask: Ask, found: _Resolved) -> None:
    """A caller that names the consent it relies on learns at once if it was withdrawn."""
    if not ask.consent_ref:
        return
    row = uow.session.scalars(
        select(ConsentRecord).where(
            ConsentRecord.organisation == organisation, ConsentRecord.ref == ask.consent_ref[:32]
        )
    ).first()
    if row is None or all(s.id != row.subject_id for s in found.subjects):
        raise ConsentNotFound("no consent with this reference is recorded for this person")
    if row.purpose != ask.purpose or (row.channel or None) != (ask.channel or None):
        raise ConsentInvalid("this consent is for another purpose or channel")
    if row.state != "given":
        raise ConsentWithdrawn(
            f"consent {row.ref} was withdrawn on {row.changed_at:%Y-%m-%d %H:%M} UTC: "
            "it cannot be relied on"
        )


def _chunks(items: Sequence[str] | list[str], size: int = CHUNK) -> Iterable[list[str]]:
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]
