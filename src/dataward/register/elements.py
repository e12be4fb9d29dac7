"""Walk a register's elements: every typed thing that can express a notice fact."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from pydantic import BaseModel

from dataward.register.models import Element, Register

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class Located:
    path: PathKey
    element: Element

    @property
    def kind(self) -> str:
        return self.element.kind

    @property
    def anchor(self) -> str:
        """A stable HTML id for the element, derived from its path in the register."""
        return "el-" + "-".join(str(p) for p in self.path).replace("_", "-")


def says_anything(model: BaseModel) -> bool:
    """Whether the register states anything in ``model`` beyond the facts it claims.

    A section left out of a register is a model whose every field is silent (None or an
    empty list); the notice leaves such a section out rather than fill it with defaults.
    """
    for name in type(model).model_fields:
        if name == "facts":
            continue
        value = getattr(model, name)
        if value is None or (isinstance(value, list) and not value):
            continue
        if isinstance(value, BaseModel) and not says_anything(value):
            continue
        return True
    return False


def iter_elements(register: Register) -> Iterator[Located]:
    yield from _walk(register, ())


def _walk(model: BaseModel, path: PathKey) -> Iterator[Located]:
    if isinstance(model, Element):
        yield Located(path, model)
    for name in type(model).model_fields:
        value = getattr(model, name)
        if isinstance(value, BaseModel):
            yield from _walk(value, (*path, name))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from _walk(item, (*path, name, i))
