"""Subjects service: add, find, show, merge and shred subjects. Never commits.

Identity values exist in plaintext only inside a call: they are sealed under the subject's
data key before they reach the main database, and found through the blind index in the
key store. Logs and the audit chain carry the subject's pseudonymous ``ref`` only.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from dataward.audit.service import record
from dataward.consent.suppression import inherit_suppressions, suppress_before_shred
from dataward.crypto.keyring import (
    add_index,
    create_data_key,
    decrypt_for,
    encrypt_for,
    index_digest,
    lookup,
    repoint_index,
    shred_key,
)
from dataward.crypto.keystore import material_of
from dataward.errors import ValidationFailed
from dataward.publication.registers import subject_group_ids
from dataward.subjects.audit_actions import SUBJECT_CREATED, SUBJECT_MERGED, SUBJECT_SHREDDED
from dataward.subjects.errors import IdentityTaken, MergeRefused, SubjectNotFound
from dataward.subjects.identities import IdentityKind, normalise, parse_kind
from dataward.subjects.models import Subject, SubjectIdentity
from dataward.uow import UnitOfWork

# One person per value within an organisation; other kinds (a shared address or phone in a
# household) may belong to several subjects.
UNIQUE_KINDS = frozenset({IdentityKind.EMAIL, IdentityKind.NI_NUMBER, IdentityKind.CUSTOMER_REF})


@dataclass(frozen=True)
class IdentityView:
    kind: str
    value: str
    merged_from: str | None


@dataclass(frozen=True)
class SubjectView:
    ref: str
    organisation: str
    groups: list[str]
    created_at: datetime
    identities: list[IdentityView]
    merged_refs: list[str]


def identity_context(subject_id: str, kind: str) -> str:
    """What an identity's ciphertext is bound to: its subject and its kind."""
    return f"subject:{subject_id}:{kind}"


def normalised_identities(
    uow: UnitOfWork, identities: Sequence[tuple[str, str]]
) -> list[tuple[IdentityKind, str]]:
    today = uow.clock.today()
    out: list[tuple[IdentityKind, str]] = []
    for kind_text, value in identities:
        kind = parse_kind(kind_text)
        pair = (kind, normalise(kind, value, today))
        if pair not in out:
            out.append(pair)
    return out


def check_groups(uow: UnitOfWork, organisation: str, groups: Sequence[str]) -> list[str]:
    known = subject_group_ids(uow, organisation)
    unknown = sorted(set(groups) - known)
    if unknown:
        raise ValidationFailed(
            f"unknown subject groups for {organisation}: {', '.join(unknown)} "
            f"(the register has {', '.join(sorted(known))})"
        )
    return sorted(set(groups))


def _owners(uow: UnitOfWork, organisation: str, kind: IdentityKind, value: str) -> set[str]:
    identity_ids = lookup(uow, organisation, kind.value, value)
    if not identity_ids:
        return set()
    rows = uow.session.scalars(
        select(SubjectIdentity.subject_id).where(SubjectIdentity.id.in_(identity_ids))
    )
    return set(rows)


def _attach(
    uow: UnitOfWork, subject: Subject, kind: IdentityKind, value: str, origin: str | None = None
) -> SubjectIdentity:
    identity = SubjectIdentity(
        id=str(uuid.uuid4()),
        subject_id=subject.id,
        kind=kind.value,
        sealed=encrypt_for(uow, subject.key_id, value, identity_context(subject.id, kind.value)),
        origin_subject_id=origin,
        created_at=uow.clock.now(),
    )
    uow.session.add(identity)
    add_index(uow, subject.organisation, kind.value, value, subject.key_id, identity.id)
    return identity


def add_subject(
    uow: UnitOfWork,
    organisation: str,
    groups: Sequence[str],
    identities: Sequence[tuple[str, str]],
    *,
    actor: str = "system",
) -> Subject:
    """Create a subject with its identities; everything is checked before anything is written."""
    checked_groups = check_groups(uow, organisation, groups)
    values = normalised_identities(uow, identities)
    if not values:
        raise ValidationFailed("a subject needs at least one identity")
    for kind, value in values:
        if kind in UNIQUE_KINDS and _owners(uow, organisation, kind, value):
            raise IdentityTaken(f"this {kind.value} already belongs to another subject")
    subject = Subject(
        id=str(uuid.uuid4()),
        organisation=organisation,
        ref="s_" + secrets.token_hex(8),
        key_id=create_data_key(uow, organisation),
        groups=checked_groups,
        created_at=uow.clock.now(),
    )
    uow.session.add(subject)
    uow.session.flush()
    for kind, value in values:
        _attach(uow, subject, kind, value)
    record(
        uow,
        actor=actor,
        action=SUBJECT_CREATED,
        entity_type="subject",
        entity_id=subject.ref,
        subject_ref=subject.ref,
        after={"groups": checked_groups, "identities": [k.value for k, _ in values]},
        details={"organisation": organisation, "identities": len(values)},
    )
    # Issue 19: a stop on marketing that outlived a shredded subject holds for this one too.
    material = material_of(uow)
    digests = [(k.value, index_digest(material, organisation, k.value, v)) for k, v in values]
    inherit_suppressions(uow, subject, digests, actor=actor)
    return subject


