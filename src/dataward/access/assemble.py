"""Assemble an approved access package into one sealed ZIP (ACC-01..03), streaming.

The ZIP is written straight into ``staging.PACKAGE_FILE`` (sealed under the subject's
key, chunk by chunk), row by row, so a package of a million rows never sits in memory:

- ``data/<dataset>.json``: a JSON array of every row of the dataset's bindings;
- ``data/<dataset>.csv``: one CSV per dataset too. Its header is the union of its
  bindings' columns (a binding lacking a column leaves the cell empty); where a dataset
  has several bindings, a first column ``_from`` names the table each row came from (JSON
  rows carry the same key). Cells go through ``csv_cells.safe_cell`` (formula injection);
- ``files/<dataset>/<name>``: each staged file (a repeated name gets ``-2``, ``-3``...);
- ``pages/<dataset>.html``: the rows as tables, columns explained in plain words;
- ``index.html``: the cover letter (``access.cover_letter``) with the search record and
  what was withheld; ``cover-letter.pdf`` too where the pdf extra is installed.

Redactions still applied replace third parties' details with ``REDACTED``; withheld rows
and parts (and their files) are left out, their exemption named in the letter, never their
content. Then: size and SHA-256 of the ZIP, ``ready``, the expiry date, staged parts and
files removed, ``PACKAGE_READY``. Rerun after a kill it finishes the same package: a ZIP
complete under its final name (``SealedWriter`` renames only once closed) whose staged
parts are gone is taken as written. Never commits.
"""

from __future__ import annotations

import hashlib
import io
import logging
import zipfile
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import IO

from sqlalchemy import select

from dataward.access import audit_actions as actions
from dataward.access.cover_letter import CoverFacts, WithheldItem, cover_body
from dataward.access.errors import PackageNotFound, PackageRefused
from dataward.access.models import (
    APPROVED,
    PART_DONE,
    PORTABILITY,
    READY,
    WITHHELD,
    AccessPackage,
    PackagePart,
    Withholding,
)
from dataward.access.package_html import render_cover, write_dataset_page
from dataward.access.portable import portability_index
from dataward.access.released import (
    REDACTED,
    DatasetParts,
    any_redacted,
    file_cell,
    released,
    write_csv,
    write_json,
)
from dataward.access.search_record import search_record
from dataward.access.service import RIGHT_OF_KIND, audit_package, request_of
from dataward.access.staging import (
    PACKAGE_FILE,
    package_dir,
    part_name,
    read_file,
    write_file,
)
from dataward.clock import in_uk_time
from dataward.config import get_settings
from dataward.crypto.sealed_files import CHUNK, SealedWriter
from dataward.register.models import Register
from dataward.requests.models import RightsRequest
from dataward.requests.service import register_of
from dataward.requests.task_models import UNFINISHED
from dataward.requests.tasks import finish_task, tasks_of
from dataward.sources.models import SourcesFile
from dataward.sources.versions import sources_version
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork

ENTRY_BUFFER = 256 * 1024


class _ZipTarget:
    """What ``zipfile`` writes to: the sealed writer, hashing the plaintext on the way.
    Unseekable on purpose (``zipfile`` then writes data descriptors, never seeks back)."""

    def __init__(self, writer: SealedWriter) -> None:
        self.writer = writer
        self.digest = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes, /) -> int:
        chunk = bytes(data)
        self.writer.write(chunk)
        self.digest.update(chunk)
        self.size += len(chunk)
        return len(chunk)

    def flush(self) -> None:
        return None

    def close(self) -> None:
        return None  # the sealed writer is closed by its own ``with``


PACKAGE_TASK = "package"  # requests.task_plan: "Put the response together"


