"""The search record of a request (SAR-07): every dataset of the register, searched or not.

A dataset is searched automatically when the request's access package staged its bindings
(the sources version, rows, files, when), or when a search of the sources recorded its
task; by hand when a caseworker recorded the task's result. It is not searched while its
task is open, or when the DPO recorded why a search is not reasonable and proportionate
(the reason is the controller's defence, so it is shown). Used by the package's cover
letter and the console's package page. Reads only; never commits.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select

from dataward.access.models import PART_DONE, PackagePart
from dataward.access.service import package_of
from dataward.requests.models import RightsRequest
from dataward.requests.service import register_of
from dataward.requests.source_search import SEARCH_KIND
from dataward.requests.task_models import RequestTask
from dataward.requests.tasks import reason_of, result_of, tasks_of
from dataward.uow import UnitOfWork

AUTOMATIC = "automatic"
BY_HAND = "by_hand"
OPEN = "open"
NOT_REASONABLE = "not_reasonable"


@dataclass(frozen=True)
class DatasetSearch:
    """One dataset of the register in the record: ``how`` it was searched, or why not.

    ``how``: ``automatic`` (``sources_version``, ``rows``, ``files``, ``when``),
    ``by_hand`` (``found``, ``result`` in the caseworker's words, ``when``), ``open`` (not
    searched yet) or ``not_reasonable`` (``reason``, the DPO's). ``by``: who recorded a
    search by hand or set one aside (the console shows it; the letter does not).
    """

    dataset: str
    name: str
    how: str
    sources_version: int | None = None
    rows: int | None = None
    files: int | None = None
    found: bool | None = None
    result: str | None = None
    reason: str | None = None
    when: datetime | None = None
    by: str | None = None

    @property
    def searched(self) -> bool:
        return self.how in (AUTOMATIC, BY_HAND)


def search_record(uow: UnitOfWork, row: RightsRequest) -> list[DatasetSearch]:
    """Every dataset the register declares, in register order, with its search."""
    register = register_of(uow, row.organisation)
    staged = _staged(uow, row)
    tasks: dict[str, list[RequestTask]] = {}
    for task in tasks_of(uow, row):
        if task.kind == SEARCH_KIND and task.dataset:
            tasks.setdefault(task.dataset, []).append(task)
    record: list[DatasetSearch] = []
    for dataset in register.datasets:
        if dataset.id in staged:
            record.append(replace(staged[dataset.id], name=dataset.name))
        else:
            record.append(_by_task(uow, row, dataset.id, dataset.name, tasks.get(dataset.id, [])))
    return record


def _staged(uow: UnitOfWork, row: RightsRequest) -> dict[str, DatasetSearch]:
    """Datasets whose every binding the package staged (a build still running is not a
    search done)."""
    package = package_of(uow, row)
    if package is None:
        return {}
    parts = uow.session.scalars(
        select(PackagePart).where(PackagePart.package_id == package.id)
    ).all()
    by_dataset: dict[str, list[PackagePart]] = {}
    for part in parts:
        by_dataset.setdefault(part.dataset, []).append(part)
    found: dict[str, DatasetSearch] = {}
    for dataset, group in by_dataset.items():
        if any(p.state != PART_DONE for p in group):
            continue
        rows = sum(p.rows for p in group)
        files = sum(p.files for p in group)
        when = max((p.done_at for p in group if p.done_at is not None), default=None)
        found[dataset] = DatasetSearch(
            dataset,
            dataset,
            AUTOMATIC,
            sources_version=package.sources_version,
            rows=rows,
            files=files,
            found=rows + files > 0,
            when=when,
        )
    return found


def _by_task(
    uow: UnitOfWork, row: RightsRequest, dataset: str, name: str, tasks: list[RequestTask]
) -> DatasetSearch:
    """From the dataset's search tasks (one per right asked): a done one first, then a
    set-aside one with the DPO's reason, else open."""
    done = [t for t in tasks if t.state == "done"]
    if done:
        task = max(done, key=lambda t: t.done_at or t.updated_at)
        return DatasetSearch(
            dataset,
            name,
            BY_HAND,
            found=task.found,
            result=result_of(uow, row, task),
            when=task.done_at,
            by=task.done_by,
        )
    set_aside = [t for t in tasks if t.state == "not_needed"]
    if set_aside:
        task = set_aside[0]
        return DatasetSearch(
            dataset,
            name,
            NOT_REASONABLE,
            reason=reason_of(uow, row, task),
            when=task.done_at,
            by=task.done_by,
        )
    return DatasetSearch(dataset, name, OPEN)
