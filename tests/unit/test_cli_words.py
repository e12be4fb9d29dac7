"""Counts in terminal output read as English (issue 15, item 7: "1 lint errors")."""

from __future__ import annotations

from dataward.cli.words import plural


def test_one_is_singular_and_every_other_count_plural() -> None:
    """Issue 15, item 7."""
    assert plural(1, "lint error") == "1 lint error"
    assert plural(0, "lint error") == "0 lint errors"
    assert plural(2, "row") == "2 rows"
    assert plural(3, "entry", "entries") == "3 entries"
    assert plural(1, "entry", "entries") == "1 entry"
