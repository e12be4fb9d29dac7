"""Build an access package: stage the subject's rows and files, part by part (ACC-01, ACC-02).

The worker's ``BUILD_JOB`` runs ``build_package`` once per part. The first run turns the
package from ``queued`` to ``building`` and plans a ``PackagePart`` for every binding of
every dataset the register declares in the sources version the package cites. Each run
then stages ONE pending part (its rows sealed as JSON lines, its files copied, sealed,
in chunks; each batch of rows scanned for third parties, every span a ``Redaction``), marks
it done and queues the next run, all in the job's own transaction. A worker killed
mid-part leaves nothing of that part behind but a ``.partial`` file, and the part is done
again; a package is never started twice (one per request, and a run finding the package
past ``building`` does nothing).

A source that cannot be read (down, a file gone between listing and copying) undoes the
part (a savepoint), names the connection on the package (``failed_source``,
``last_error``), audits the failure once per episode and queues a retry with a backoff.
When no part is left: ``review``, the search record written on the request's tasks, and
``PACKAGE_BUILT``. Never commits; no personal data leaves the sealed files.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from sqlalchemy import select, update

from dataward.access import audit_actions as actions
from dataward.access.errors import PackageNotFound
from dataward.access.models import (
    APPLIED,
    BUILDING,
    PART_DONE,
    PART_PENDING,
    PORTABILITY,
    QUEUED,
    REVIEW,
    AccessPackage,
    PackagePart,
    Redaction,
)
from dataward.access.portable import (
    keep_provided,
    portable_categories,
    portable_datasets,
    provided_columns,
)
from dataward.access.redaction import Detector, detector_for
from dataward.access.service import BUILD_JOB, audit_package, request_of
from dataward.access.staging import FILES_FIELD, write_file, write_part, write_row
from dataward.bulkwrite import insert_rows
from dataward.crypto.sealed_files import CHUNK, SealedWriter
from dataward.errors import DatawardError
from dataward.jobs.service import backoff, enqueue
from dataward.requests.models import RightsRequest
from dataward.requests.service import register_of
from dataward.requests.source_search import DatasetCount, record_searched, subject_identities
from dataward.sources.connectors import open_all
from dataward.sources.connectors.base import (
    Connector,
    Row,
    SourceUnavailable,
    stream_subject,
)
from dataward.sources.connectors.blobs import BlobConnector
from dataward.sources.models import Binding, SourcesFile
from dataward.sources.versions import sources_version
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork

WORKER = "worker"
FILE_UNREADABLE = "file_unreadable"
SCAN_BATCH = 500
CONNECTION_NAMED = re.compile(r"\bconnection ([A-Za-z0-9_]+)")
REDACTION_COLUMNS = (
    "id",
    "package_id",
    "part_id",
    "row_no",
    "column",
    "start",
    "end",
    "kind",
    "state",
)


class FileUnreadable(SourceUnavailable):
    """A file a row names was there when listed and could not be read when copied."""

    code = FILE_UNREADABLE
    title = "A file of a data source could not be read"


@dataclass(frozen=True)
class BuildStep:
    """What one run did: ``planned`` parts, the part ``built``, or the source that failed."""

    package: str
    state: str
    planned: int = 0
    built: str | None = None
    failed_source: str | None = None
    retry_in_seconds: float | None = None


def build_package(
    uow: UnitOfWork,
    package_id: str,
    *,
    connectors: Mapping[str, Connector] | None = None,
    env: Mapping[str, str] | None = None,
    root: Path | None = None,
    attempt: int = 0,
) -> BuildStep:
    """One step of the build: plan the parts (first run), stage one, or finish.

    ``connectors`` (by connection name) are used as given; otherwise each connection is
    opened with its URL from ``env`` (default: the environment and settings) and closed.
    ``attempt`` counts the retries after a failed source (their backoff grows with it).
    """
    package = uow.session.get(AccessPackage, package_id, with_for_update=True)
    if package is None:
        raise PackageNotFound(f"no access package {package_id[:40]!r}")
    if package.state not in (QUEUED, BUILDING):
        return BuildStep(package.id, package.state)  # built already: a stray run does nothing
    now = uow.clock.now()
    row = request_of(uow, package)
    sources = sources_version(uow, package.organisation, package.sources_version).parsed().sources
    if package.state == QUEUED:
        planned = _plan_parts(uow, package, sources)
        package.state, package.updated_at = BUILDING, now
        uow.session.flush()
        enqueue(uow, BUILD_JOB, {"package": package.id})
        return BuildStep(package.id, package.state, planned=planned)
    part = uow.session.scalars(
        select(PackagePart)
        .where(PackagePart.package_id == package.id, PackagePart.state == PART_PENDING)
        .order_by(PackagePart.dataset, PackagePart.binding)
        .limit(1)
    ).first()
    if part is None:
        _finish(uow, package, row)
        return BuildStep(package.id, package.state)
    # A statement that writes before the savepoint (even with the time unchanged): on
    # SQLite the savepoint then nests inside the job's transaction instead of opening
    # (and, released, committing) one of its own.
    uow.session.execute(
        update(AccessPackage).where(AccessPackage.id == package.id).values(updated_at=now)
    )
    savepoint = uow.session.begin_nested()
    try:
        _stage_part(uow, package, part, sources, connectors, env, root)
    except SourceUnavailable as error:
        savepoint.rollback()
        return _source_failed(uow, package, row, part, sources, error, attempt)
    except BaseException:
        savepoint.rollback()
        raise
    savepoint.commit()
    package.failed_source = package.last_error = None
    package.rows += part.rows
    package.files += part.files
    audit_package(
        uow,
        package,
        actions.PACKAGE_PART_BUILT,
        actor=WORKER,
        row=row,
        dataset=part.dataset,
        binding=part.binding,
        rows=part.rows,
        files=part.files,
        redactions=part.redactions,
    )
    enqueue(uow, BUILD_JOB, {"package": package.id})
    return BuildStep(package.id, package.state, built=part.id)


def _plan_parts(uow: UnitOfWork, package: AccessPackage, sources: SourcesFile) -> int:
    """A pending part per binding of every dataset that both the register and the sources
    version know; a binding of a dataset the register no longer declares is left out. A
    portability package plans only portable datasets' bindings with a provided column."""
    register = register_of(uow, package.organisation)
    declared = {d.id for d in register.datasets}
    portable = package.kind == PORTABILITY
    if portable:
        declared &= portable_datasets(register)
    categories = portable_categories(register)
    parts = [
        PackagePart(
            id=str(uuid.uuid4()),
            package_id=package.id,
            dataset=dataset,
            binding=index,
            state=PART_PENDING,
        )
        for dataset, bindings in sources.datasets.items()
        if dataset in declared
        for index, binding in enumerate(bindings)
        if not portable or provided_columns(binding, categories)
    ]
    uow.session.add_all(parts)
    return len(parts)