def assemble_package(
    uow: UnitOfWork, package_id: str, *, root: Path | None = None
) -> AccessPackage:
    package = uow.session.get(AccessPackage, package_id, with_for_update=True)
    if package is None:
        raise PackageNotFound(f"no access package {package_id[:40]!r}")
    if package.state == READY:
        _remove_staged(package, root)  # a rerun after the commit: only the clean-up is left
        return package
    if package.state != APPROVED:
        raise PackageRefused(f"the package is {package.state}: only an approved one is assembled")
    row = request_of(uow, package)
    register = register_of(uow, package.organisation)
    sources = sources_version(uow, package.organisation, package.sources_version).parsed().sources
    parts = list(
        uow.session.scalars(
            select(PackagePart)
            .where(PackagePart.package_id == package.id, PackagePart.state == PART_DONE)
            .order_by(PackagePart.dataset, PackagePart.binding)
        )
    )
    if _staged_complete(package, parts, root):
        size, digest = _write_zip(uow, package, register, sources, parts, root)
    elif (package_dir(package, root) / PACKAGE_FILE).is_file():
        size, digest = _measure(uow, package, root)
    else:
        raise PackageRefused("the package's staged parts are gone: build it again")
    now = uow.clock.now()
    package.size, package.sha256 = size, digest
    package.state, package.ready_at, package.updated_at = READY, now, now
    package.expires_at = now + timedelta(days=get_settings().access_package_keep_days)
    _remove_staged(package, root)
    audit_package(
        uow,
        package,
        actions.PACKAGE_READY,
        actor="worker",
        row=row,
        size=size,
        sha256=digest,
        rows=package.rows,
        expires=package.expires_at.isoformat(),
    )
    _response_put_together(uow, package, row)
    return package


def _response_put_together(uow: UnitOfWork, package: AccessPackage, row: RightsRequest) -> None:
    """The request's "put the response together" task for the right the package answers
    (access, or portability) is done: the package is.

    Until then the task is open, so the request cannot be answered while its package is
    built, reviewed or assembled (``requests.tasks.refuse_response_while_tasks_open``).
    """
    right = RIGHT_OF_KIND[package.kind]
    note = (
        f"{right.capitalize()} package assembled: {package.rows} rows, {package.files} files "
        f"(sources v{package.sources_version})."
    )
    for task in tasks_of(uow, row):
        if task.kind == PACKAGE_TASK and task.right == right and task.state in UNFINISHED:
            finish_task(uow, row.organisation, row.ref, task.id, note, actor="worker")


def _staged_complete(
    package: AccessPackage, parts: Sequence[PackagePart], root: Path | None
) -> bool:
    folder = package_dir(package, root)
    return all((folder / part_name(p)).is_file() for p in parts)


