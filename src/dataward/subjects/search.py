"""Finding a subject for a caseworker: exact through the blind index, then ranked by name.

Only an exact identity (email, phone, postcode, ...) finds candidates: the blind index holds
keyed digests, never plaintext, so there is no fuzzy index to leak. A name the caseworker
heard ("Jon Smyth") then *ranks* those candidates by how close their decrypted names are,
in memory, for this request only; the names themselves are not returned, only a closeness.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher

from sqlalchemy import func, select

from dataward.crypto.keyring import decrypt_for
from dataward.subjects.identities import IdentityKind, normalise_name
from dataward.subjects.models import Subject
from dataward.subjects.service import find_subjects, identity_context
from dataward.uow import UnitOfWork

# Ranking decrypts each candidate's names: a bound keeps one search cheap.
MAX_RANKED = 500


@dataclass(frozen=True)
class Candidate:
    subject: Subject
    # 0..1, how close the subject's nearest name is to the one given; None when not ranked.
    closeness: float | None = None


def _closeness(wanted: str, name: str) -> float:
    """Order-insensitive: "Smith, Jane" is as close to "Jane Smith" as itself."""
    a = " ".join(sorted(normalise_name(wanted).replace(",", " ").split()))
    b = " ".join(sorted(normalise_name(name).replace(",", " ").split()))
    return SequenceMatcher(None, a, b).ratio()


def search_subjects(
    uow: UnitOfWork, organisation: str, kind: str, value: str, *, name: str = ""
) -> list[Candidate]:
    """Subjects holding this identity; closest name first when ``name`` is given."""
    found = find_subjects(uow, organisation, kind, value)
    if not name.strip():
        return [Candidate(s) for s in found]
    ranked = []
    for subject in found[:MAX_RANKED]:
        names = [
            decrypt_for(
                uow, subject.key_id, i.sealed, identity_context(subject.id, IdentityKind.NAME)
            )
            for i in subject.identities
            if i.kind == IdentityKind.NAME.value
        ]
        best = max((_closeness(name, n) for n in names), default=0.0)
        ranked.append(Candidate(subject, round(best, 2)))
    ranked.sort(key=lambda c: (-(c.closeness or 0.0), c.subject.ref))
    return ranked + [Candidate(s) for s in found[MAX_RANKED:]]


def busiest_organisation(uow: UnitOfWork, organisations: list[str]) -> str:
    """The organisation with the most live subjects: the sensible one to search first."""
    if not organisations:
        return ""
    live = Subject.merged_into.is_(None) & Subject.shredded_at.is_(None)
    rows = uow.session.execute(
        select(Subject.organisation, func.count()).where(live).group_by(Subject.organisation)
    ).all()
    counts: dict[str, int] = {str(org): int(n) for org, n in rows}
    return max(organisations, key=lambda org: (counts.get(org, 0), org == organisations[0]))
