"""Search a verified request's subject in the organisation's own sources (issue 18, SAR-07).

For a request linked to a subject whose identity is proven: the subject's identities (its
own and those of every subject merged into it) are looked for across every dataset the
organisation's current stored sources file binds, a handful of set-based queries per source
(``sources.connectors.stream_subject``). Rows and files are counted per dataset, not kept
(packaging them is a later slice). Each bound dataset's open ``manual_search`` task is then
recorded as searched (``record_search``, the result sealed with the request); a dataset no
source binds keeps its open task, and the response still waits for it.

Everything is read before anything is written: a refusal (no subject, identity not proven,
no stored sources, a connection unavailable) changes nothing and adds nothing to the audit
chain. One ``request.sources_searched`` entry carries the per-dataset counts (dataset ids
and numbers only). Never commits.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from dataward.crypto.keyring import decrypt_for
from dataward.requests import audit_actions as actions
from dataward.requests.errors import TransitionRefused
from dataward.requests.models import RightsRequest
from dataward.requests.service import audit_request, get_request
from dataward.requests.task_models import UNFINISHED, RequestTask
from dataward.requests.tasks import record_search, tasks_of
from dataward.sources.connectors import open_all
from dataward.sources.connectors.base import Connector, Row, stream_subject
from dataward.sources.connectors.blobs import BlobConnector
from dataward.sources.models import Binding
from dataward.sources.versions import current_sources
from dataward.subjects.models import Subject
from dataward.subjects.service import identity_context, survivor
from dataward.uow import UnitOfWork

SEARCH_KIND = "manual_search"


class NoSubjectLinked(TransitionRefused):
    code = "request_no_subject"
    title = "The request has no subject linked"


class IdentityNotProven(TransitionRefused):
    code = "request_identity_not_proven"
    title = "The requester's identity is not proven"


class NothingToSearch(TransitionRefused):
    code = "request_nothing_to_search"
    title = "No open search of a bound dataset"


def verified_subject(uow: UnitOfWork, row: RightsRequest, before: str) -> Subject:
    """The living subject a request is about, once the requester's identity is proven: the
    record it was merged into, if any. ``before`` ends the refusal ("before searching").

    Searching, packaging, erasing or applying a right all need this; each refusal changes
    nothing."""
    if row.subject_id is None:
        raise NoSubjectLinked(f"request {row.ref} has no subject linked: link one first")
    if row.identity_verified_on is None:
        raise IdentityNotProven(f"request {row.ref}: verify the requester's identity {before}")
    subject = uow.session.get(Subject, row.subject_id)
    keep = survivor(uow, subject) if subject is not None else None
    if keep is None or keep.shredded_at is not None:
        raise NoSubjectLinked(f"request {row.ref}: its subject's record is gone")
    return keep


@dataclass
class DatasetCount:
    dataset: str
    rows: int = 0
    files: int = 0


@dataclass
class SourceSearch:
    """What one search found: counts per bound dataset, and the datasets left to do by hand."""

    ref: str
    version: int
    searched: dict[str, DatasetCount] = field(default_factory=dict)
    not_bound: list[str] = field(default_factory=list)
    tasks_done: int = 0

    def result_text(self, dataset: str) -> str:
        count = self.searched[dataset]
        rows = "row" if count.rows == 1 else "rows"
        files = "file" if count.files == 1 else "files"
        return (
            f"searched automatically in sources v{self.version}: "
            f"{count.rows} {rows}, {count.files} {files}"
        )


def subject_identities(uow: UnitOfWork, subject: Subject) -> dict[str, list[str]]:
    """The subject's identities decrypted, by kind: the survivor's, which hold those moved
    from every subject merged into it. Values stay inside this call's caller."""
    keep = survivor(uow, subject)
    values: dict[str, list[str]] = {}
    for identity in keep.identities:
        value = decrypt_for(
            uow, keep.key_id, identity.sealed, identity_context(keep.id, identity.kind)
        )
        found = values.setdefault(identity.kind, [])
        if value not in found:
            found.append(value)
    return values


