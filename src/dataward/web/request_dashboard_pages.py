"""Staff console: the DPO's dashboard of a month's rights requests (issue 16).

Counts only: no requester's detail appears, so it reads ``requests:read`` like the queue.
The month and the organisation live in the address (bookmarkable); a month typed wrong is
said so, and the current month is shown instead.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from dataward.accounts.permissions import Permission
from dataward.errors import DatawardError
from dataward.publication.registers import list_organisations
from dataward.requests.dashboard import OUTCOMES, month_summary, parse_month, uk_today
from dataward.uow import UnitOfWork
from dataward.web.auth import console
from dataward.web.deps import get_uow
from dataward.web.flash import error_text, flash_now
from dataward.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
READ = console(Permission.REQUESTS_READ)
Text = Annotated[str, Query(max_length=80)]


@router.get("/console/requests/dashboard", name="requests_dashboard", dependencies=[READ])
def requests_dashboard(request: Request, uow: Uow, org: Text = "", month: Text = "") -> Response:
    organisations = [row.organisation for row in list_organisations(uow)]
    today = uk_today(uow)
    try:
        chosen = parse_month(month.strip(), today)
    except DatawardError as error:
        flash_now(request, "error", error_text(error))
        chosen = parse_month("", today)
    organisation = org if org in organisations else None
    context = {
        "summary": month_summary(uow, chosen, organisation),
        "organisations": organisations,
        "org": organisation or "",
        "outcomes": OUTCOMES,
    }
    return render(request, "console/request_dashboard.html", context)
