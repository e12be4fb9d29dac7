"""Staff console: the audit log, filtered and paged, and its CSV export for an auditor.

Filters travel in the query string, so a filtered view can be bookmarked, reloaded and
exported as shown. The chain holds no personal data (pseudonymous refs, actors, actions and
ids), so neither does this page nor its export.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from dataward.accounts.permissions import Permission
from dataward.audit.listing import AuditFilter, LoggedEvent, iter_events, list_events
from dataward.csv_cells import safe_cell as _cell
from dataward.errors import ValidationFailed
from dataward.uow import UnitOfWork
from dataward.web.auth import app_uow, console, parse_day
from dataward.web.deps import get_uow
from dataward.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
AUDIT_READ = console(Permission.AUDIT_READ)
PAGE = 50
Text = Annotated[str, Query(max_length=200)]
CSV_COLUMNS = (
    "seq",
    "occurred_at_utc",
    "actor",
    "action",
    "entity_type",
    "entity_id",
    "subject_ref",
    "details",
    "prev_hash",
    "row_hash",
)


def _day(value: str, label: str) -> date | None:
    return parse_day(value, f"'{label}'") if value.strip() else None


def _filters(
    actor: str, action: str, subject: str, entity: str, since: str, until: str
) -> AuditFilter:
    return AuditFilter(
        actor=actor.strip() or None,
        action=action.strip() or None,
        subject_ref=subject.strip() or None,
        entity_id=entity.strip() or None,
        from_day=_day(since, "from"),
        to_day=_day(until, "to"),
    )


@router.get("/console/audit", name="audit_log", dependencies=[AUDIT_READ])
def audit_log(
    request: Request,
    uow: Uow,
    actor: Text = "",
    action: Text = "",
    subject: Text = "",
    entity: Text = "",
    since: Annotated[str, Query(alias="from", max_length=20)] = "",
    until: Annotated[str, Query(alias="to", max_length=20)] = "",
    before: Annotated[int | None, Query(ge=1)] = None,
) -> Response:
    shown = {
        "actor": actor,
        "action": action,
        "subject": subject,
        "entity": entity,
        "from": since,
        "to": until,
    }
    context: dict[str, object] = {"shown": shown, "page": None, "error": None, "query": ""}
    try:
        filters = _filters(actor, action, subject, entity, since, until)
    except ValidationFailed as error:
        # The query stays in the form, so the reader corrects it rather than retyping it.
        context["error"] = str(error)
        return render(request, "console/audit.html", context, status_code=error.http_status)
    context["page"] = list_events(uow, filters, before=before, limit=PAGE)
    context["query"] = request.url.query
    context["filtered"] = not filters.empty
    context["export_query"] = urlencode(
        [(k, v) for k, v in request.query_params.multi_items() if k != "before" and v]
    )
    return render(request, "console/audit.html", context)


def _csv_lines(events: Iterator[LoggedEvent]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for event in events:
        writer.writerow(
            [
                event.seq,
                event.occurred_at.isoformat(),
                _cell(event.actor),
                _cell(event.action),
                _cell(event.entity_type),
                _cell(event.entity_id),
                _cell(event.subject_ref),
                _cell(json.dumps(event.details, sort_keys=True)),
                event.prev_hash,
                event.row_hash,
            ]
        )
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


@router.get("/console/audit/export.csv", name="audit_export", dependencies=[AUDIT_READ])
def audit_export(
    request: Request,
    actor: Text = "",
    action: Text = "",
    subject: Text = "",
    entity: Text = "",
    since: Annotated[str, Query(alias="from", max_length=20)] = "",
    until: Annotated[str, Query(alias="to", max_length=20)] = "",
) -> Response:
    """Every matching row, oldest first, with both hashes so the file can be checked
    against the chain (and against signed heads) away from dataward."""
    filters = _filters(actor, action, subject, entity, since, until)
    today = request.app.state.clock.today().isoformat()

    def rows() -> Iterator[str]:
        # Its own read-only unit of work: the response streams after the route returns.
        with app_uow(request, read_only=True) as uow:
            yield from _csv_lines(iter_events(uow.session, filters))

    return StreamingResponse(
        rows(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="audit-log-{today}.csv"'},
    )
