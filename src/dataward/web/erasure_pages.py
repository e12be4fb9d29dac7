"""Staff console: a request's erasure (ERA-01..03, issue 19).

The request page's panel records the ground (ERA-01) and asks for a plan (confirmed); the
plan's page shows what goes and how, what stays and why, then the worker's progress and the
evidence. Approving (``requests:approve``, a person) and rejecting with a reason are
confirmed. Every post runs an ``erasure`` service and redirects back with its result or its
error; the services check every rule again.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from dataward.accounts.permissions import Permission
from dataward.erasure.errors import ErasurePlanNotFound
from dataward.erasure.plan import GROUNDS, plan_erasure, record_ground
from dataward.erasure.service import approve_erasure, reject_plan
from dataward.erasure.views import plan_view
from dataward.uow import UnitOfWork
from dataward.web.auth import console, form_text, posted_form, principal_of
from dataward.web.confirm import Confirmation, confirm_then_run
from dataward.web.deps import get_uow
from dataward.web.staff import run_form
from dataward.web.templating import render

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
READ = console(Permission.REQUESTS_READ)
WRITE = console(Permission.REQUESTS_WRITE)
APPROVE = console(Permission.REQUESTS_APPROVE)
REASON_MAX = 4000


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _request_url(org: str, ref: str) -> str:
    return f"/console/requests/{org[:80]}/{ref[:32]}"


def _plan_url(org: str, ref: str) -> str:
    return _request_url(org, ref) + "/erasure"


@router.get("/console/requests/{org}/{ref}/erasure", name="request_erasure", dependencies=[READ])
def erasure_page(request: Request, org: str, ref: str, uow: Uow) -> Response:
    view = plan_view(uow, org[:80], ref[:32])
    if view is None:
        raise ErasurePlanNotFound(f"request {ref[:32]} has no erasure plan yet")
    return render(request, "console/erasure_plan.html", {"view": view})


@router.post(
    "/console/requests/{org}/{ref}/erasure/ground",
    name="request_erasure_ground",
    dependencies=[WRITE],
)
def erasure_ground(request: Request, org: str, ref: str) -> Response:
    """Record or change the ground (no confirmation: nothing is erased, it can be changed)."""
    form = posted_form(request)
    actor = principal_of(request).actor

    def act(uow: UnitOfWork) -> str:
        ground = form_text(form, "ground", 40)
        record_ground(uow, org[:80], ref[:32], ground, actor=actor)
        return f"Ground recorded: {GROUNDS[ground]} (ERA-01)."

    return run_form(request, _request_url(org, ref) + "#erasure", act)


@router.post(
    "/console/requests/{org}/{ref}/erasure/plan",
    name="request_erasure_plan",
    dependencies=[WRITE],
)
def erasure_plan(request: Request, org: str, ref: str) -> Response:
    """A dry run: every bound source is read; nothing changes until a DPO approves."""
    back = _request_url(org, ref) + "#erasure"

    def confirm(form: FormData) -> Confirmation:
        return Confirmation(
            "Plan the erasure",
            [
                "dataward reads every dataset the stored sources file binds for the subject "
                "and records what would go and how, and what stays and why (ERA-02).",
                "Nothing is changed in any source: a DPO reads the plan and approves it.",
                "An earlier plan not yet approved is replaced by this one.",
            ],
            "Plan the erasure",
            back,
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        plan = plan_erasure(uow, org[:80], ref[:32], actor=actor)
        return (
            f"Erasure planned: {_count(plan.rows_erased, 'row')} and "
            f"{_count(plan.files_erased, 'file')} would go, {_count(plan.rows_kept, 'row')} stay."
        )

    return confirm_then_run(request, back, confirm, act, done=_plan_url(org, ref))


@router.post(
    "/console/requests/{org}/{ref}/erasure/approve",
    name="request_erasure_approve",
    dependencies=[APPROVE],
)
def erasure_approve(request: Request, org: str, ref: str) -> Response:
    back = _plan_url(org, ref)

    def confirm(form: FormData) -> Confirmation:
        return Confirmation(
            "Approve the erasure",
            [
                "The worker erases what the plan says, source by source, one transaction "
                "each; it cannot be undone.",
                "If the data changed since the plan, nothing is erased and the plan must be "
                "made again.",
                "The recipients of the erased data are then told (NOT-01).",
            ],
            "Approve and erase",
            back,
            destructive=True,
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        approve_erasure(uow, org[:80], ref[:32], actor=actor)
        return "Erasure approved: the worker carries it out."

    return confirm_then_run(request, back, confirm, act)


@router.post(
    "/console/requests/{org}/{ref}/erasure/reject",
    name="request_erasure_reject",
    dependencies=[WRITE],
)
def erasure_reject(request: Request, org: str, ref: str) -> Response:
    back = _plan_url(org, ref)

    def confirm(form: FormData) -> Confirmation:
        form_text(form, "reason", REASON_MAX + 1)
        return Confirmation(
            "Reject the plan",
            [
                "Nothing is erased. The reason goes into the request's history (kept sealed).",
                "A new plan can be made once the reason is answered.",
            ],
            "Reject the plan",
            back,
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        reason = form_text(form, "reason", REASON_MAX + 1)
        reject_plan(uow, org[:80], ref[:32], reason, actor=actor)
        return "Plan rejected: nothing was erased."

    return confirm_then_run(request, back, confirm, act)
