"""An approved package's rows as released: withheld rows left out, redactions applied,
and written as the ZIP's JSON and CSV entries (``access.assemble`` drives the passes).

Each pass streams the sealed staged part again (row by row) alongside the part's applied
redactions (one query in ``row_no`` order), so nothing grows with the rows but the names
given to the dataset's files.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from sqlalchemy import select

from dataward.access.models import APPLIED, AccessPackage, PackagePart, Redaction
from dataward.access.staging import FILES_FIELD, read_part
from dataward.csv_cells import safe_cell
from dataward.sources.models import Binding
from dataward.uow import UnitOfWork

REDACTED = "[redacted: third party]"
FROM_FIELD = "_from"
FILES_COLUMN = "files"


@dataclass
class DatasetParts:
    """One dataset's staged parts still released, with what its passes learn."""

    dataset: str
    parts: list[tuple[PackagePart, Binding]]
    withheld_rows: dict[str, set[int]]
    rows: int = 0
    files: dict[str, str] = field(default_factory=dict)
    """Staged file name -> its path in the ZIP."""
    missing: int = 0

    @property
    def several(self) -> bool:
        return len(self.parts) > 1


def any_redacted(uow: UnitOfWork, package: AccessPackage) -> bool:
    return (
        uow.session.scalar(
            select(Redaction.id)
            .where(Redaction.package_id == package.id, Redaction.state == APPLIED)
            .limit(1)
        )
        is not None
    )


def _redactions(uow: UnitOfWork, part: PackagePart) -> Iterator[tuple[int, str, int, int]]:
    query = (
        select(Redaction.row_no, Redaction.column, Redaction.start, Redaction.end)
        .where(Redaction.part_id == part.id, Redaction.state == APPLIED)
        .order_by(Redaction.row_no, Redaction.column, Redaction.start)
    )
    for found in uow.session.execute(query.execution_options(yield_per=2000)):
        yield int(found[0]), str(found[1]), int(found[2]), int(found[3])


def redact(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """``text`` with each span (start, end) replaced by ``REDACTED``; overlaps merged."""
    out: list[str] = []
    at = 0
    for start, end in sorted(spans):
        if start < at:  # overlaps the span just replaced: widen it, one marker
            at = max(at, end)
            continue
        out.append(text[at:start])
        out.append(REDACTED)
        at = end
    out.append(text[at:])
    return "".join(out)


def released(
    uow: UnitOfWork,
    package: AccessPackage,
    part: PackagePart,
    group: DatasetParts,
    root: Path | None,
) -> Iterator[dict[str, Any]]:
    """The part's rows in order, withheld ones left out, applied redactions applied."""
    skip = group.withheld_rows.get(part.id, set())
    spans = _redactions(uow, part)
    pending = next(spans, None)
    for row_no, row in enumerate(read_part(uow, package, part, root)):
        here: dict[str, list[tuple[int, int]]] = {}
        while pending is not None and pending[0] <= row_no:
            if pending[0] == row_no:
                here.setdefault(pending[1], []).append((pending[2], pending[3]))
            pending = next(spans, None)
        if row_no in skip:
            continue
        for column, marks in here.items():
            value = row.get(column)
            if isinstance(value, str):
                row[column] = redact(value, marks)
        yield row


def file_cell(group: DatasetParts) -> Any:
    def cell(entries: Sequence[Mapping[str, Any]]) -> list[str]:
        return [
            group.files[str(e["staged"])] if "staged" in e else f"{e.get('name')} (missing)"
            for e in entries
        ]

    return cell


def _out_row(row: dict[str, Any], group: DatasetParts, binding: Binding) -> dict[str, Any]:
    out = {FROM_FIELD: binding.table or binding.pattern} if group.several else {}
    for key, value in row.items():
        if key == FILES_FIELD:
            out[FILES_COLUMN] = file_cell(group)(value or [])
        else:
            out[key] = value
    return out


def _name_files(group: DatasetParts, row: Mapping[str, Any]) -> None:
    """Give each staged file of a released row its path in the ZIP (first pass only)."""
    taken = set(group.files.values())
    for entry in row.get(FILES_FIELD) or []:
        if "staged" not in entry:
            group.missing += 1
            continue
        name = PurePosixPath(str(entry.get("name") or entry["staged"])).name or "file"
        stem, dot, suffix = name.rpartition(".")
        if not dot:
            stem, suffix = name, ""
        candidate, n = f"files/{group.dataset}/{name}", 1
        while candidate in taken:
            n += 1
            candidate = f"files/{group.dataset}/{stem}-{n}{dot}{suffix}"
        group.files[str(entry["staged"])] = candidate
        taken.add(candidate)


def write_json(
    uow: UnitOfWork,
    package: AccessPackage,
    group: DatasetParts,
    out: IO[bytes],
    root: Path | None,
) -> None:
    out.write(b"[")
    first = True
    for part, binding in group.parts:
        for row in released(uow, package, part, group, root):
            _name_files(group, row)
            group.rows += 1
            out.write((b"\n" if first else b",\n") + _json(_out_row(row, group, binding)))
            first = False
    out.write(b"\n]\n")


def _json(row: Mapping[str, Any]) -> bytes:
    return json.dumps(row, ensure_ascii=False).encode("utf-8")


def _header(
    uow: UnitOfWork, package: AccessPackage, group: DatasetParts, root: Path | None
) -> list[str]:
    """The union of the parts' columns, in binding order (each part's first row says)."""
    columns: dict[str, None] = {FROM_FIELD: None} if group.several else {}
    files = False
    for part, _binding in group.parts:
        first = next(iter(read_part(uow, package, part, root)), None)
        if first is None:
            continue
        for key in first:
            if key == FILES_FIELD:
                files = True
            else:
                columns.setdefault(key, None)
    if files:
        columns.setdefault(FILES_COLUMN, None)
    return list(columns)


def write_csv(
    uow: UnitOfWork,
    package: AccessPackage,
    group: DatasetParts,
    out: IO[bytes],
    root: Path | None,
) -> None:
    header = _header(uow, package, group, root)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="", write_through=True)
    try:
        writer = csv.writer(text)
        writer.writerow([safe_cell(c) for c in header])
        for part, binding in group.parts:
            for row in released(uow, package, part, group, root):
                values = _out_row(row, group, binding)
                writer.writerow([_csv_cell(values.get(c)) for c in header])
    finally:
        text.detach()


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False)
    # Numbers stay numbers (a negative amount is no formula); text is made safe.
    return safe_cell(value) if isinstance(value, str) else value
