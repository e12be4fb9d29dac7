"""Lint rules on lawful bases and the controller's own details."""

from __future__ import annotations

from collections.abc import Iterator

from dataward.register.lint import Hit, rule
from dataward.register.models import Register


@rule("DW001", "error", "Purpose without a lawful basis", "LAW-01")
def purpose_without_basis(register: Register) -> Iterator[Hit]:
    for i, purpose in enumerate(register.purposes):
        if not purpose.bases:
            yield Hit(("purposes", i), f"purpose {purpose.id!r} has no Art 6 basis")
