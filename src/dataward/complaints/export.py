"""The complaints' log and the DPO's figures as CSV: one row per complaint, or per figure.

Nothing about the complainant: no name, contact detail, words or notes, not even whom they
act for; only refs, codes and dates (what an ICO audit asks of the handling, CMP-01). Every
cell goes through ``safe_cell``, so a value can never run as a spreadsheet formula.
Never commits.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from sqlalchemy import select

from dataward.complaints.figures import Figures, Period
from dataward.complaints.models import Complaint
from dataward.csv_cells import safe_cell
from dataward.uow import UnitOfWork

CSV_COLUMNS = (
    "ref",
    "organisation",
    "channel",
    "theme",
    "state",
    "received_on",
    "acknowledge_by",
    "acknowledged_on",
    "acknowledgement_late",
    "outcome_target_on",
    "closed_on",
    "outcome",
    "outcome_late",
    "request_refs",
)
FIGURE_COLUMNS = ("figure", "key", "value")
# Rows are handed on in pieces of about this size: a long log never sits whole in memory.
CHUNK = 64 * 1024


def _day(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


def acknowledgement_late(row: Any, today: date) -> str:
    """ "yes" when answered after ``acknowledge_by``, or not yet and it has passed (the same
    rule as ``figures.acknowledgement_state``)."""
    answered = row.acknowledged_on or row.closed_on
    if answered is not None:
        return "yes" if answered > row.acknowledge_by else "no"
    return "yes" if row.acknowledge_by < today else "no"


def outcome_late(row: Any, today: date) -> str:
    """Against the register's target: "" where there is none (or the complaint was
    withdrawn), "yes" when closed after it or still open past it."""
    target = row.outcome_target_on
    if target is None or row.outcome == "withdrawn":
        return ""
    if row.closed_on is not None:
        return "yes" if row.closed_on > target else "no"
    return "yes" if target < today else "no"


def _lines(rows: Iterable[list[str]], header: tuple[str, ...]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
        if buffer.tell() > CHUNK:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _log_rows(
    uow: UnitOfWork, organisation: str | None, period: Period | None, today: date
) -> Iterator[list[str]]:
    table = Complaint
    # Columns, not whole rows: the sealed complainant is never even read.
    query = select(
        table.ref,
        table.organisation,
        table.channel,
        table.theme,
        table.state,
        table.received_on,
        table.acknowledge_by,
        table.acknowledged_on,
        table.outcome_target_on,
        table.closed_on,
        table.outcome,
        table.request_refs,
    ).order_by(table.received_on, table.ref)
    if organisation:
        query = query.where(Complaint.organisation == organisation)
    if period is not None:
        query = query.where(Complaint.received_on.between(period.first, period.last))
    for row in uow.session.execute(query):
        yield [
            row.ref,
            row.organisation,
            row.channel,
            row.theme or "",
            row.state,
            _day(row.received_on),
            _day(row.acknowledge_by),
            _day(row.acknowledged_on),
            acknowledgement_late(row, today),
            _day(row.outcome_target_on),
            _day(row.closed_on),
            row.outcome or "",
            outcome_late(row, today),
            " ".join(row.request_refs or []),
        ]


def complaint_log(
    uow: UnitOfWork, organisation: str | None, period: Period | None, today: date
) -> Iterator[str]:
    """One row per complaint received in ``period`` (all when None), oldest first."""
    return _lines(_log_rows(uow, organisation, period, today), CSV_COLUMNS)


def figures_csv(result: Figures) -> Iterator[str]:
    """The figures the page shows, one (figure, key, value) row each."""
    return _lines(([a, b, c] for a, b, c in result.rows()), FIGURE_COLUMNS)
