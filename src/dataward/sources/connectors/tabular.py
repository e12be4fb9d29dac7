"""CSV and JSON files as sources: a folder, a glob per binding, rows streamed and filtered.

A file is read row by row (CSV through ``csv.DictReader``; JSON as a top-level array or as
JSON Lines, decoded one object at a time), so a large export never sits in memory whole.
Files have no indexes: every lookup reads the matching files once, filtering on the
identity (and relation) columns as it goes.

On a ``read_write`` connection, ``apply_changes`` erases: each file is rewritten row by row
to a temporary beside it and swapped in (``rewrite.py``), keeping its CSV header and line
ends, or its JSON shape (an array, or JSON Lines).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, ClassVar

from dataward.sources.connectors.base import (
    BATCH_SIZE,
    ColumnDescription,
    Description,
    FileDescription,
    IdentityValues,
    Row,
    RowChange,
    SourceMisfit,
    SourceUnavailable,
    TableDescription,
    TypeFamily,
    guard_write,
    identity_match,
    matches_together,
    relation_chain,
)
from dataward.sources.connectors.rewrite import (
    clear_leftovers,
    close_temp,
    discard,
    is_ours,
    locked,
    open_temp,
    replace_all,
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
    """Files under ``root`` matching ``pattern``, sorted; never outside the root, never
    dataward's own lock and temporary files."""
    return sorted(each_matching(root, pattern))


def each_matching(root: Path, pattern: str) -> Iterator[Path]:
    """``matching``, lazily and unsorted: a folder of a million recordings is never listed
    in memory (the retention plan reads every file of a pattern)."""
    for path in root.glob(pattern):
        if path.is_file() and path.resolve().is_relative_to(root) and not is_ours(path):
            yield path


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

    def rows(self, binding: Binding) -> Iterator[Row]:
        """Every row of the files the binding's pattern matches, one at a time."""
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
            first = next(self.rows(binding), None)
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
        columns: Collection[str] | None = None,  # a file is read whole: every column
    ) -> Iterator[Row]:
        belongs = subject_match(self.name, binding, root_keys, values)
        if belongs is None:
            return
        for row in self.rows(binding):
            if belongs(row):
                yield row

    def close(self) -> None:
        return None


def subject_match(
    connection: str, binding: Binding, root_keys: Collection[Any], values: IdentityValues
) -> Callable[[Row], bool] | None:
    """The test a file row passes when it is the subject's (None: nothing can pass it).

    Its ``subject`` relation's column holds one of ``root_keys`` (a binding without one: its
    key), or its identity columns match by ``identity_match``; values compared as text, as a
    CSV holds them. A row of a ``files`` binding is tested on its placeholders' values.
    """
    chain = relation_chain(binding.subject)
    if len(chain) > 1:
        raise SourceMisfit(f"connection {connection}: a file source follows one relation at most")
    via = chain[0].via if chain else binding.key
    keys = {str(k) for k in root_keys}
    match = identity_match(binding.identities, values)
    alone = [(names, {_text(v) for v in vals}) for names, vals in match.alone]
    together = [(names, {_text(v) for v in vals}) for names, vals in match.together]
    if not keys and not match:
        return None

    def belongs(row: Row) -> bool:
        if keys and str(row.get(via)) in keys:
            return True
        if any(_holds(row, names, texts) for names, texts in alone):
            return True
        return bool(together) and matches_together(
            [_holds(row, names, texts) for names, texts in together]
        )

    return belongs


def _holds(row: Row, names: tuple[str, ...], texts: Collection[Any]) -> bool:
    """Whether the row's columns hold one of the values (as text: a CSV holds text only)."""
    found = tuple(str(row.get(n)) for n in names)
    return (found[0] if len(found) == 1 else found) in texts


