"""The request log with every domain's columns, wired at the edge beside ``workers``.

``requests.export`` writes the log and knows no domain built on requests; each such domain
exports its ``LogColumns`` and this is the one place that hands them in, so the console's
download and ``dataward request export`` stay the same file.
"""

from __future__ import annotations

from collections.abc import Iterator

from dataward.erasure.export import ERASURE_LOG_COLUMNS
from dataward.requests.dashboard import Month
from dataward.requests.export import LogColumns, request_log
from dataward.uow import UnitOfWork

LOG_COLUMNS: tuple[LogColumns, ...] = (ERASURE_LOG_COLUMNS,)


def full_request_log(
    uow: UnitOfWork, organisation: str | None = None, within: Month | None = None
) -> Iterator[str]:
    """The request log as CSV chunks, with every domain's columns after the request's own."""
    return request_log(uow, organisation, within, LOG_COLUMNS)
