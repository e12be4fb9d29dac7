"""Per-subject data keys and the blind index, inside a unit of work. Never commits."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence

from sqlalchemy import delete, select, text, update

from dataward.clock import Clock
from dataward.crypto.cipher import blind_digest, new_key, open_sealed, seal
from dataward.crypto.errors import RotationRefused, SubjectShredded
from dataward.crypto.keystore import (
    BlindIndexEntry,
    DataKey,
    KekCheck,
    Vault,
    kek_check,
    material_of,
    unwrap,
    wrap,
)
from dataward.crypto.secrets import KeyMaterial
from dataward.uow import UnitOfWork


def create_data_key(uow: UnitOfWork, organisation: str) -> str:
    return create_data_keys(uow, [organisation])[0]


def create_data_keys(uow: UnitOfWork, organisations: Sequence[str]) -> list[str]:
    """A new data key for each organisation named, in order, written in one flush."""
    material = material_of(uow)
    now = uow.clock.now()
    made: dict[str, bytes] = {}
    rows = []
    for organisation in organisations:
        key_id = str(uuid.uuid4())
        made[key_id] = new_key()
        rows.append(
            DataKey(
                key_id=key_id,
                organisation=organisation,
                wrapped=wrap(material, key_id, made[key_id]),
                kek_id=material.kek_id,
                created_at=now,
            )
        )
    uow.keys.add_all(rows)
    # Flush now: index rows reference the key, and the ORM orders inserts only by relationships.
    uow.keys.flush()
    uow.key_cache.update(made)
    return list(made)


def data_key(uow: UnitOfWork, key_id: str) -> bytes:
    cached = uow.key_cache.get(key_id)
    if cached is not None:
        return cached
    row = uow.keys.get(DataKey, key_id)
    if row is None:
        raise SubjectShredded("this subject's data key no longer exists")
    key = unwrap(material_of(uow), key_id, row.wrapped)
    uow.key_cache[key_id] = key
    return key


def encrypt_for(uow: UnitOfWork, key_id: str, plaintext: str, context: str) -> bytes:
    return seal(data_key(uow, key_id), plaintext.encode("utf-8"), context.encode("utf-8"))


def decrypt_for(uow: UnitOfWork, key_id: str, sealed: bytes, context: str) -> str:
    return open_sealed(data_key(uow, key_id), sealed, context.encode("utf-8")).decode("utf-8")


def index_digest(material: KeyMaterial, organisation: str, kind: str, value: str) -> str:
    return blind_digest(material.index_key, organisation, kind, value)


def add_index(
    uow: UnitOfWork, organisation: str, kind: str, value: str, key_id: str, identity_id: str
) -> None:
    uow.keys.add(
        BlindIndexEntry(
            organisation=organisation,
            kind=kind,
            digest=index_digest(material_of(uow), organisation, kind, value),
            key_id=key_id,
            identity_id=identity_id,
        )
    )


def lookup(uow: UnitOfWork, organisation: str, kind: str, value: str) -> list[str]:
    """Identity ids whose normalised value matches, through the blind index only."""
    digest = index_digest(material_of(uow), organisation, kind, value)
    uow.keys.flush()
    rows = uow.keys.scalars(
        select(BlindIndexEntry.identity_id).where(
            BlindIndexEntry.organisation == organisation,
            BlindIndexEntry.kind == kind,
            BlindIndexEntry.digest == digest,
        )
    )
    return list(rows)


def repoint_index(uow: UnitOfWork, identity_ids: Iterable[str], key_id: str) -> None:
    ids = list(identity_ids)
    if ids:
        uow.keys.execute(
            update(BlindIndexEntry)
            .where(BlindIndexEntry.identity_id.in_(ids))
            .values(key_id=key_id)
        )


def shred_key(uow: UnitOfWork, key_id: str) -> None:
    """Delete a data key and every index entry under it (crypto-shredding)."""
    shred_keys(uow, [key_id])


def shred_keys(uow: UnitOfWork, key_ids: Sequence[str]) -> None:
    """``shred_key`` for many keys in two statements (the retention sweeps' batches)."""
    ids = list(key_ids)
    if not ids:
        return
    uow.keys.execute(delete(BlindIndexEntry).where(BlindIndexEntry.key_id.in_(ids)))
    uow.keys.execute(delete(DataKey).where(DataKey.key_id.in_(ids)))
    for key_id in ids:
        uow.key_cache.pop(key_id, None)


def rotate_kek(vault: Vault, new: KeyMaterial, clock: Clock, batch: int = 1000) -> int:
    """Re-wrap every data key under ``new``'s KEK in one transaction; returns the count.

    The blind-index key is unchanged (rotating it would need every plaintext value).
    """
    if new.kek_id == vault.material.kek_id:
        raise RotationRefused("the new KEK needs a new id (--new-kek-id)")
    if new.kek in (vault.material.kek, new.index_key):
        raise RotationRefused("the new KEK must differ from the current KEK and the index key")
    count = 0
    with vault.session() as session:
        # Keep writers out until the commit: a key added behind the scan position would stay
        # wrapped under the old KEK and be unreadable once the new one is in use.
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("LOCK TABLE data_keys IN SHARE ROW EXCLUSIVE MODE"))
        else:
            session.execute(text("UPDATE kek_check SET kek_id = kek_id WHERE 0"))
        last = ""
        while True:
            rows = session.scalars(
                select(DataKey).where(DataKey.key_id > last).order_by(DataKey.key_id).limit(batch)
            ).all()
            if not rows:
                break
            for row in rows:
                key = unwrap(vault.material, row.key_id, row.wrapped)
                row.wrapped = wrap(new, row.key_id, key)
                row.kek_id = new.kek_id
            count += len(rows)
            last = rows[-1].key_id
            session.flush()
        session.execute(delete(KekCheck))
        session.add(kek_check(new, clock))
        session.commit()
    return count
