"""Staff console: the complaints queue (CMP-01), open by urgency or closed, filtered in SQL.

The filters live in the address (bookmarkable, paged), as on the request queue. The outcome
target shows only where the register states one; nothing is invented where it is silent.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from dataward.accounts.permissions import Permission
from dataward.complaints.queue import URGENCIES, ComplaintFilter, complaint_queue, urgency
from dataward.complaints.service import OPEN, THEMES, today_of
from dataward.publication.registers import list_organisations
from dataward.uow import UnitOfWork
from dataward.web.auth import console
from dataward.web.deps import get_uow
from dataward.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
READ = console(Permission.COMPLAINTS_READ)
PAGE = 50
Text = Annotated[str, Query(max_length=80)]


def _choice(value: str, allowed: tuple[str, ...]) -> str | None:
    return value if value in allowed else None


@router.get("/console/complaints", name="complaints_page", dependencies=[READ])
def complaints_page(
    request: Request,
    uow: Uow,
    org: Text = "",
    due: Text = "",
    state: Text = "",
    theme: Text = "",
    view: Text = "",
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Response:
    organisations = [row.organisation for row in list_organisations(uow)]
    closed = view == "closed"
    filters = ComplaintFilter(
        organisation=org if org in organisations else None,
        state=_choice(state, OPEN),
        urgency=_choice(due, URGENCIES),
        theme=_choice(theme, THEMES),
        closed=closed,
    )
    page = complaint_queue(uow, filters, offset=offset, limit=PAGE)
    today = today_of(uow)
    context = {
        "page": page,
        "today": today,
        "urgency": {row.id: urgency(row, today) for row in page.rows},
        "days_left": {row.id: (row.acknowledge_by - today).days for row in page.rows},
        "shown": {"org": org, "due": due, "state": state, "theme": theme, "view": view},
        "closed": closed,
        "organisations": organisations,
        "states": OPEN,
        "themes": THEMES,
        "urgencies": URGENCIES,
        "query": urlencode(
            [(k, v) for k, v in request.query_params.multi_items() if k != "offset" and v]
        ),
    }
    return render(request, "console/complaints.html", context)
