"""``row_digest`` with the details encoded already gives the same hash as without.

``record_many`` encodes a row's details once (``canonical_json``), hashes with that text and
stores it; ``verify`` hashes the parsed details from scratch. The two must agree on every
kind of detail, or a batch-written chain would not verify.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from dataward.audit.chain import GENESIS, canonical_json, row_digest

DETAILS: list[dict[str, Any]] = [
    {},
    {"organisation": "corner_shop", "from": "2026-12-01", "to": "2026-12-02"},
    {"b": 1, "a": True, "c": None},  # keys out of order: sorted in both
    {"name": 'Siân "O\'Brien"\tŁódź\\ — ✓', "z": -3},
    {"nested": {"y": [1, "x", None], "x": {"k": False}}},
]


@pytest.mark.parametrize("details", DETAILS)
@pytest.mark.parametrize("subject_ref", [None, "s_1"])
def test_the_hash_is_the_same_with_the_details_encoded_first(
    details: dict[str, Any], subject_ref: str | None
) -> None:
    fields: dict[str, Any] = {
        "seq": 7,
        "occurred_at": datetime(2026, 12, 4, 9, 0, 0, 123456, tzinfo=UTC),
        "actor": "user:ü",
        "action": "request.due_moved",
        "entity_type": "request",
        "entity_id": "q_1",
        "subject_ref": subject_ref,
        "before_hash": None,
        "after_hash": "a" * 64,
        "details": details,
        "prev_hash": GENESIS,
    }
    whole = row_digest(**fields)
    assert row_digest(**fields, details_json=canonical_json(details)) == whole
    # And the text is the details, so the stored row reads back as they were.
    assert canonical_json(details) == canonical_json(dict(reversed(list(details.items()))))


def test_other_details_text_gives_another_hash() -> None:
    fields: dict[str, Any] = {
        "seq": 1,
        "occurred_at": datetime(2026, 12, 4, 9, 0, tzinfo=UTC),
        "actor": "a",
        "action": "b",
        "entity_type": "c",
        "entity_id": "d",
        "subject_ref": None,
        "before_hash": None,
        "after_hash": None,
        "details": {"a": 1},
        "prev_hash": GENESIS,
    }
    assert row_digest(**fields, details_json='{"a":2}') != row_digest(**fields)
