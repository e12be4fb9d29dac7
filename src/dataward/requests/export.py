"""The request log an ICO audit asks for, as CSV: the console's download and the CLI's
``dataward request export`` both write it here, so the two can never drift apart.

Every request, oldest first, with its dates and outcome, and nothing about the requester
but whether they acted for someone (the requester's kind). Never commits.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlalchemy import select

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


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    return str(value)


def request_log(
    uow: UnitOfWork, organisation: str | None = None, within: Month | None = None
) -> Iterator[str]:
    """The CSV, header first, in chunks. ``within``: only requests received in that month."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    query = select(RightsRequest).order_by(RightsRequest.received_on, RightsRequest.ref)
    if organisation:
        query = query.where(RightsRequest.organisation == organisation)
    if within:
        query = query.where(RightsRequest.received_on.between(within.first, within.last))
    for row in uow.session.scalars(query):
        writer.writerow([_cell(getattr(row, name)) for name in CSV_COLUMNS])
        if buffer.tell() > CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
