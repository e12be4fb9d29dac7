"""DW900: every ``unspecified`` value, so a DPO sees each gap the notice leaves."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel

from dataward.register.lint import Hit, PathKey, rule
from dataward.register.models import Register, Unspecified


def iter_unspecified(model: BaseModel, path: PathKey = ()) -> Iterator[tuple[PathKey, Unspecified]]:
    """Every ``Unspecified`` in a model tree, depth first, in field order."""
    for name in type(model).model_fields:
        yield from _values(getattr(model, name), (*path, name))


def _values(value: object, path: PathKey) -> Iterator[tuple[PathKey, Unspecified]]:
    if isinstance(value, Unspecified):
        yield path, value
    elif isinstance(value, BaseModel):
        yield from iter_unspecified(value, path)
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _values(item, (*path, i))


# RULES: NTC-01 (a notice that is silent on a required item is incomplete)
@rule(
    "DW900",
    "warning",
    "Unspecified value: the notice is silent or contradicts itself",
    "NTC-01",
)
def unspecified_values(register: Register) -> Iterator[Hit]:
    for path, value in iter_unspecified(register):
        yield Hit(
            path,
            f"unspecified: {value.unspecified}; ask the DPO and record the value the "
            "organisation actually uses",
        )
