"""Finding the subject a request is about, through the subject store's identities.

Each detail the requester gave is looked up exactly as the subject store indexes it (the
blind index: keyed digests of normalised values), never by decrypting subjects to compare
them. A candidate says *which kinds* of detail matched and a score; it never shows a
value the requester did not type (only the kinds of the subject's other identities).

When the contact details point to different people (the email to one subject, the phone to
another), the match is flagged as a conflict: linking either may be wrong, so the
caseworker checks first. Finding nobody is not an error: the request stays open and the
caseworker links it later (SAR-10: a request opens whoever asked).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from dataward.requests.models import RightsRequest
from dataward.requests.service import Requester, requester_of
from dataward.subjects.errors import InvalidIdentity, SubjectNotFound
from dataward.subjects.identities import IdentityKind, normalise
from dataward.subjects.models import Subject, SubjectIdentity
from dataward.subjects.service import find_subjects, get_subject
from dataward.uow import UnitOfWork

# How much one matching kind says that this is the person. Email and phone are near-unique;
# an address may be a household's; a name or a postcode is shared by many people.
WEIGHTS: dict[str, float] = {
    IdentityKind.EMAIL.value: 0.9,
    IdentityKind.PHONE.value: 0.7,
    IdentityKind.ADDRESS.value: 0.6,
    IdentityKind.CUSTOMER_REF.value: 0.9,
    IdentityKind.NI_NUMBER.value: 0.9,
    IdentityKind.NAME.value: 0.4,
    IdentityKind.POSTCODE.value: 0.2,
    "ref": 1.0,
}
# Kinds that point at one person: if they point at different subjects, that is a conflict.
DISTINCTIVE = (IdentityKind.EMAIL.value, IdentityKind.PHONE.value)
# A postcode or a common name can match many subjects: only the best are shown.
MAX_CANDIDATES = 20
# A UK postcode anywhere in an address typed as free text (validated by the normaliser).
_POSTCODE_IN_TEXT = re.compile(r"\b([A-Z]{1,2}[0-9][0-9A-Z]?\s*[0-9][A-Z]{2})\b")
SEARCH_KINDS = ("ref", *(k.value for k in IdentityKind))


@dataclass(frozen=True)
class SubjectCandidate:
    ref: str
    # The kinds of detail that matched, strongest first (values: what the requester typed).
    matched: tuple[str, ...]
    # 0..1: how strongly the matches together point at this subject.
    score: float
    # Kinds of the subject's other identities, never their values: an email the subject
    # holds that did not match the requester's is a reason to look twice.
    also_holds: tuple[str, ...]


@dataclass(frozen=True)
class Matching:
    candidates: list[SubjectCandidate]
    # The distinctive details point at different subjects: check before linking.
    conflict: bool
    # The kinds of detail looked up (to say what "not found" was based on).
    searched: tuple[str, ...]
    # How many subjects matched in all (more than shown when a postcode matched many).
    total: int

    @property
    def found(self) -> bool:
        return bool(self.candidates)


def postcode_in(address: str) -> str | None:
    """The UK postcode in a free-text address, if one can be read from it."""
    for found in _POSTCODE_IN_TEXT.findall(address.upper()):
        try:
            return normalise(IdentityKind.POSTCODE, found)
        except InvalidIdentity:
            continue
    return None


def details_to_search(requester: Requester, requester_kind: str) -> list[tuple[str, str]]:
    """The (kind, value) pairs worth looking up for this requester.

    Someone acting for the subject (SAR-10) gave *their own* name, email and phone: those
    would find the representative, not the subject. For them only the subject's name they
    gave (``on_behalf_of``) and the address are looked up (a parent or a deputy often
    shares the subject's address; a solicitor's office address simply matches nobody).
    """
    pairs: list[tuple[str, str]] = []
    if requester_kind == "self":
        pairs += [
            (IdentityKind.EMAIL.value, requester.email),
            (IdentityKind.PHONE.value, requester.phone),
            (IdentityKind.NAME.value, requester.name),
        ]
    else:
        pairs.append((IdentityKind.NAME.value, requester.on_behalf_of))
    pairs.append((IdentityKind.ADDRESS.value, requester.address))
    postcode = postcode_in(requester.address) if requester.address else None
    if postcode:
        pairs.append((IdentityKind.POSTCODE.value, postcode))
    return [(kind, value) for kind, value in pairs if value.strip()]


def _score(kinds: Iterable[str]) -> float:
    """Independent evidence combined: 1 - the product of each kind's chance of being wrong."""
    doubt = 1.0
    for kind in kinds:
        doubt *= 1.0 - WEIGHTS.get(kind, 0.1)
    return round(1.0 - doubt, 2)


