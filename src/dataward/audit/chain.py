"""How a row's hash is computed. Kept apart so ``verify`` and ``append`` cannot drift."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

GENESIS = "0" * 64


def canonical_time(moment: datetime) -> datetime:
    """UTC without tzinfo, microsecond precision: what both SQLite and PostgreSQL return."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def row_digest(
    *,
    seq: int,
    occurred_at: datetime,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    subject_ref: str | None,
    before_hash: str | None,
    after_hash: str | None,
    details: dict[str, Any],
    prev_hash: str,
) -> str:
    body = [
        seq,
        canonical_time(occurred_at).isoformat(timespec="microseconds"),
        actor,
        action,
        entity_type,
        entity_id,
        subject_ref,
        before_hash,
        after_hash,
        details,
        prev_hash,
    ]
    return hashlib.sha256(_ROW_ENCODER.encode(body).encode("utf-8")).hexdigest()


# What ``json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)``
# uses, built once: ``dumps`` with options builds an encoder per call, a fifth of the
# digest's time on a batch of 75,000 rows.
_ROW_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chained_digests(
    occurred_at: datetime, prev_hash: str, rows: Iterable[Sequence[Any]]
) -> list[str]:
    """``row_digest`` over many rows of one moment, each linked to the one before.

    Each row is (seq, actor, action, entity_type, entity_id, subject_ref, before_hash,
    after_hash, details_json) with ``details_json`` = ``canonical_json(details)``. The same
    bytes as ``row_digest`` hashes (a test holds the two together), with the moment
    rendered once: a batch of 75,000 spent a third of its hashing on the calls.
    """
    moment = canonical_time(occurred_at).isoformat(timespec="microseconds")
    encode, sha256 = _ROW_ENCODER.encode, hashlib.sha256
    digests = []
    for seq, actor, action, entity_type, entity_id, subject, before, after, details in rows:
        head = encode([seq, moment, actor, action, entity_type, entity_id, subject, before, after])
        prev_hash = sha256(f"{head[:-1]},{details},{encode(prev_hash)}]".encode()).hexdigest()
        digests.append(prev_hash)
    return digests


def canonical_json(value: Any) -> str:
    """``value`` as the row hash encodes it: sorted keys, no spaces, text as it is."""
    return _ROW_ENCODER.encode(value)


def state_hash(state: Any) -> str:
    """Hash of a before/after state; the chain keeps the hash, never the personal data."""
    encoded = json.dumps(state, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()
