"""The request log an ICO audit asks for, as CSV: the console's download and the CLI's
``dataward request export`` both write it here, so the two can never drift apart.

Every request, oldest first, with its dates and outcome, and nothing about the requester
but whether they acted for someone (the requester's kind). Domains that build on requests
(erasure) add their columns through ``LogColumns``, handed in by the wiring
(``dataward.request_logs``): this module never imports them. Never commits.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Select, select, tuple_

from dataward.requests.dashboard import Month
from dataward.requests.models import RightsRequest
from dataward.uow import UnitOfWork

CSV_COLUMNS = (
    "ref",
    "organisation",
    "rights",
    "not_offered",
    "channel",
    "requester_kind",
    "received_on",
    "clock_starts_on",
    "paused_days",
    "extended",
    "due_on",
    "identity_verified_on",
    "state",
    "outcome",
    "assignee",
)
# Rows are handed on in pieces of about this size: a long log never sits whole in memory.
CHUNK = 64 * 1024
# Requests read at a time, so added columns are fetched a batch at a time, not per row.
BATCH = 500


@dataclass(frozen=True)
class LogColumns:
    """Columns a domain built on requests adds to the log: their names, and the cells for a
    batch of requests (request id -> one value per name; a request left out: empty cells)."""

    names: tuple[str, ...]
    cells: Callable[[UnitOfWork, Sequence[RightsRequest]], Mapping[str, Sequence[object]]]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def _batches(uow: UnitOfWork, query: Select[tuple[RightsRequest]]) -> Iterator[list[RightsRequest]]:
    """The requests a batch at a time, by key (no cursor stays open across batches, so the
    added columns' own queries can run between them on either backend)."""
    last: tuple[object, str] | None = None
    while True:
        page = query
        if last is not None:
            page = page.where(tuple_(RightsRequest.received_on, RightsRequest.ref) > last)
        batch = list(uow.session.scalars(page.limit(BATCH)))
        if not batch:
            return
        yield batch
        last = (batch[-1].received_on, batch[-1].ref)


def request_log(
    uow: UnitOfWork,
    organisation: str | None = None,
    within: Month | None = None,
    extra: Sequence[LogColumns] = (),
) -> Iterator[str]:
    """The CSV, header first, in chunks. ``within``: only requests received in that month;
    ``extra``: the columns other domains add, after the request's own."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([*CSV_COLUMNS, *(name for added in extra for name in added.names)])
    query = select(RightsRequest).order_by(RightsRequest.received_on, RightsRequest.ref)
    if organisation:
        query = query.where(RightsRequest.organisation == organisation)
    if within:
        query = query.where(RightsRequest.received_on.between(within.first, within.last))
    for batch in _batches(uow, query):
        added = [(columns, columns.cells(uow, batch)) for columns in extra]
        for row in batch:
            cells = [_cell(getattr(row, name)) for name in CSV_COLUMNS]
            for columns, found in added:
                values = found.get(row.id, ())
                cells += [_cell(v) for v in values] or [""] * len(columns.names)
            writer.writerow(cells)
        if buffer.tell() > CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