def _held_kinds(uow: UnitOfWork, subject_ids: list[str]) -> dict[str, set[str]]:
    """Each subject's identity kinds, in one query (kinds only: nothing is decrypted)."""
    held: dict[str, set[str]] = {sid: set() for sid in subject_ids}
    if not subject_ids:
        return held
    rows = uow.session.execute(
        select(SubjectIdentity.subject_id, SubjectIdentity.kind)
        .where(SubjectIdentity.subject_id.in_(subject_ids))
        .distinct()
    )
    for subject_id, kind in rows:
        held[str(subject_id)].add(str(kind))
    return held


def _rank(uow: UnitOfWork, hits: dict[str, tuple[Subject, set[str]]]) -> list[SubjectCandidate]:
    held = _held_kinds(uow, list(hits))
    order = list(WEIGHTS)
    candidates = []
    for subject_id, (subject, kinds) in hits.items():
        matched = tuple(sorted(kinds, key=order.index))
        others = tuple(sorted(held[subject_id] - kinds))
        candidates.append(SubjectCandidate(subject.ref, matched, _score(kinds), others))
    candidates.sort(key=lambda c: (-c.score, c.ref))
    return candidates


def _conflict(hits: dict[str, tuple[Subject, set[str]]]) -> bool:
    """No one subject holds every distinctive detail that matched somebody."""
    matched_kinds = {k for _, kinds in hits.values() for k in kinds if k in DISTINCTIVE}
    if len(matched_kinds) < 2:
        return False
    return not any(matched_kinds <= kinds for _, kinds in hits.values())


def match_details(uow: UnitOfWork, organisation: str, details: list[tuple[str, str]]) -> Matching:
    """Candidates for these details in ``organisation``, each with what matched."""
    hits: dict[str, tuple[Subject, set[str]]] = {}
    searched: list[str] = []
    for kind, value in details:
        try:
            found = find_subjects(uow, organisation, kind, value)
        except InvalidIdentity:
            continue  # e.g. a phone number typed as words: nothing to look up
        searched.append(kind)
        for subject in found:
            hits.setdefault(subject.id, (subject, set()))[1].add(kind)
    ranked = _rank(uow, hits)
    return Matching(
        ranked[:MAX_CANDIDATES], _conflict(hits), tuple(dict.fromkeys(searched)), len(ranked)
    )


def candidates_for(uow: UnitOfWork, row: RightsRequest) -> Matching:
    """The subjects this request may be about, from the requester's sealed details."""
    details = details_to_search(requester_of(uow, row), row.requester_kind)
    return match_details(uow, row.organisation, details)


def search_for_request(uow: UnitOfWork, organisation: str, kind: str, value: str) -> Matching:
    """The caseworker's own search: by a subject's ref, or by one identity.

    Raises ``InvalidIdentity`` for an unknown kind or a value that cannot be an identity of
    that kind, so the caseworker is told rather than shown "nobody".
    """
    if kind == "ref":
        try:
            subject = get_subject(uow, organisation, value.strip()[:32])
        except SubjectNotFound:
            return Matching([], False, ("ref",), 0)
        return Matching(_rank(uow, {subject.id: (subject, {"ref"})}), False, ("ref",), 1)
    if kind not in SEARCH_KINDS:
        raise InvalidIdentity(f"search by one of {', '.join(SEARCH_KINDS)}")
    normalise(IdentityKind(kind), value)  # refuses a malformed value with its reason
    return match_details(uow, organisation, [(kind, value)])
