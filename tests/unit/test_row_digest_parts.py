"""``chained_digests`` (``record_many``'s batch hashing) gives ``row_digest``'s hashes.

``record_many`` encodes each row's details once (``canonical_json``), hashes the batch with
that text and stores it; ``verify`` hashes every row from its parsed details with
``row_digest``. The two must agree on every kind of detail, or a batch-written chain would
not verify.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dataward.audit.chain import GENESIS, canonical_json, chained_digests, row_digest

DETAILS: list[dict[str, Any]] = [
    {},
    {"organisation": "corner_shop", "from": "2026-12-01", "to": "2026-12-02"},
    {"b": 1, "a": True, "c": None},  # keys out of order: sorted in both
    {"name": 'Siân "O\'Brien"\tŁódź\\ — ✓', "z": -3},
    {"nested": {"y": [1, "x", None], "x": {"k": False}}},
]
AT = datetime(2026, 12, 4, 9, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize("subject_ref", [None, "s_1"])
def test_a_batch_hashes_as_row_digest_does_row_by_row(subject_ref: str | None) -> None:
    rows = [
        (seq, "user:ü", "request.due_moved", "request", f"q_{seq}", subject_ref, None, "a" * 64)
        for seq in range(1, len(DETAILS) + 1)
    ]
    batch = chained_digests(
        AT, GENESIS, [(*row, canonical_json(d)) for row, d in zip(rows, DETAILS, strict=True)]
    )
    expected, prev = [], GENESIS
    for (seq, actor, action, kind, entity, subject, before, after), details in zip(
        rows, DETAILS, strict=True
    ):
        prev = row_digest(
            seq=seq,
            occurred_at=AT,
            actor=actor,
            action=action,
            entity_type=kind,
            entity_id=entity,
            subject_ref=subject,
            before_hash=before,
            after_hash=after,
            details=details,
            prev_hash=prev,
        )
        expected.append(prev)
    assert batch == expected
    assert len(set(batch)) == len(batch)


def test_other_details_text_gives_another_hash() -> None:
    row = (1, "a", "b", "c", "d", None, None, None)
    assert chained_digests(AT, GENESIS, [(*row, '{"a":1}')]) != chained_digests(
        AT, GENESIS, [(*row, '{"a":2}')]
    )


def test_canonical_json_sorts_keys_and_keeps_text() -> None:
    assert canonical_json({"b": "é", "a": [1, None]}) == '{"a":[1,null],"b":"é"}'