def _measure(uow: UnitOfWork, package: AccessPackage, root: Path | None) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    reader = read_file(uow, package, PACKAGE_FILE, root)
    while chunk := reader.read(CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


def _remove_staged(package: AccessPackage, root: Path | None) -> None:
    folder = package_dir(package, root)
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.name != PACKAGE_FILE and path.is_file():
            path.unlink(missing_ok=True)


def _withheld(uow: UnitOfWork, package: AccessPackage) -> list[Withholding]:
    return list(
        uow.session.scalars(
            select(Withholding).where(
                Withholding.package_id == package.id, Withholding.state == WITHHELD
            )
        )
    )


def _write_zip(
    uow: UnitOfWork,
    package: AccessPackage,
    register: Register,
    sources: SourcesFile,
    parts: Sequence[PackagePart],
    root: Path | None,
) -> tuple[int, str]:
    withheld = _withheld(uow, package)
    whole = {w.part_id for w in withheld if w.row_no is None}
    by_dataset: dict[str, DatasetParts] = {}
    for part in parts:
        group = by_dataset.setdefault(part.dataset, DatasetParts(part.dataset, [], {}))
        if part.id in whole:
            continue
        group.parts.append((part, sources.datasets[part.dataset][part.binding]))
        group.withheld_rows[part.id] = {
            w.row_no for w in withheld if w.part_id == part.id and w.row_no is not None
        }
    stamp = in_uk_time(uow.clock.now()).timetuple()[:6]
    with write_file(uow, package, PACKAGE_FILE, root) as writer:
        target = _ZipTarget(writer)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:

            def entry(name: str) -> IO[bytes]:
                info = zipfile.ZipInfo(name, date_time=stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                # Rows are small: buffered, zlib and the sealed writer see large writes.
                opened = archive.open(info, "w", force_zip64=True)
                return io.BufferedWriter(opened, ENTRY_BUFFER)

            portable = package.kind == PORTABILITY
            for group in by_dataset.values():
                if not any(part.rows for part, _binding in group.parts):
                    continue  # nothing found, or all of it withheld: no empty files
                with entry(f"data/{group.dataset}.json") as out:
                    write_json(uow, package, group, out, root)
                if group.rows == 0 and not group.files:
                    continue
                with entry(f"data/{group.dataset}.csv") as out:
                    write_csv(uow, package, group, out, root)
                if portable:
                    continue  # POR-01: the data, machine-readable; no pages, no files
                with entry(f"pages/{group.dataset}.html") as out:
                    write_dataset_page(
                        out,
                        register,
                        group.dataset,
                        [
                            (binding, released(uow, package, part, group, root))
                            for part, binding in group.parts
                        ],
                        file_cell(group),
                    )
                for staged, path in group.files.items():
                    source = read_file(uow, package, staged, root)
                    with entry(path) as out:
                        while chunk := source.read(CHUNK):
                            out.write(chunk)
            found = [d for d, g in by_dataset.items() if g.rows > 0 or g.files]
            if portable:
                index = portability_index(register, request_of(uow, package).ref, found)
                with entry("index.html") as out:
                    out.write(index.encode("utf-8"))
            else:
                _write_cover(uow, package, register, found, withheld, parts, entry)
    return target.size, target.digest.hexdigest()


def _write_cover(
    uow: UnitOfWork,
    package: AccessPackage,
    register: Register,
    found: Sequence[str],
    withheld: Sequence[Withholding],
    parts: Sequence[PackagePart],
    entry: Callable[[str], IO[bytes]],
) -> None:
    """An access package's cover letter (``index.html``), and its PDF where possible."""
    names = {d.id: d.name for d in register.datasets}
    record = search_record(uow, request_of(uow, package))
    subject = uow.session.get(Subject, package.subject_id)
    facts = CoverFacts(
        reference=request_of(uow, package).ref,
        found=list(found),
        groups=list(subject.groups or []) if subject is not None else [],
        record=record,
        withheld=_withheld_items(withheld, parts, names),
    )
    contents = [(d, names.get(d, d)) for d in found]
    html = render_cover(
        register,
        cover_body(register, facts),
        facts,
        contents,
        uow.clock.today(),
        redacted=any_redacted(uow, package),
        redacted_mark=REDACTED,
    )
    with entry("index.html") as out:
        out.write(html.encode("utf-8"))
    pdf = _pdf(html)
    if pdf is not None:
        with entry("cover-letter.pdf") as out:
            out.write(pdf)


def _pdf(html: str) -> bytes | None:
    """The cover letter as PDF where the pdf extra is installed; without it, none."""
    from dataward.notice.errors import PdfUnavailable
    from dataward.notice.pdf import load_weasyprint

    try:
        weasyprint = load_weasyprint()
    except PdfUnavailable:
        return None
    # Screen-only CSS (overflow, media queries) means nothing on paper: not worth a warning.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf


def _withheld_items(
    withheld: Sequence[Withholding], parts: Sequence[PackagePart], names: Mapping[str, str]
) -> list[WithheldItem]:
    """Per dataset and exemption, how many items: a whole part counts its rows."""
    by_id = {p.id: p for p in parts}
    counted: dict[tuple[str, str], int] = {}
    for item in withheld:
        part = by_id.get(item.part_id)
        if part is None:
            continue
        key = (names.get(part.dataset, part.dataset), item.exemption)
        counted[key] = counted.get(key, 0) + (part.rows if item.row_no is None else 1)
    return [WithheldItem(d, n, e) for (d, e), n in counted.items()]


__all__ = ["assemble_package"]
