"""Which element kinds can carry which facts: the tables of docs/coverage.md, from the code.

The tables are generated from ``SECTION_KINDS`` and ``RULE_KINDS`` and from the register's
models (where each element kind sits), so the documentation cannot drift from what
``measure_coverage`` accepts; tests/unit/test_docs.py holds the page to them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from dataward.register.coverage import RULE_KINDS, SECTION_KINDS
from dataward.register.models import Element, Register


def element_homes(model: type[BaseModel] = Register) -> dict[str, list[str]]:
    """Element kind -> where such elements sit in a register (``recipients[]``), from the models."""
    homes: dict[str, list[str]] = defaultdict(list)

    def walk(cls: type[BaseModel], path: str, seen: frozenset[type[BaseModel]]) -> None:
        if issubclass(cls, Element) and path:
            homes[cls.kind].append(path)
        for name, info in cls.model_fields.items():
            for inner, many in _models_in(info.annotation, many=False):
                where = f"{path}.{name}" if path else name
                if inner not in seen:
                    walk(inner, where + ("[]" if many else ""), seen | {inner})

    walk(model, "", frozenset({model}))
    return dict(homes)


def _models_in(annotation: Any, *, many: bool) -> list[tuple[type[BaseModel], bool]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [(annotation, many)]
    inner_many = many or get_origin(annotation) in (list, tuple, set, frozenset)
    out: list[tuple[type[BaseModel], bool]] = []
    for arg in get_args(annotation):
        out.extend(_models_in(arg, many=inner_many))
    return out


def kinds_markdown() -> str:
    """The tables of docs/coverage.md: which element kinds can carry which facts."""
    lines = [
        "| fact section | element kinds that can carry its notice facts "
        "| of those, kinds that can carry its rule facts |",
        "| --- | --- | --- |",
    ]
    for section, kinds in SECTION_KINDS.items():
        rules = sorted(kinds & RULE_KINDS)
        lines.append(
            f"| `{section}` | {_codes(sorted(kinds))} | {_codes(rules) if rules else 'none'} |"
        )
    homes = element_homes()
    lines += [
        "",
        "| element kind | where in the register | fact sections it can carry | a rule? |",
        "| --- | --- | --- | --- |",
    ]
    for kind in sorted(homes):
        sections = [s for s, kinds in SECTION_KINDS.items() if kind in kinds]
        rule = "yes" if kind in RULE_KINDS else "no"
        carries = _codes(sections) if sections else "none"
        lines.append(f"| `{kind}` | {_codes(homes[kind])} | {carries} | {rule} |")
    return "\n".join(lines) + "\n"


def _codes(values: list[str]) -> str:
    return ", ".join(f"`{v}`" for v in values)
