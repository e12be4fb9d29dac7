"""File blobs as sources: recordings, photos, scans. Paths and sizes, never contents.

Files are found two ways:

- through a path column of another binding's rows (``files: {column, folder}``):
  ``files_for(rows, ref)`` turns each row into the file it names;
- through a folder and a pattern (a ``files`` binding, or ``files: {folder, pattern}``),
  whose ``{name}`` placeholders are filled from a row or from identity values
  (``scans/{customer_ref}/*.pdf``).

A file is never opened here: whoever packages it streams it from the path given. A path
that would leave the connection's root (``..``, a symlink out) is refused.
"""

from __future__ import annotations

import fnmatch
import glob
import re
import string
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from dataward.sources.connectors.base import (
    BATCH_SIZE,
    IDENTIFYING_ALONE,
    Description,
    FileDescription,
    IdentityValues,
    Row,
    RowChange,
    SourceMisfit,
    guard_write,
    relation_chain,
)
from dataward.sources.connectors.tabular import each_matching, folder_of, matching
from dataward.sources.models import Binding, FileRef


def placeholders(pattern: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(pattern) if name]


def _fill(pattern: str, values: Mapping[str, Any]) -> str:
    # Values are escaped so that a customer reference cannot widen the glob.
    return pattern.format(**{k: glob.escape(str(v)) for k, v in values.items()})


class BlobConnector:
    """A folder of files; rows are ``{"path", "size"}`` (and the placeholders' values)."""

    kinds: ClassVar[tuple[str, ...]] = ("files",)

    def __init__(self, name: str, url: str, *, read_only: bool = True) -> None:
        self.name = name
        self.read_only = read_only
        self.root = folder_of(name, url)

    def _file(self, relative: str, **extra: Any) -> Row:
        path = (self.root / relative).resolve()
        if not path.is_relative_to(self.root):
            raise SourceMisfit(f"connection {self.name}: a file path leaves its folder")
        size = path.stat().st_size if path.is_file() else None
        return {"path": path.relative_to(self.root).as_posix(), "size": size, **extra}

    def describe(self, bindings: Sequence[Binding] = ()) -> Description:
        files: list[FileDescription] = []
        for binding in bindings:
            if binding.pattern is None:
                continue
            glob_pattern = binding.pattern.format(
                **dict.fromkeys(placeholders(binding.pattern), "*")
            )
            files.extend(
                FileDescription(p.relative_to(self.root).as_posix(), p.stat().st_size)
                for p in matching(self.root, glob_pattern)
            )
        return Description(files=tuple(files), root=str(self.root))

    def subject_keys(
        self, table: str, key: str, identities: Mapping[str, Any], values: IdentityValues
    ) -> set[Any]:
        raise SourceMisfit(
            f"connection {self.name}: a folder of files cannot be the root of another binding"
        )

    def rows_for(
        self,
        binding: Binding,
        root_keys: Collection[Any],
        values: IdentityValues,
        batch_size: int = BATCH_SIZE,
        columns: Collection[str] | None = None,  # a file is read whole: every column
    ) -> Iterator[Row]:
        """Files whose pattern placeholders take the subject's identity values or root keys."""
        if binding.pattern is None:
            raise SourceMisfit(f"connection {self.name}: a files binding needs a pattern")
        names = placeholders(binding.pattern)
        fills: list[dict[str, Any]] = []
        for kind, column in binding.identities.items():
            # A placeholder takes one value: only a kind that finds the person alone fills it.
            if kind in IDENTIFYING_ALONE and isinstance(column, str) and column in names:
                fills.extend({column: v} for v in values.get(kind, ()))
        chain = relation_chain(binding.subject)
        if len(chain) == 1 and chain[0].via in names:
            fills.extend({chain[0].via: k} for k in root_keys)
        seen: set[str] = set()
        for fill in fills:
            if set(fill) != set(names):
                continue
            for path in matching(self.root, _fill(binding.pattern, fill)):
                relative = path.relative_to(self.root).as_posix()
                if relative not in seen:
                    seen.add(relative)
                    yield {"path": relative, "size": path.stat().st_size, **fill}

    def exists(self, relative: str) -> bool:
        """True when a file is at ``relative`` under the root (never outside it)."""
        path = (self.root / relative).resolve()
        return path.is_relative_to(self.root) and path.is_file()

    def files_for(self, rows: Iterable[Row], ref: FileRef) -> Iterator[Row]:
        """The file (or files) each row names, as ``{"path", "size"}``; size None if gone."""
        folder = ref.folder or ""
        for row in rows:
            if ref.column is not None:
                value = row.get(ref.column)
                if value:
                    yield self._file(str(Path(folder) / str(value)))
            elif ref.pattern is not None:
                fill = {n: row.get(n) for n in placeholders(ref.pattern)}
                for path in matching(self.root / folder, _fill(ref.pattern, fill)):
                    yield self._file(path.relative_to(self.root).as_posix())

    def close(self) -> None:
        return None


def _path_pattern(pattern: str) -> re.Pattern[str]:
    """A regular expression reading a pattern's placeholders back out of a matched path:
    each ``{name}`` one path segment's text (shortest first), the glob around it as glob."""
    parts: list[str] = []
    for literal, name, _, _ in string.Formatter().parse(pattern):
        parts.append(fnmatch.translate(literal).removeprefix("(?s:").removesuffix(")\\Z"))
        if name:
            parts.append(f"(?P<{name}>[^/]+?)")
    return re.compile("".join(parts))


def every_file(
    connector: BlobConnector, binding: Binding, *, modified: bool = False
) -> Iterator[Row]:
    """Every file a ``files`` binding's pattern matches, as its row: ``path``, ``size``, the
    values its placeholders took (read back from the path) and, with ``modified``, its
    modification time (UTC). Lazily and in no order, never opening a file: the retention
    plan reads a whole folder a file at a time."""
    if binding.pattern is None:
        raise SourceMisfit(f"connection {connector.name}: a files binding needs a pattern")
    names = placeholders(binding.pattern)
    wild = binding.pattern.format(**dict.fromkeys(names, "*"))
    reader = _path_pattern(binding.pattern)
    for path in each_matching(connector.root, wild):
        relative = path.relative_to(connector.root).as_posix()
        found = reader.fullmatch(relative)
        status = path.stat()
        row: Row = {"path": relative, "size": status.st_size}
        row.update({n: None for n in names} if found is None else found.groupdict())
        if modified:
            row["modified"] = datetime.fromtimestamp(status.st_mtime, UTC)
        yield row


# Writes (erasure, retention) ------------------------------------------------------------------


def delete_files(connector: BlobConnector, paths: Iterable[str]) -> int:
    """Delete these files (relative to the root, never outside it); returns how many went.

    A file already gone counts for nothing: deleting again (a resumed run) is harmless.
    """
    guard_write(connector.name, connector.read_only)
    deleted = 0
    for relative in paths:
        path = (connector.root / relative).resolve()
        if not path.is_relative_to(connector.root) or not path.is_file():
            continue
        path.unlink()
        deleted += 1
    return deleted


def apply_changes(connector: BlobConnector, changes: Sequence[RowChange]) -> list[int]:
    """Erase rows of ``files`` bindings: a row is a file (keyed by its ``path``), so deleting
    the row deletes the file; a file cannot have a column set. The files each change deleted.
    """
    guard_write(connector.name, connector.read_only)
    for change in changes:
        if not change.delete or change.key != "path":
            raise SourceMisfit(
                f"connection {connector.name}: a file is deleted whole, by its path, or kept"
            )
    return [delete_files(connector, [str(k) for k in change.keys]) for change in changes]