def _text(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(str(v) for v in value)
    return str(value)


# Writes (erasure, retention) ------------------------------------------------------------------
# A change's ``table`` is its binding's pattern. Every file of every change is rewritten to a
# temporary first (all of them locked), and only then are they swapped in: a failure while
# writing leaves every original as it was.

Edit = tuple[RowChange, set[str]]


def apply_changes(connector: TabularConnector, changes: Sequence[RowChange]) -> list[int]:
    """Apply the changes in order to the files their patterns match; the rows each touched.

    Rows are matched on their key as text (a CSV holds text only). Deleting drops the row;
    setting writes the new value (a CSV's null is the empty field; a JSON object's is
    ``null``; a JSON field the object lacks is not added). A file holding none of the keys
    is not rewritten. Refused on a read-only connection before any file is opened.
    """
    guard_write(connector.name, connector.read_only)
    wanted = [{str(k) for k in change.keys} for change in changes]
    per_file: dict[Path, list[int]] = {}
    for index, change in enumerate(changes):
        if not wanted[index]:
            continue
        for path in matching(connector.root, change.table):
            per_file.setdefault(path, []).append(index)
    touched = [0] * len(changes)
    written: list[tuple[Path, Path]] = []
    with locked(connector.name, per_file):
        try:
            for path, indexes in sorted(per_file.items()):
                clear_leftovers(path)
                edits = [(changes[i], wanted[i]) for i in indexes]
                temp, counts = _rewrite(connector, path, edits)
                if temp is not None:
                    written.append((temp, path))
                for index, count in zip(indexes, counts, strict=True):
                    touched[index] += count
        except BaseException:
            discard(temp for temp, _ in written)
            raise
        replace_all(written)
    return touched


def _rewrite(
    connector: TabularConnector, path: Path, edits: Sequence[Edit]
) -> tuple[Path | None, list[int]]:
    """The file rewritten to a temporary (None when no row changed) and each edit's count."""
    counts = [0] * len(edits)
    temp, handle = open_temp(path)
    try:
        with handle:
            if connector.kind == "csv":
                _rewrite_csv(connector, path, handle, edits, counts)
            else:
                _rewrite_json(path, handle, edits, counts)
            close_temp(handle)
    except BaseException:
        discard([temp])
        raise
    if not any(counts):
        discard([temp])
        return None, counts
    return temp, counts


def _rewrite_csv(
    connector: TabularConnector,
    path: Path,
    out: IO[str],
    edits: Sequence[Edit],
    counts: list[int],
) -> None:
    with path.open(encoding="utf-8", newline="") as source:
        newline = "\r\n" if source.readline().endswith("\r\n") else "\n"
        source.seek(0)
        reader = csv.reader(source)
        header = next(reader, None)
        if header is None:
            return
        position = {name: i for i, name in enumerate(header)}
        for change, _ in edits:
            for name in (change.key, *change.values):
                if name not in position:
                    raise SourceMisfit(
                        f"connection {connector.name}: {path.name} has no column {name}"
                    )
        writer = csv.writer(out, lineterminator=newline)
        writer.writerow(header)
        for record in reader:
            if _edit_record(record, position, edits, counts):
                writer.writerow(record)


def _edit_record(
    record: list[str], position: Mapping[str, int], edits: Sequence[Edit], counts: list[int]
) -> bool:
    """Apply the edits to one CSV record; False when it is deleted."""
    for number, (change, keys) in enumerate(edits):
        at = position[change.key]
        if at >= len(record) or record[at] not in keys:
            continue
        counts[number] += 1
        if change.delete:
            return False
        for name, value in change.values.items():
            column = position[name]
            if column < len(record):
                record[column] = "" if value is None else str(value)
    return True


def _rewrite_json(path: Path, out: IO[str], edits: Sequence[Edit], counts: list[int]) -> None:
    with path.open(encoding="utf-8") as source:
        start = source.read(CHUNK).lstrip()[:1]
    array = start == "["
    first = True
    if array:
        out.write("[")
    for row in read_json_objects(path):
        if not _edit_object(row, edits, counts):
            continue
        text = json.dumps(row, ensure_ascii=False)
        if array:
            out.write(("\n" if first else ",\n") + text)
        else:
            out.write(text + "\n")
        first = False
    if array:
        out.write("\n]\n")


def _edit_object(row: Row, edits: Sequence[Edit], counts: list[int]) -> bool:
    """Apply the edits to one JSON object; False when it is deleted."""
    for number, (change, keys) in enumerate(edits):
        if change.key not in row or str(row[change.key]) not in keys:
            continue
        counts[number] += 1
        if change.delete:
            return False
        for name, value in change.values.items():
            if name in row:
                row[name] = value
    return True
