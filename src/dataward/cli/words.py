"""Words for terminal output: a count with its noun, singular or plural ("1 lint error").

Kept here, free of imports, so every command can use it without slowing its start.
"""

from __future__ import annotations


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``count`` and its noun: 1 row, 2 rows; ``plural_form`` for irregular nouns."""
    noun = singular if count == 1 else (plural_form or singular + "s")
    return f"{count} {noun}"
