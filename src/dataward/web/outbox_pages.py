"""Staff console: the outbox, why each waiting message waits (its next try, a paused
campaign, the last error's kind), parked jobs with their errors, and campaign progress.

Shows pseudonymous refs, counts and reasons only: no address or message body appears here.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from dataward.accounts.permissions import Permission
from dataward.jobs.service import counts_by_state, parked_jobs
from dataward.notify.progress import campaign_progress, campaign_states
from dataward.outbox.service import outbox_counts, parked_messages, waiting_messages
from dataward.uow import UnitOfWork
from dataward.web.auth import console
from dataward.web.campaign_pages import uk_time
from dataward.web.deps import get_uow
from dataward.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]


@router.get(
    "/console/outbox", name="console_outbox", dependencies=[console(Permission.OUTBOX_READ)]
)
def outbox_page(request: Request, uow: Uow) -> Response:
    return render(
        request,
        "console_outbox.html",
        {
            "jobs": counts_by_state(uow.session),
            "messages": outbox_counts(uow),
            "parked_jobs": parked_jobs(uow.session),
            "parked_messages": parked_messages(uow),
            "campaigns": campaign_progress(uow),
            "waiting": waiting_messages(uow, campaign_states(uow)),
            "uk_time": uk_time,
        },
    )