def search_sources(
    uow: UnitOfWork,
    organisation: str,
    ref: str,
    *,
    actor: str,
    connectors: Mapping[str, Connector] | None = None,
    env: Mapping[str, str] | None = None,
) -> SourceSearch:
    """Search every bound dataset for the request's subject; record each search (SAR-07).

    ``connectors`` (by connection name) are used as given and left open; otherwise each
    connection is opened with its URL from ``env`` (default: the environment and settings)
    and closed afterwards.
    """
    row = get_request(uow, organisation, ref)
    if row.outcome is not None:
        raise TransitionRefused(f"the request is {row.state}: nothing more is searched for it")
    subject = verified_subject(uow, row, "before searching")
    stored = current_sources(uow, organisation)
    sources = stored.parsed().sources
    open_tasks = _open_searches(uow, row)
    bound = [d for d in open_tasks if d in sources.datasets]
    result = SourceSearch(row.ref, stored.version)
    result.not_bound = sorted(d for d in open_tasks if d not in sources.datasets)
    if not bound:
        raise NothingToSearch(f"request {row.ref} has no open search of a dataset a source binds")
    values = subject_identities(uow, subject)

    opened = dict(connectors) if connectors is not None else open_all(sources, env)
    try:
        for dataset in bound:
            result.searched[dataset] = DatasetCount(dataset)
        for part in stream_subject(sources, opened, values, datasets=set(bound)):
            count = result.searched[part.dataset]
            rows, files = _count(part.binding, part.rows, opened)
            count.rows += rows
            count.files += files
    finally:
        if connectors is None:
            for connector in opened.values():
                connector.close()

    # Everything read: now record. Each task's result is sealed with the request.
    result.tasks_done = record_searched(uow, row, stored.version, result.searched, actor=actor)
    audit_request(
        uow,
        row,
        actions.REQUEST_SOURCES_SEARCHED,
        actor=actor,
        sources_version=stored.version,
        datasets=",".join(
            f"{c.dataset}:{c.rows}:{c.files}" for c in sorted(result.searched.values(), key=_id)
        ),
        rows=sum(c.rows for c in result.searched.values()),
        files=sum(c.files for c in result.searched.values()),
        not_bound=",".join(result.not_bound),
        tasks_done=result.tasks_done,
    )
    return result


def record_searched(
    uow: UnitOfWork,
    row: RightsRequest,
    version: int,
    counts: Mapping[str, DatasetCount],
    *,
    actor: str,
) -> int:
    """Record each counted dataset's open ``manual_search`` tasks as searched automatically
    in sources ``version`` (SAR-07), the counts as the result; returns how many were done.

    Shared by a search on its own (``search_sources``) and an access package's build
    (``access.build``), so both leave the same record.
    """
    done = 0
    wording = SourceSearch(row.ref, version, searched=dict(counts))
    for dataset, tasks in _open_searches(uow, row).items():
        count = counts.get(dataset)
        if count is None:
            continue
        found = count.rows > 0 or count.files > 0
        for task in tasks:
            record_search(
                uow,
                row.organisation,
                row.ref,
                task.id,
                found,
                wording.result_text(dataset),
                actor=actor,
            )
            done += 1
    return done


def _id(count: DatasetCount) -> str:
    return count.dataset


def _open_searches(uow: UnitOfWork, row: RightsRequest) -> dict[str, list[RequestTask]]:
    """Unfinished ``manual_search`` tasks by dataset (several rights may each have one)."""
    found: dict[str, list[RequestTask]] = {}
    for task in tasks_of(uow, row):
        if task.kind == SEARCH_KIND and task.state in UNFINISHED and task.dataset:
            found.setdefault(task.dataset, []).append(task)
    return found


def _count(
    binding: Binding, rows: Iterator[Row], connectors: Mapping[str, Connector]
) -> tuple[int, int]:
    """Rows streamed and the files they name (those present), without keeping either."""
    ref = binding.files
    if ref is None:
        if isinstance(connectors.get(binding.connection), BlobConnector):
            # A files binding: each row is a file.
            total = sum(1 for _ in rows)
            return total, total
        return sum(1 for _ in rows), 0
    blobs = connectors.get(ref.connection or binding.connection)
    if not isinstance(blobs, BlobConnector):
        return sum(1 for _ in rows), 0
    counted = [0]

    def tally(stream: Iterator[Row]) -> Iterator[Row]:
        for item in stream:
            counted[0] += 1
            yield item

    files = sum(1 for f in blobs.files_for(tally(rows), ref) if _present(f))
    return counted[0], files


def _present(file: Mapping[str, Any]) -> bool:
    return file.get("size") is not None
