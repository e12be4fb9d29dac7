"""CSV and JSON files as sources: a folder, a glob per binding, rows streamed and filtered.

A file is read row by row (CSV through ``csv.DictReader``; JSON as a top-level array or as
JSON Lines, decoded one object at a time), so a large export never sits in memory whole.
Files have no indexes: every lookup reads the matching files once, filtering on the
identity (and relation) columns as it goes.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, ClassVar

from dataward.sources.connectors.base import (
    BATCH_SIZE,
    ColumnDescription,
    Description,
    FileDescription,
    IdentityValues,
    Row,
    SourceMisfit,
    SourceUnavailable,
    TableDescription,
    TypeFamily,
    identity_columns,
    relation_chain,
)
from dataward.sources.models import Binding

CHUNK = 1 << 16


def folder_of(name: str, url: str) -> Path:
    """The root folder of a folder connection (a path, or a ``file://`` URL)."""
    path = Path(url.removeprefix("file://"))
    if not path.is_dir():
        raise SourceUnavailable(f"connection {name}: its folder does not exist")
    return path.resolve()


def matching(root: Path, pattern: str) -> list[Path]:
    """Files under ``root`` matching ``pattern``, sorted; never outside the root."""
    found = []
    for path in sorted(root.glob(pattern)):
        resolved = path.resolve()
        if path.is_file() and resolved.is_relative_to(root):
            found.append(path)
    return found


def _family(value: Any) -> TypeFamily:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "other"


def read_json_objects(path: Path) -> Iterator[Row]:
    """Objects of a JSON array (or JSON Lines) file, decoded one at a time."""
    decoder = json.JSONDecoder()
    with path.open(encoding="utf-8") as handle:
        buffer = ""
        started = False
        eof = False
        while True:
            stripped = buffer.lstrip()
            if not started and stripped.startswith("["):
                stripped = stripped[1:]
                started = True
            stripped = stripped.lstrip().lstrip(",").lstrip()
            if stripped.startswith("]"):
                return
            if stripped:
                try:
                    value, end = decoder.raw_decode(stripped)
                except json.JSONDecodeError:
                    if eof:
                        raise SourceMisfit(f"{path.name} is not a JSON array of objects") from None
                    value, end = None, -1
                if end >= 0 and (end < len(stripped) or eof):
                    if not isinstance(value, dict):
                        raise SourceMisfit(f"{path.name} holds a value that is not an object")
                    yield value
                    buffer = stripped[end:]
                    continue
            if eof:
                return
            chunk = handle.read(CHUNK)
            eof = not chunk
            buffer = stripped + chunk


class TabularConnector:
    """A folder of CSV or JSON files; each binding's ``pattern`` is a glob under it."""

    kinds: ClassVar[tuple[str, ...]] = ("csv", "json")

    def __init__(self, name: str, url: str, *, kind: str = "csv", read_only: bool = True) -> None:
        self.name = name
        self.kind = kind
        self.read_only = read_only
        self.root = folder_of(name, url)

    def _rows(self, binding: Binding) -> Iterator[Row]:
        if binding.pattern is None:
            raise SourceMisfit(f"connection {self.name}: a {self.kind} binding needs a pattern")
        for path in matching(self.root, binding.pattern):
            if self.kind == "csv":
                with path.open(encoding="utf-8", newline="") as handle:
                    yield from csv.DictReader(handle)
            else:
                yield from read_json_objects(path)

    def describe(self, bindings: Sequence[Binding] = ()) -> Description:
        tables: dict[str, TableDescription] = {}
        files: list[FileDescription] = []
        for binding in bindings:
            if binding.pattern is None:
                continue
            paths = matching(self.root, binding.pattern)
            files.extend(
                FileDescription(p.relative_to(self.root).as_posix(), p.stat().st_size)
                for p in paths
            )
            if not paths:
                continue
            first = next(self._rows(binding), None)
            columns: dict[str, ColumnDescription] = {}
            if first is not None:
                columns = {
                    k: ColumnDescription(
                        k,
                        "string" if self.kind == "csv" else _family(v),
                        "text" if self.kind == "csv" else type(v).__name__,
                    )
                    for k, v in first.items()
                }
            tables[binding.pattern] = TableDescription(binding.pattern, columns)
        return Description(tables=tables, files=tuple(files), root=str(self.root))

    def subject_keys(
        self, table: str, key: str, identities: Mapping[str, Any], values: IdentityValues
    ) -> set[Any]:
        raise SourceMisfit(
            f"connection {self.name}: a file source cannot be the root of another binding"
        )

    def rows_for(
        self,
        binding: Binding,
        root_keys: Collection[Any],
        values: IdentityValues,
        batch_size: int = BATCH_SIZE,
    ) -> Iterator[Row]:
        chain = relation_chain(binding.subject)
        if len(chain) > 1:
            raise SourceMisfit(
                f"connection {self.name}: a file source follows one relation at most"
            )
        via = chain[0].via if chain else binding.key
        keys = {str(k) for k in root_keys}
        wanted = [
            (names, {_text(v) for v in vals})
            for names, vals in identity_columns(binding.identities, values)
        ]
        if not keys and not wanted:
            return
        for row in self._rows(binding):
            if keys and str(row.get(via)) in keys:
                yield row
                continue
            for names, texts in wanted:
                found = tuple(str(row.get(n)) for n in names)
                if (found[0] if len(found) == 1 else found) in texts:
                    yield row
                    break

    def close(self) -> None:
        return None


def _text(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(str(v) for v in value)
    return str(value)