def get_subject(uow: UnitOfWork, organisation: str, ref: str) -> Subject:
    subject = uow.session.scalars(
        select(Subject).where(Subject.organisation == organisation, Subject.ref == ref)
    ).first()
    if subject is None or subject.shredded_at is not None:
        raise SubjectNotFound(f"no subject {ref!r} in {organisation}")
    return subject


def survivor(uow: UnitOfWork, subject: Subject) -> Subject:
    """The subject a merged record leads to (itself when never merged)."""
    seen = {subject.id}
    while subject.merged_into is not None:
        nxt = uow.session.get(Subject, subject.merged_into)
        if nxt is None or nxt.id in seen:
            break
        seen.add(nxt.id)
        subject = nxt
    return subject


def find_subjects(uow: UnitOfWork, organisation: str, kind: str, value: str) -> list[Subject]:
    """Subjects holding this identity, through the blind index; merged ones lead to the survivor."""
    identity_kind = parse_kind(kind)
    canonical = normalise(identity_kind, value)
    identity_ids = lookup(uow, organisation, identity_kind.value, canonical)
    if not identity_ids:
        return []
    subjects = uow.session.scalars(
        select(Subject)
        .join(SubjectIdentity, SubjectIdentity.subject_id == Subject.id)
        .where(SubjectIdentity.id.in_(identity_ids), Subject.organisation == organisation)
    ).unique()
    found: dict[str, Subject] = {}
    for subject in subjects:
        owner = survivor(uow, subject)
        if owner.shredded_at is None:
            found[owner.id] = owner
    return sorted(found.values(), key=lambda s: s.ref)


def show_subject(uow: UnitOfWork, organisation: str, ref: str) -> SubjectView:
    subject = get_subject(uow, organisation, ref)
    refs = {
        s.id: s.ref
        for s in uow.session.scalars(select(Subject).where(Subject.merged_into == subject.id))
    }
    views = [
        IdentityView(
            identity.kind,
            decrypt_for(
                uow, subject.key_id, identity.sealed, identity_context(subject.id, identity.kind)
            ),
            refs.get(identity.origin_subject_id or ""),
        )
        for identity in subject.identities
    ]
    return SubjectView(
        subject.ref,
        organisation,
        list(subject.groups),
        subject.created_at,
        views,
        sorted(refs.values()),
    )


def merge_subjects(
    uow: UnitOfWork, organisation: str, keep_ref: str, merge_ref: str, *, actor: str = "system"
) -> Subject:
    """Fold ``merge_ref`` into ``keep_ref``. The merged subject stays as history."""
    if keep_ref == merge_ref:
        raise MergeRefused("a subject cannot be merged with itself")
    keep = get_subject(uow, organisation, keep_ref)
    merged = get_subject(uow, organisation, merge_ref)
    if merged.merged_into is not None or keep.merged_into is not None:
        raise MergeRefused("one of these subjects was already merged into another")
    moved: list[str] = []
    for identity in list(merged.identities):
        context = identity_context(merged.id, identity.kind)
        value = decrypt_for(uow, merged.key_id, identity.sealed, context)
        identity.sealed = encrypt_for(
            uow, keep.key_id, value, identity_context(keep.id, identity.kind)
        )
        identity.subject_id = keep.id
        identity.origin_subject_id = merged.id
        moved.append(identity.id)
    repoint_index(uow, moved, keep.key_id)
    shred_key(uow, merged.key_id)  # it seals nothing any more
    keep.groups = sorted(set(keep.groups) | set(merged.groups))
    merged.merged_into = keep.id
    uow.session.flush()
    uow.session.expire(keep, ["identities"])
    record(
        uow,
        actor=actor,
        action=SUBJECT_MERGED,
        entity_type="subject",
        entity_id=keep.ref,
        subject_ref=keep.ref,
        details={"merged": merged.ref, "identities_moved": len(moved)},
    )
    return keep


# Why a subject was shredded, as the chain records it: a fixed list, because the chain's rows
# can never be erased and free text about a person could carry personal data into it.
SHRED_REASONS = {
    "erasure_request": "the person asked for erasure",
    "retention_ended": "the retention period ended",
    "duplicate": "a duplicate record",
    "created_in_error": "created in error",
}


def shred_subject(
    uow: UnitOfWork,
    organisation: str,
    ref: str,
    *,
    actor: str = "system",
    reason: str | None = None,
) -> None:
    """Crypto-shred: destroy the data key and index entries, delete the ciphertext here.

    Copies of the ciphertext in backups of the main database stay unreadable for good.
    """
    if reason is not None and reason not in SHRED_REASONS:
        raise ValidationFailed(f"reason must be one of {', '.join(SHRED_REASONS)}")
    subject = get_subject(uow, organisation, ref)
    # Issue 19: the person's stops on marketing outlive them, by blind-index digest only,
    # written from the index before the key (and the index entries with it) goes.
    suppress_before_shred(uow, subject, actor=actor)
    shred_key(uow, subject.key_id)
    for identity in list(subject.identities):
        uow.session.delete(identity)
    subject.shredded_at = uow.clock.now()
    subject.groups = []
    record(
        uow,
        actor=actor,
        action=SUBJECT_SHREDDED,
        entity_type="subject",
        entity_id=subject.ref,
        subject_ref=subject.ref,
        details={"organisation": organisation, "reason": reason},
    )