def _stage_part(
    uow: UnitOfWork,
    package: AccessPackage,
    part: PackagePart,
    sources: SourcesFile,
    connectors: Mapping[str, Connector] | None,
    env: Mapping[str, str] | None,
    root: Path | None,
) -> None:
    subject = uow.session.get(Subject, package.subject_id)
    if subject is None:  # pragma: no cover - a foreign key
        raise PackageNotFound("the package's subject is gone")
    values = subject_identities(uow, subject)
    opened = dict(connectors) if connectors is not None else open_all(sources, env)
    try:
        found = next(
            stream_subject(sources, opened, values, datasets={part.dataset}, binding=part.binding),
            None,
        )
        part.rows = part.files = part.redactions = 0
        with write_part(uow, package, part, root) as writer:
            if found is not None:
                _write_rows(
                    uow, package, part, found.binding, found.rows, opened, writer, values, root
                )
    finally:
        if connectors is None:
            for connector in opened.values():
                connector.close()
    part.state, part.done_at = PART_DONE, uow.clock.now()


def _write_rows(
    uow: UnitOfWork,
    package: AccessPackage,
    part: PackagePart,
    binding: Binding,
    rows: Iterator[Row],
    connectors: Mapping[str, Connector],
    writer: SealedWriter,
    values: Mapping[str, Sequence[str]],
    root: Path | None,
) -> None:
    keep: tuple[str, ...] | None = None
    if package.kind == PORTABILITY:
        keep = provided_columns(
            binding, portable_categories(register_of(uow, package.organisation))
        )
    free_text = [
        name
        for name, info in binding.columns.items()
        if info.free_text and (keep is None or name in keep)
    ]
    # Rows are scanned a batch at a time: the blind index answers a batch in one query.
    scanning = _Scanning(uow, package, part, free_text, detector_for(uow, package, values))
    # Portability carries columns only (``access.portable``): no files are copied.
    blobs, each_row_a_file = _blobs_of(binding, connectors) if keep is None else (None, False)
    for row_no, row in enumerate(rows):
        if keep is not None:
            row = keep_provided(row, keep)
        if blobs is not None:
            listed = [row] if each_row_a_file else list(_files_of(blobs, binding, row))
            row = {
                **row,
                FILES_FIELD: _stage_files(uow, package, part, blobs, row_no, listed, root),
            }
        write_row(writer, row)
        part.rows += 1
        if free_text:
            scanning.add(row_no, row)
    scanning.flush()


class _Scanning:
    """Rows waiting for the detector, and the redactions found waiting for their insert."""

    def __init__(
        self,
        uow: UnitOfWork,
        package: AccessPackage,
        part: PackagePart,
        columns: Sequence[str],
        detector: Detector,
    ) -> None:
        self.uow, self.package, self.part = uow, package, part
        self.columns, self.detector = columns, detector
        self.rows: list[tuple[int, Row]] = []

    def add(self, row_no: int, row: Row) -> None:
        self.rows.append((row_no, row))
        if len(self.rows) >= SCAN_BATCH:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        found = self.detector.scan_batch([row for _, row in self.rows], self.columns)
        redactions = [
            (
                str(uuid.uuid4()),
                self.package.id,
                self.part.id,
                row_no,
                span.column,
                span.start,
                span.end,
                span.kind,
                APPLIED,
            )
            for (row_no, _row), spans in zip(self.rows, found, strict=True)
            for span in spans
        ]
        self.rows.clear()
        _insert_redactions(self.uow, self.part, redactions)


