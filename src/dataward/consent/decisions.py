"""``decide``: may subject S's data be used for purpose P, or S be contacted on channel C?

Facts are loaded in bulk for a whole chunk of questions (a handful of queries per chunk,
not per person), so a campaign list of a million identities costs about as many queries
as a thousand. The queries are fixed texts taking a list parameter (``db.any_of``) and
return plain rows, not ORM objects: the statement is parsed once however many ask, and
a single decision costs a few index seeks rather than the ORM's per-query machinery. The
answer itself comes from ``rules.evaluate``. Deciding changes nothing, so nothing is
audited; logs carry counts only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select

from dataward.consent.errors import ConsentInvalid, ConsentNotFound, ConsentWithdrawn
from dataward.consent.lookups import (
    Person,
    index_entries,
    people_by_identity,
    people_by_ref,
    person_and_register,
    survivors,
)
from dataward.consent.models import ConsentRecord
from dataward.consent.policy import Policy, check_channel, policy_for
from dataward.consent.rules import (
    Decision,
    Facts,
    evaluate,
    evaluate_stranger,
    evaluate_suppressed,
)
from dataward.consent.suppression import SuppressionFact, suppressions_for
from dataward.consent.tps import lists_holding, screening, tps_digest
from dataward.crypto.keyring import decrypt_for, index_digest
from dataward.crypto.keystore import material_of
from dataward.errors import DatawardError
from dataward.subjects.errors import SubjectNotFound
from dataward.subjects.identities import IdentityKind, normalise, parse_kind
from dataward.subjects.models import SubjectIdentity
from dataward.subjects.service import identity_context
from dataward.uow import UnitOfWork

Identity = tuple[str, str]


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
    subjects: list[Person]
    phone: str | None = None
    # Issue 19: suppression entries against an identity that no living subject holds.
    suppressed: tuple[SuppressionFact, ...] = ()


def decide_many(
    uow: UnitOfWork, organisation: str, asks: Sequence[Ask]
) -> list[Decision | DatawardError]:
    """Answers in the order asked; a bad question gets its error, the others their answer."""
    return conclude(gather(uow, organisation, asks))


def decide_known(policy: Policy, ask: Ask, people: dict[str, Person]) -> Decision:
    """A decision by subject ref from a person read already: no database at all.

    For questions that need nothing more (not a live call, which screens TPS lists; no
    consent ref, which is looked up): the caller checks. ``people`` is what
    ``person_and_register`` returned; the answer is the one ``decide`` gives.
    """
    if ask.channel == "live_call" or ask.consent_ref or not ask.subject_ref:
        raise ValueError("decide_known answers questions by subject ref that need no more")
    policy.purpose(ask.purpose)
    check_channel(ask.channel)
    known = people.get(ask.subject_ref)
    if known is None or known.shredded:
        raise SubjectNotFound(f"no subject {ask.subject_ref[:32]!r}")
    gathered = Gathered(policy, [ask], [None], {0: _Resolved([known])}, {known.id: known.facts})
    answer = conclude(gathered)[0]
    if isinstance(answer, DatawardError):
        raise answer
    return answer


@dataclass
class Gathered:
    """Everything the answers to some questions need, read from the database."""

    policy: Policy
    asks: Sequence[Ask]
    out: list[Decision | DatawardError | None]
    resolved: dict[int, _Resolved]
    facts: dict[str, Facts]


def gather(uow: UnitOfWork, organisation: str, asks: Sequence[Ask]) -> Gathered:
    """The reading half of ``decide_many``: all its queries, no rule applied yet.

    Split from ``conclude`` so a batch can read the next chunk while it answers this one.
    """
    # The lookups are plain SQL, which does not autoflush: changes made earlier in this
    # unit of work (a consent given a moment ago) must be visible to them.
    uow.session.flush()
    prefetched: dict[str, Person] | None = None
    newest = None
    if len(asks) == 1 and asks[0].subject_ref:
        # The decision API's case: the person and the register's version in one query.
        prefetched, newest = person_and_register(uow.session, organisation, asks[0].subject_ref)
    policy = policy_for(uow, organisation, newest=newest)
    out: list[Decision | DatawardError | None] = [None] * len(asks)
    resolved: dict[int, _Resolved] = {}
    for index, ask in enumerate(asks):
        try:
            policy.purpose(ask.purpose)
            check_channel(ask.channel)
        except DatawardError as error:
            out[index] = error
    pending = [i for i, a in enumerate(asks) if out[i] is None]
    _resolve(uow, organisation, asks, pending, out, resolved, prefetched)
    subjects = {s.id: s for r in resolved.values() for s in r.subjects}
    facts = {sid: person.facts for sid, person in subjects.items()}
    _screen(uow, asks, resolved, facts)
    for index, ask in enumerate(asks):
        if out[index] is None and ask.consent_ref:
            try:
                _check_consent_ref(uow, organisation, ask, resolved[index])
            except DatawardError as error:
                out[index] = error
    return Gathered(policy, asks, out, resolved, facts)


def conclude(gathered: Gathered) -> list[Decision | DatawardError]:
    """The answers from what ``gather`` read: the rules only, no database."""
    memo: dict[tuple[str, str | None], Decision] = {}
    out = list(gathered.out)
    for index, ask in enumerate(gathered.asks):
        if out[index] is None:
            found = gathered.resolved[index]
            out[index] = _answer(gathered.policy, ask, found, gathered.facts, memo)
    return [o for o in out if o is not None]


def _answer(
    policy: Policy,
    ask: Ask,
    found: _Resolved,
    facts: dict[str, Facts],
    memo: dict[tuple[str, str | None], Decision],
) -> Decision:
    channel = check_channel(ask.channel)
    if not found.subjects:
        if any(f.covers(channel, ask.purpose) for f in found.suppressed):
            suppressed = evaluate_suppressed(policy, ask.purpose, channel)
            if suppressed is not None:
                return suppressed
        return evaluate_stranger(policy, ask.purpose, channel)
    decisions = [_evaluate(policy, ask.purpose, channel, facts[s.id], memo) for s in found.subjects]
    # Several subjects share a phone or address: every one of them must allow.
    refused = [d for d in decisions if not d.allow]
    return refused[0] if refused else decisions[0]


def _evaluate(
    policy: Policy,
    purpose: str,
    channel: str | None,
    facts: Facts,
    memo: dict[tuple[str, str | None], Decision],
) -> Decision:
    """``evaluate``, remembered within one call for people with nothing on record.

    Most of a campaign list has no consent, objection or restriction on record, and for
    them the answer depends on the question alone: it is worked out once per question.
    """
    if not facts.blank:
        return evaluate(policy, purpose, channel, facts)
    known = memo.get((purpose, channel))
    if known is None:
        known = memo[(purpose, channel)] = evaluate(policy, purpose, channel, Facts())
    # Decisions are read, never changed, so they may share the remembered lists.
    return Decision(
        known.allow, known.code, known.reasons, known.rules, known.records, facts.subject_ref
    )


def _resolve(
    uow: UnitOfWork,
    organisation: str,
    asks: Sequence[Ask],
    pending: list[int],
    out: list[Decision | DatawardError | None],
    resolved: dict[int, _Resolved],
    prefetched: dict[str, Person] | None = None,
) -> None:
    refs = {ref for i in pending if (ref := asks[i].subject_ref)}
    by_ref = prefetched
    if by_ref is None:
        by_ref = people_by_ref(uow.session, organisation, refs)
    digests: dict[int, tuple[str, str]] = {}
    phones: dict[int, str] = {}
    material = material_of(uow) if any(asks[i].identity for i in pending) else None
    for index in pending:
        ask = asks[index]
        if ask.subject_ref:
            known = by_ref.get(ask.subject_ref)
            if known is None or known.shredded:
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
    unheld = {digest for digest in digests.values() if digest not in owners}
    suppressed = suppressions_for(uow, organisation, unheld) if unheld else {}
    for index, digest in digests.items():
        resolved[index] = _Resolved(
            owners.get(digest, []), phones.get(index), tuple(suppressed.get(digest, ()))
        )


def _owners_by_digest(
    uow: UnitOfWork, organisation: str, digests: set[tuple[str, str]]
) -> dict[tuple[str, str], list[Person]]:
    """For each (kind, digest), the living people holding it, merges followed."""
    if not digests:
        return {}
    uow.keys.flush()
    identity_digest: dict[str, tuple[str, str]] = {}
    by_kind: dict[str, list[str]] = {}
    for kind, digest in digests:
        by_kind.setdefault(kind, []).append(digest)
    for kind, values in by_kind.items():
        for identity_id, digest in index_entries(uow.keys, organisation, kind, values):
            identity_digest[identity_id] = (kind, digest)
    holders = people_by_identity(uow.session, organisation, list(identity_digest))
    leads_to = survivors(uow.session, holders.values())
    owners: dict[tuple[str, str], list[Person]] = {}
    for identity_id, holder in holders.items():
        owner = leads_to[holder.id]
        if owner.shredded:
            continue
        found = owners.setdefault(identity_digest[identity_id], [])
        if not found or all(s.id != owner.id for s in found):
            found.append(owner)
    return owners


def _screen(
    uow: UnitOfWork, asks: Sequence[Ask], resolved: dict[int, _Resolved], facts: dict[str, Facts]
) -> None:
    """MKT-02: for live calls, which TPS/CTPS lists hold the numbers concerned, and whether
    those lists are current (read once for the whole chunk)."""
    calls = [i for i in resolved if asks[i].channel == "live_call"]
    if not calls:
        return
    key = material_of(uow).index_key
    current = screening(uow)
    numbers: dict[str, set[str]] = {}  # subject id -> E.164 numbers
    for index in calls:
        found = resolved[index]
        # An identity no subject holds is refused whatever the lists say: not screened.
        for subject in found.subjects:
            if found.phone:
                numbers.setdefault(subject.id, set()).add(found.phone)
            else:
                numbers.setdefault(subject.id, set()).update(_phones_of(uow, subject))
    digests = {n: tps_digest(key, n) for nums in numbers.values() for n in nums}
    holding = lists_holding(uow, digests.values())
    for owner, nums in numbers.items():
        lists: set[str] = set()
        for number in nums:
            lists |= holding.get(digests[number], set())
        target = facts.setdefault(owner, Facts())
        target.tps_lists = lists if nums else None
        target.tps_screening = current


def _phones_of(uow: UnitOfWork, subject: Person) -> set[str]:
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
