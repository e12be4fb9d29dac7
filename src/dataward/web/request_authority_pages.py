"""Staff console: the authority of someone acting for the subject, on the request's page.

The panel (``console/_request_representative.html``) shows the authority on record, the
child's competence finding and where replies go; asking for the authority and recording a
check are each confirmed first (``web.confirm``) and run the services the API shares.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from dataward.accounts.permissions import Permission
from dataward.requests.authority import (
    AGE_BANDS,
    ASSESSED,
    EVIDENCE,
    OUTCOMES,
    REPLIES_TO,
    AuthorityCheck,
    ask_for_authority,
    authority_of,
    description_of,
    record_authority,
)
from dataward.requests.models import RightsRequest
from dataward.requests.transitions import Step
from dataward.requests.waits import waits_for_authority
from dataward.uow import UnitOfWork
from dataward.web.auth import console, form_text, parse_day
from dataward.web.confirm import Confirmation, confirm_then_run

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
WRITE = console(Permission.REQUESTS_WRITE)


@dataclass(frozen=True)
class AuthorityView:
    """The authority as the panel shows it, its description unsealed for staff."""

    evidence: str | None
    description: str
    asked_on: date | None
    outcome: str | None
    checked_on: date | None
    checked_by: str | None
    replies_to: str
    child_born_on: date | None
    child_age_band: str | None
    competence: str | None
    child_agreed: bool | None


def authority_panel(uow: UnitOfWork, row: RightsRequest) -> dict[str, object]:
    """What ``_request_representative.html`` needs (nothing for the subject themselves)."""
    if row.requester_kind == "self":
        return {}
    found = authority_of(uow, row)
    view = None
    if found is not None:
        view = AuthorityView(
            evidence=found.evidence,
            description=description_of(uow, row, found),
            asked_on=found.asked_on,
            outcome=found.outcome,
            checked_on=found.checked_on,
            checked_by=found.checked_by,
            replies_to=found.replies_to,
            child_born_on=found.child_born_on,
            child_age_band=found.child_age_band,
            competence=found.competence,
            child_agreed=found.child_agreed,
        )
    return {
        "authority": view,
        # SAR-05: the request's clock waits for this authority (its state says identity).
        "waiting_for_authority": waits_for_authority(uow, row),
        "authority_choices": {
            "evidence": EVIDENCE,
            "outcomes": OUTCOMES,
            "replies_to": REPLIES_TO,
            "age_bands": AGE_BANDS,
            "assessed": ASSESSED,
        },
    }


def _back(org: str, ref: str) -> str:
    return f"/console/requests/{org[:80]}/{ref[:32]}"


def _choice(form: FormData, name: str, limit: int) -> str | None:
    return form_text(form, name, limit, required=False).strip() or None


def _check(form: FormData) -> AuthorityCheck:
    born = _choice(form, "child_born_on", 10)
    agreed = _choice(form, "child_agreed", 3)
    return AuthorityCheck(
        outcome=form_text(form, "outcome", 16),
        evidence=_choice(form, "evidence", 32),
        description=_choice(form, "description", 4000),
        replies_to=_choice(form, "replies_to", 16),
        child_born_on=parse_day(born, "the child's date of birth") if born else None,
        child_age_band=_choice(form, "child_age_band", 16),
        competence=_choice(form, "competence", 24),
        child_agreed=None if agreed is None else agreed == "yes",
    )


@router.post(
    "/console/requests/{org}/{ref}/authority/ask",
    name="request_authority_ask",
    dependencies=[WRITE],
)
def request_authority_ask(request: Request, org: str, ref: str) -> Response:
    """SAR-05/SAR-10: ask the representative for their authority; the clock waits."""
    back = _back(org, ref)
    title = "Ask for the authority"

    def confirm(form: FormData) -> Confirmation:
        on = form_text(form, "on", 10)
        return Confirmation(
            title,
            [
                f"Takes effect on {on}.",
                "The clock stops until an authority you accept arrives, then runs from "
                "that day (SAR-05). The request shows as waiting.",
            ],
            title,
            back,
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        note = form_text(form, "note", 4000, required=False) or None
        step = Step(actor, parse_day(form_text(form, "on", 10), "the day"), note)
        ask_for_authority(uow, org[:80], ref[:32], step)
        return f"{title}: done."

    return confirm_then_run(request, back, confirm, act)


@router.post(
    "/console/requests/{org}/{ref}/authority",
    name="request_authority_record",
    dependencies=[WRITE],
)
def request_authority_record(request: Request, org: str, ref: str) -> Response:
    """Record the check of the authority: accepted, not enough, or refused (SAR-10)."""
    back = _back(org, ref)
    title = "Record the authority check"

    def confirm(form: FormData) -> Confirmation:
        on = form_text(form, "on", 10)
        outcome = form_text(form, "outcome", 16).replace("_", " ")
        replies = (_choice(form, "replies_to", 16) or "representative").replace("_", " ")
        return Confirmation(
            title,
            [
                f"Takes effect on {on}: the authority is recorded as {outcome}.",
                f"Replies go to: {replies}.",
                "Accepted: the person acting for the subject may be answered, and a clock "
                "waiting for the authority starts that day (SAR-05, SAR-10).",
            ],
            title,
            back,
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        note = form_text(form, "note", 4000, required=False) or None
        step = Step(actor, parse_day(form_text(form, "on", 10), "the day"), note)
        record_authority(uow, org[:80], ref[:32], _check(form), step)
        return f"{title}: done."

    return confirm_then_run(request, back, confirm, act)
