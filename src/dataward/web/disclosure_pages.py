"""Staff console: the disclosure log on a subject's page, and rectification on a request's.

The pages only translate: ``disclosures.service`` records a disclosure (checked against the
register), ``disclosures.rectification`` corrects the source or records why not, and
``disclosures.notices`` says which recipients were told. Each form posts, then redirects
back with what happened (or the error) flashed.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from dataward.accounts.permissions import Permission
from dataward.disclosures.notices import recipients_told
from dataward.disclosures.rectification import (
    ACCURACY_CHECKS,
    NOT_MADE,
    Correction,
    opened_rectifications,
    record_not_rectified,
    rectify,
    verifies_accuracy,
)
from dataward.disclosures.service import (
    NewDisclosure,
    disclosures_of_subject,
    record_disclosure,
)
from dataward.errors import DatawardError
from dataward.holds.service import register_of, today_of
from dataward.requests.models import RightsRequest
from dataward.sources.versions import newest_sources
from dataward.subjects.service import get_subject
from dataward.uow import UnitOfWork
from dataward.web.auth import console, form_text, parse_day, posted_form, principal_of
from dataward.web.deps import get_uow
from dataward.web.staff import run_form

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
WRITE = console(Permission.DISCLOSURES_WRITE)
REQUESTS_WRITE = console(Permission.REQUESTS_WRITE)


def subject_disclosures_panel(
    request: Request, uow: UnitOfWork, organisation: str, ref: str
) -> dict[str, object]:
    """For the subject's page: what went to whom, and the register's choices for the form,
    to those who may read the log."""
    if not principal_of(request).can(Permission.DISCLOSURES_READ):
        return {}
    subject = get_subject(uow, organisation, ref)
    try:
        register = register_of(uow, organisation)
    except DatawardError:
        register = None
    names = {r.id: r.organisation or r.name for r in register.recipients} if register else {}
    return {
        "disclosures": [
            (d, names.get(d.recipient, d.recipient)) for d in disclosures_of_subject(uow, subject)
        ],
        "disclosure_recipients": list(names.items()),
        "disclosure_datasets": [(d.id, d.name) for d in register.datasets] if register else [],
        "disclosure_purposes": [(p.id, p.name) for p in register.purposes] if register else [],
        "disclosure_transfers": [
            (t.id, ", ".join(t.destinations)) for t in register.transfers.items
        ]
        if register
        else [],
        "disclosure_today": today_of(uow).isoformat(),
    }


@router.post(
    "/console/subjects/{org}/{ref}/disclosures", name="disclosure_add", dependencies=[WRITE]
)
def disclosure_add(request: Request, org: str, ref: str) -> Response:
    back = f"/console/subjects/{org[:80]}/{ref[:32]}#disclosures"
    form = posted_form(request)
    actor = principal_of(request).actor

    def act(uow: UnitOfWork) -> str:
        new = NewDisclosure(
            organisation=org[:80],
            subject_ref=ref[:32],
            recipient=form_text(form, "recipient", 80),
            datasets=tuple(d for d in form.getlist("datasets") if isinstance(d, str))[:200],
            purpose=form_text(form, "purpose", 80),
            disclosed_on=parse_day(form_text(form, "disclosed_on", 10), "disclosed on"),
            basis=form_text(form, "basis", 40, required=False).strip() or None,
            reference=form_text(form, "reference", 120, required=False).strip() or None,
            authorised_on=_day_or_none(form_text(form, "authorised_on", 10, required=False)),
            authorisation_ref=form_text(form, "authorisation_ref", 120, required=False).strip()
            or None,
            transfer=form_text(form, "transfer", 80, required=False).strip() or None,
            destination=form_text(form, "destination", 80, required=False).strip() or None,
            for_recipient_marketing=form_text(
                form, "for_recipient_marketing", 3, required=False
            ).strip()
            == "yes",
        )
        row = record_disclosure(uow, new, actor=actor)
        return f"Disclosure {row.ref} recorded."

    return run_form(request, back, act)


def _day_or_none(value: str) -> date | None:
    return parse_day(value, "authorised on") if value.strip() else None


def rectification_panel(uow: UnitOfWork, row: RightsRequest) -> dict[str, object]:
    """For a request asking for rectification: the corrections recorded, who was told, and
    the datasets the stored sources file binds (for the form)."""
    if "rectification" not in row.rights:
        return {}
    stored = newest_sources(uow, row.organisation)
    bound = sorted(stored.parsed().sources.datasets) if stored is not None else []
    return {
        "rectifications": opened_rectifications(uow, row),
        "recipients_told": recipients_told(uow, row),
        "rectify_datasets": bound,
        "rectify_reasons": NOT_MADE,
        "accuracy_checks": ACCURACY_CHECKS,
        "verifies_accuracy": verifies_accuracy(uow, row.organisation),
        "can_rectify": row.outcome is None
        and row.subject_id is not None
        and row.identity_verified_on is not None,
    }


@router.post(
    "/console/requests/{org}/{ref}/rectify", name="request_rectify", dependencies=[REQUESTS_WRITE]
)
def request_rectify(request: Request, org: str, ref: str) -> Response:
    back = f"/console/requests/{org[:80]}/{ref[:32]}#rectification"
    form = posted_form(request)
    actor = principal_of(request).actor

    def act(uow: UnitOfWork) -> str:
        correction = Correction(
            form_text(form, "dataset", 80),
            form_text(form, "column", 80),
            form_text(form, "value", 4000),
        )
        reason = form_text(form, "not_made", 16, required=False).strip()
        if reason:
            record_not_rectified(
                uow,
                org[:80],
                ref[:32],
                correction,
                reason=reason,
                why=form_text(form, "why", 4000, required=False),
                statement=form_text(form, "statement", 4000, required=False),
                actor=actor,
            )
            return "The correction is recorded as not made, with the subject's statement."
        check = form_text(form, "accuracy_check", 24, required=False).strip() or None
        rect = rectify(uow, org[:80], ref[:32], correction, actor=actor, accuracy_check=check)
        return (
            f"Corrected {rect.dataset}.{rect.column} in {rect.rows} "
            f"row{'' if rect.rows == 1 else 's'}; the recipients are told."
        )

    return run_form(request, back, act)
