"""Third parties in free text (ACC-02): what a detector finds in one cell.

The build (``access.build``) streams each staged row through ``Detector.scan`` for the
binding's free-text columns and records each span found as a ``Redaction`` (an offset,
never the text). This module holds the recognisers; a span is applied when the package is
assembled unless a caseworker undid it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")


@dataclass(frozen=True, slots=True)
class Span:
    column: str
    start: int
    end: int
    kind: str


class Detector:
    """Finds third parties' details in a row's free-text cells.

    ``own`` are the subject's own identity values (never redacted from their own copy).
    """

    def __init__(self, own: Mapping[str, Sequence[str]] | None = None) -> None:
        self.own = {v.casefold() for values in (own or {}).values() for v in values}

    def scan(self, row: Mapping[str, Any], columns: Sequence[str]) -> list[Span]:
        found: list[Span] = []
        for column in columns:
            text = row.get(column)
            if not isinstance(text, str) or not text:
                continue
            for match in EMAIL.finditer(text):
                if match.group(0).casefold() not in self.own:
                    found.append(Span(column, match.start(), match.end(), "email"))
        return found
