"""One batch line read on its own: nesting, strings the database cannot hold (issue 14, item 7)."""

from __future__ import annotations

import json

import pytest

from dataward.consent.batch import MAX_DEPTH, Defaults, parse_line
from dataward.consent.errors import BatchLineInvalid

DEFAULTS = Defaults("offers", "sms")


def _refused(raw: bytes | str) -> str:
    with pytest.raises(BatchLineInvalid) as caught:
        parse_line(raw, DEFAULTS)
    return caught.value.message


@pytest.mark.parametrize("opener", [b"[", b'{"a":'])
def test_a_line_nested_past_the_limit_is_refused_before_it_is_parsed(opener: bytes) -> None:
    """issue 14, item 7: 6 KB of brackets made json.loads raise RecursionError."""
    assert _refused(opener * (6000 // len(opener))) == f"line nests deeper than {MAX_DEPTH} levels"
    assert _refused(opener * (MAX_DEPTH + 1)) == f"line nests deeper than {MAX_DEPTH} levels"


def test_nesting_up_to_the_limit_is_parsed_and_judged_on_its_shape() -> None:
    assert _refused(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) == "line must be a JSON object"
    # Many brackets side by side nest one deep.
    assert _refused(b"[" + b"[]," * 100 + b"[]]") == "line must be a JSON object"


def test_brackets_inside_strings_do_not_count() -> None:
    """issue 14, item 7: a client's own id may hold brackets, quotes escaped or not."""
    line = json.dumps({"subject_ref": "s_1", "id": '\\"' + "[" * 90})
    ask, client_id = parse_line(line.encode(), DEFAULTS)
    assert ask.subject_ref == "s_1"
    assert client_id == '\\"' + "[" * 90


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (r'{"identity": {"kind": "name", "value": "\ud800"}}', "identity value"),
        (r'{"identity": {"kind": "email\udc00", "value": "a@b.uk"}}', "identity kind"),
        (r'{"subject_ref": "s_\u0000"}', "subject_ref"),
        (r'{"subject_ref": "s_1", "id": "\udfff"}', "id"),
        (r'{"subject_ref": "s_1", "purpose": "of\u0000fers"}', "purpose"),
    ],
)
def test_strings_the_database_cannot_hold_are_refused(line: str, field: str) -> None:
    """issue 14, item 7: an unpaired surrogate or a NUL failed the lookup of the whole
    chunk; now the line is refused with its own error."""
    assert _refused(line) == f"{field} holds NUL or an unpaired surrogate"
