"""Staff console: a legal hold placed from a complaint (RET-02, ERA-02; CMP-01).

A complaint about a visit, a call or a case keeps the related records (body-worn video,
call recordings) from deletion. The complaint's page offers the register's holds whose
reason is a complaint or an investigation, each with the datasets the register's rules
name for it ticked; the form runs ``holds.service.place_hold`` with the complaint's id, so
closing the complaint can close the hold. Placing needs ``holds:write``; the list of the
complaint's holds shows to ``holds:read``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from dataward.accounts.permissions import Permission
from dataward.complaints.models import Complaint
from dataward.complaints.queue import holds_of_complaint
from dataward.complaints.service import OPEN, get_complaint
from dataward.holds.errors import HoldInvalid
from dataward.holds.service import (
    SCOPES,
    NewHold,
    held_datasets,
    place_hold,
    register_of,
    today_of,
)
from dataward.register.models import Register
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork
from dataward.web.auth import Principal, console, form_text, parse_day, posted_form, principal_of
from dataward.web.staff import run_form

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
HOLDS_WRITE = console(Permission.HOLDS_WRITE)
# The register's holds a complaint may place: those kept for a complaint or an investigation.
COMPLAINT_REASONS = ("complaint", "investigation")
REVIEW_AFTER_DAYS = 30


@dataclass(frozen=True)
class HoldChoice:
    """One of the register's holds, as the form offers it."""

    id: str
    name: str
    reason: str
    description: str
    defaults: list[str]  # ticked: the datasets the register's rules name for this hold
    others: list[str]  # the register's other datasets, unticked


def hold_choices(register: Register) -> list[HoldChoice]:
    everything = [d.id for d in register.datasets]
    choices = []
    for hold in register.holds:
        if hold.reason not in COMPLAINT_REASONS:
            continue
        defaults = held_datasets(register, hold.id)
        choices.append(
            HoldChoice(
                hold.id,
                str(hold.name),
                str(hold.reason),
                str(hold.description or ""),
                defaults,
                [d for d in everything if d not in defaults],
            )
        )
    return choices


def hold_panel(uow: UnitOfWork, row: Complaint, principal: Principal) -> dict[str, object]:
    """What the complaint page's holds panel needs, by what the reader may do."""
    panel: dict[str, object] = {}
    if principal.can(Permission.HOLDS_READ):
        panel["holds"] = holds_of_complaint(uow, row)
    if principal.can(Permission.HOLDS_WRITE) and row.state in OPEN:
        register = register_of(uow, row.organisation)
        panel["hold_choices"] = hold_choices(register)
        panel["dataset_names"] = {d.id: str(d.name) for d in register.datasets}
        panel["hold_scopes"] = SCOPES
        panel["hold_owner"] = principal.user.username if principal.user else ""
        panel["hold_review_on"] = (today_of(uow) + timedelta(days=REVIEW_AFTER_DAYS)).isoformat()
    return panel


def _new_hold(uow: UnitOfWork, row: Complaint, form: FormData) -> NewHold:
    if row.state not in OPEN:
        raise HoldInvalid("the complaint is closed: place a hold from an open complaint")
    hold_id = form_text(form, "hold_id", 80)
    offered = [c.id for c in hold_choices(register_of(uow, row.organisation))]
    if hold_id not in offered:
        raise HoldInvalid("choose one of the register's holds for a complaint or investigation")
    scope = form_text(form, "scope", 16)
    reference = form_text(form, "reference", 120, required=False).strip() or None
    # The complaint's subject goes with every hold it places, so the hold is listed on their
    # page; what the hold covers is still its scope (a case hold keeps the case's records).
    subject = uow.session.get(Subject, row.subject_id) if row.subject_id else None
    subject_ref = subject.ref if subject is not None else None
    if scope == "subject":
        subject_ref = reference or subject_ref
    datasets = tuple(d for d in form.getlist("datasets") if isinstance(d, str))[:100]
    return NewHold(
        organisation=row.organisation,
        scope=scope,
        owner=form_text(form, "owner", 200),
        review_on=parse_day(form_text(form, "review_on", 10), "the review date"),
        hold_id=hold_id,
        subject_ref=subject_ref,
        case_ref=reference if scope == "case" else None,
        record_ref=reference if scope == "record" else None,
        datasets=datasets,
        complaint_id=row.id,
    )


@router.post(
    "/console/complaints/{org}/{ref}/holds", name="complaint_hold", dependencies=[HOLDS_WRITE]
)
def complaint_hold(request: Request, org: str, ref: str) -> Response:
    """Place one of the register's holds from the complaint (RET-02)."""
    form = posted_form(request)
    actor = principal_of(request).actor

    def act(uow: UnitOfWork) -> str:
        row = get_complaint(uow, org[:80], ref[:32])
        hold = place_hold(uow, _new_hold(uow, row, form), actor=actor)
        return f"Hold {hold.ref} placed: {len(hold.datasets)} datasets kept from deletion."

    return run_form(request, f"/console/complaints/{org[:80]}/{ref[:32]}", act)
