"""Console: notice-change campaigns, and a person's decision on each (issue 14, item 9).

Every campaign is shown truthfully, from the outbox's own rows: subjects in scope, messages
queued, sent, waiting, held and failed, and who approved or paused it. Approve and cancel
ask for confirmation on a page of their own first; every decision is a POST that redirects
back with a flash. Only ``campaigns:approve`` (DPO, admin) may decide; the rule refuses
(403) and audits anyone else.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from dataward.accounts.errors import InputRefused
from dataward.accounts.permissions import Permission
from dataward.clock import uk_moment
from dataward.notify.decisions import DECISIONS, get_campaign
from dataward.notify.errors import CampaignNotFound
from dataward.notify.progress import CampaignProgress, campaign_progress
from dataward.uow import UnitOfWork
from dataward.web.auth import console, posted_form, principal_of
from dataward.web.deps import get_uow
from dataward.web.staff import run_form
from dataward.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
READ = console(Permission.OUTBOX_READ)
DECIDE = console(Permission.CAMPAIGNS_APPROVE)
_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# Decisions that cannot be taken back, or that start mail to many people: confirm first.
CONFIRMED = ("approve", "cancel")
DONE = {
    "approve": "approved: workers now queue and send its messages",
    "pause": "paused: nothing more is queued and unsent messages are held",
    "resume": "resumed: held messages will be sent",
    "cancel": "cancelled: its unsent messages will never be sent",
}


def uk_time(value: datetime | None) -> str:
    """A time as people in the UK read it: 4 December 2026, 21:55 GMT (BST in summer)."""
    return "" if value is None else uk_moment(value)


def _context(**values: Any) -> dict[str, Any]:
    return {"uk_time": uk_time, **values}


def _one(uow: UnitOfWork, campaign_id: str) -> CampaignProgress:
    found = campaign_progress(uow, campaign_id=get_campaign(uow, campaign_id).id)
    if not found:
        raise CampaignNotFound(f"there is no campaign {campaign_id[:36]!r}")
    return found[0]


@router.get("/console/campaigns", name="campaigns_page", dependencies=[READ])
def campaigns_page(request: Request, uow: Uow) -> Response:
    context = _context(campaigns=campaign_progress(uow), principal=principal_of(request))
    return render(request, "console/campaigns.html", context)


@router.get("/console/campaigns/{campaign_id}", name="campaign_page", dependencies=[READ])
def campaign_page(request: Request, campaign_id: str, uow: Uow) -> Response:
    context = _context(p=_one(uow, campaign_id), principal=principal_of(request))
    return render(request, "console/campaign.html", context)


@router.get(
    "/console/campaigns/{campaign_id}/confirm/{decision}",
    name="campaign_confirm",
    dependencies=[DECIDE],
)
def campaign_confirm(request: Request, campaign_id: str, decision: str, uow: Uow) -> Response:
    if decision not in CONFIRMED:
        raise CampaignNotFound(f"there is nothing to confirm called {decision[:20]!r}")
    context = _context(p=_one(uow, campaign_id), decision=decision)
    return render(request, "console/campaign_confirm.html", context)


@router.post(
    "/console/campaigns/{campaign_id}/{decision}", name="campaign_decide", dependencies=[DECIDE]
)
def campaign_decide(request: Request, campaign_id: str, decision: str) -> Response:
    actor = principal_of(request).actor
    confirmed = posted_form(request).get("confirmed") == "yes"
    # Back to the campaign's page, for an id of the shape we make; else to the list.
    back = "/console/campaigns"
    if _ID.fullmatch(campaign_id):
        back = f"/console/campaigns/{campaign_id}"

    def decide(uow: UnitOfWork) -> str:
        act = DECISIONS.get(decision)
        if act is None:
            raise InputRefused("the decision must be approve, pause, resume or cancel")
        if decision in CONFIRMED and not confirmed:
            raise InputRefused(f"confirm on the {decision} page first; nothing was done")
        campaign = act(uow, campaign_id, actor=actor)
        return f"Campaign {campaign.id} {DONE[decision]}."

    return run_form(request, back, decide)
