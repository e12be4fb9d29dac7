"""Strict register loading: YAML nodes with marks, then pydantic, then references.

Every problem found is reported at once as ``FILE:LINE:COL: field.path: message`` so an
author fixes a register in one pass. Nothing here raises anything but ``RegisterInvalid``
for bad input (unreadable, non-UTF-8, oversized, alias bombs, duplicates, wrong types).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from dataward.config import get_settings
from dataward.errors import RegisterInvalid, SourceProblem
from dataward.marked_yaml import (
    Mark,
    PathKey,
    dotted,
    nearest_mark,
    read_text,
    validate_marked,
)
from dataward.register.models import Register
from dataward.register.references import check_references


@dataclass(frozen=True)
class LoadedRegister:
    register: Register
    source_text: str
    content_hash: str
    file: str
    marks: dict[PathKey, Mark]

    def line_of(self, path: PathKey) -> Mark:
        return nearest_mark(self.marks, path)


def read_register_text(path: Path) -> str:
    """Read a register file with the size cap and UTF-8 check; problems are RegisterInvalid."""
    return read_text(path, get_settings().register_max_bytes, RegisterInvalid)


def load_register(path: Path) -> LoadedRegister:
    return parse_register(read_register_text(path), str(path))


def parse_register(text: str, file: str = "<register>") -> LoadedRegister:
    settings = get_settings()
    marked = validate_marked(
        text,
        file,
        Register,
        max_bytes=settings.register_max_bytes,
        max_nodes=settings.register_max_nodes,
        what="register",
        invalid=RegisterInvalid,
    )
    register, problems = marked.model, marked.problems
    if register is not None:
        for ref_path, message in check_references(register):
            line, col = nearest_mark(marked.marks, ref_path)
            problems.append(SourceProblem(file, line, col, dotted(ref_path), message))
    if problems or register is None:
        problems.sort(key=lambda p: (p.line, p.column, p.path))
        raise RegisterInvalid(problems)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return LoadedRegister(register, text, digest, file, marked.marks)