def _insert_redactions(uow: UnitOfWork, part: PackagePart, pending: list[tuple[Any, ...]]) -> None:
    insert_rows(uow.session, Redaction.__table__, REDACTION_COLUMNS, pending)  # type: ignore[arg-type]
    part.redactions += len(pending)
    pending.clear()


def _blobs_of(
    binding: Binding, connectors: Mapping[str, Connector]
) -> tuple[BlobConnector | None, bool]:
    """The files connection a binding's rows name files in, and whether each row is a file."""
    if binding.files is None:
        own = connectors.get(binding.connection)
        return (own, True) if isinstance(own, BlobConnector) else (None, False)
    blobs = connectors.get(binding.files.connection or binding.connection)
    return (blobs, False) if isinstance(blobs, BlobConnector) else (None, False)


def _files_of(blobs: BlobConnector, binding: Binding, row: Row) -> Iterator[Row]:
    assert binding.files is not None
    return blobs.files_for([row], binding.files)


def _stage_files(
    uow: UnitOfWork,
    package: AccessPackage,
    part: PackagePart,
    blobs: BlobConnector,
    row_no: int,
    listed: Sequence[Row],
    root: Path | None,
) -> list[dict[str, Any]]:
    """Each file copied into a sealed staged file, streamed in chunks; a file the row names
    that is not there is noted as missing (the package says so rather than failing)."""
    entries: list[dict[str, Any]] = []
    for index, file in enumerate(listed):
        path = str(file["path"])
        name = PurePosixPath(path).name
        if file.get("size") is None:
            entries.append({"path": path, "name": name, "missing": True})
            continue
        staged = f"file-{part.dataset}-{part.binding}-{row_no}-{index}"
        try:
            with (
                open(blobs.root / path, "rb") as source,
                write_file(uow, package, staged, root) as target,
            ):
                while chunk := source.read(CHUNK):
                    target.write(chunk)
                size = target.plain_bytes
        except OSError:
            raise FileUnreadable(
                f"connection {blobs.name}: a file listed by a row could not be read"
            ) from None
        entries.append({"path": path, "name": name, "staged": staged, "size": size})
        part.files += 1
    return entries


def _source_failed(
    uow: UnitOfWork,
    package: AccessPackage,
    row: RightsRequest,
    part: PackagePart,
    sources: SourcesFile,
    error: SourceUnavailable,
    attempt: int,
) -> BuildStep:
    """The package stays ``building``, naming the source; a retry is queued with a backoff.

    Audited once per episode: a retry failing on the same source in the same way adds
    nothing to the chain.
    """
    connection = _connection_of(sources, part, error)
    code = error.code if isinstance(error, DatawardError) else "source_unavailable"
    uow.session.refresh(package)
    repeated = package.failed_source == connection and package.last_error == code
    package.failed_source, package.last_error = connection, code
    package.updated_at = uow.clock.now()
    if not repeated:
        audit_package(
            uow,
            package,
            actions.PACKAGE_SOURCE_FAILED,
            actor=WORKER,
            row=row,
            dataset=part.dataset,
            binding=part.binding,
            source=connection,
            error=code,
        )
    wait = backoff(attempt + 1)
    enqueue(
        uow,
        BUILD_JOB,
        {"package": package.id, "attempt": attempt + 1},
        due_at=uow.clock.now() + wait,
    )
    return BuildStep(
        package.id,
        package.state,
        failed_source=connection,
        retry_in_seconds=wait.total_seconds(),
    )


def _connection_of(sources: SourcesFile, part: PackagePart, error: SourceUnavailable) -> str:
    """The connection the error names (a relation or a file may reach another), else the
    part's own. Connectors' errors start "connection <name>:" and never quote a URL."""
    named = CONNECTION_NAMED.search(error.message)
    if named is not None and named.group(1) in sources.connections:
        return named.group(1)
    return sources.datasets[part.dataset][part.binding].connection


def _finish(uow: UnitOfWork, package: AccessPackage, row: RightsRequest) -> None:
    """Every part staged: to review, and each bound dataset's search recorded (SAR-07)."""
    parts = list(
        uow.session.scalars(select(PackagePart).where(PackagePart.package_id == package.id))
    )
    counts: dict[str, DatasetCount] = {}
    for part in parts:
        count = counts.setdefault(part.dataset, DatasetCount(part.dataset))
        count.rows += part.rows
        count.files += part.files
    now = uow.clock.now()
    tasks_done = 0
    if row.outcome is None:
        tasks_done = record_searched(uow, row, package.sources_version, counts, actor=WORKER)
    package.state, package.built_at, package.updated_at = REVIEW, now, now
    package.failed_source = package.last_error = None
    audit_package(
        uow,
        package,
        actions.PACKAGE_BUILT,
        actor=WORKER,
        row=row,
        parts=len(parts),
        rows=package.rows,
        files=package.files,
        redactions=sum(p.redactions for p in parts),
        tasks_done=tasks_done,
    )
