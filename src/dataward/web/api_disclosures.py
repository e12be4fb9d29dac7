"""JSON API for the disclosure log (NOT-01), for integrators: record, list, read.

Scopes ``disclosures:read`` and ``disclosures:write``. A disclosure holds no personal data:
its subject is named by the pseudonymous ref, the recipient, datasets and purpose by the
register's ids. Bad input is ``422 disclosure_invalid``; a disclosure the register's sharing
rules refuse is ``422`` with ``disclosure_not_authorised`` (the person's authorisation is
missing), ``disclosure_transfer_not_listed``, ``disclosure_transfer_unsafeguarded`` or
``disclosure_for_others_marketing``; an unknown disclosure ``404 disclosure_not_found``, an
unknown subject ``404 subject_not_found``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from dataward.accounts.permissions import Permission
from dataward.disclosures.errors import DisclosureInvalid
from dataward.disclosures.models import Disclosure
from dataward.disclosures.service import (
    NewDisclosure,
    disclosures_of_subject,
    disclosures_to_recipient,
    get_disclosure,
    record_disclosure,
)
from dataward.subjects.models import Subject
from dataward.subjects.service import get_subject
from dataward.uow import UnitOfWork
from dataward.web.auth import api, principal_of
from dataward.web.deps import get_uow
from dataward.web.rule_first import RuleFirstRoute
from dataward.web.schemas import NO_NUL, problems

router = APIRouter(prefix="/api/v1", tags=["disclosures"], route_class=RuleFirstRoute)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
PathText = Annotated[str, Path(pattern=NO_NUL)]
RegisterId = Annotated[str, Field(min_length=1, max_length=80, pattern=NO_NUL)]


class DisclosureIn(BaseModel):
    organisation: RegisterId
    subject_ref: str = Field(min_length=1, max_length=32, pattern=NO_NUL)
    recipient: RegisterId = Field(description="The register's recipient id.")
    datasets: list[RegisterId] = Field(min_length=1, max_length=200)
    purpose: RegisterId = Field(description="The register's purpose the disclosure served.")
    basis: str | None = Field(
        default=None,
        max_length=40,
        pattern=NO_NUL,
        description="The Art 6 basis relied on; left out: the purpose's only stated one.",
    )
    disclosed_on: date = Field(description="When it went; not after today.")
    reference: str | None = Field(
        default=None,
        max_length=120,
        pattern=NO_NUL,
        description="Our own reference for it, quoted to the recipient when told of a change.",
    )
    authorised_on: date | None = Field(
        default=None,
        description="When the person authorised it; required where the register shares with "
        "the recipient only if the person authorised it.",
    )
    authorisation_ref: str | None = Field(
        default=None,
        max_length=120,
        pattern=NO_NUL,
        description="Our reference for the evidence of the authorisation (no names).",
    )
    transfer: RegisterId | None = Field(
        default=None,
        description="Outside the UK: the register's transfer it went under (its safeguard).",
    )
    destination: str | None = Field(
        default=None, max_length=80, pattern=NO_NUL, description="The country it went to."
    )
    for_recipient_marketing: bool = Field(
        default=False,
        description="It went for the recipient's own marketing: refused where the register "
        "says the organisation never shares for others' marketing.",
    )


class DisclosureOut(BaseModel):
    ref: str
    organisation: str
    subject_ref: str
    recipient: str
    datasets: list[str]
    purpose: str
    basis: str
    disclosed_on: date
    reference: str | None
    authorised_on: date | None
    authorisation_ref: str | None
    transfer: str | None
    destination: str | None
    for_recipient_marketing: bool
    recorded_by: str


class DisclosureList(BaseModel):
    disclosures: list[DisclosureOut]


def disclosure_out(uow: UnitOfWork, row: Disclosure) -> DisclosureOut:
    subject = uow.session.get(Subject, row.subject_id)
    return DisclosureOut(
        ref=row.ref,
        organisation=row.organisation,
        subject_ref=subject.ref if subject is not None else "",
        recipient=row.recipient,
        datasets=list(row.datasets),
        purpose=row.purpose,
        basis=row.basis,
        disclosed_on=row.disclosed_on,
        reference=row.reference,
        authorised_on=row.authorised_on,
        authorisation_ref=row.authorisation_ref,
        transfer=row.transfer,
        destination=row.destination,
        for_recipient_marketing=bool(row.for_recipient_marketing),
        recorded_by=row.recorded_by,
    )


@router.post(
    "/disclosures",
    response_model=DisclosureOut,
    status_code=201,
    name="api_disclosure_record",
    dependencies=[api(Permission.DISCLOSURES_WRITE)],
    responses=problems(401, 403, 404, 413, 422, 429),
)
def disclosure_record(body: DisclosureIn, request: Request, uow: Uow) -> DisclosureOut:
    """Add a disclosure to the log: the recipients are told when the person's data is
    later corrected, erased or restricted (NOT-01)."""
    new = NewDisclosure(
        organisation=body.organisation,
        subject_ref=body.subject_ref,
        recipient=body.recipient,
        datasets=tuple(body.datasets),
        purpose=body.purpose,
        disclosed_on=body.disclosed_on,
        basis=body.basis,
        reference=body.reference,
        authorised_on=body.authorised_on,
        authorisation_ref=body.authorisation_ref,
        transfer=body.transfer,
        destination=body.destination,
        for_recipient_marketing=body.for_recipient_marketing,
    )
    row = record_disclosure(uow, new, actor=principal_of(request).actor)
    uow.commit()
    return disclosure_out(uow, row)


@router.get(
    "/disclosures",
    response_model=DisclosureList,
    name="api_disclosures",
    dependencies=[api(Permission.DISCLOSURES_READ)],
    responses=problems(401, 403, 404, 422, 429),
)
def disclosure_list(
    uow: Uow,
    organisation: Annotated[str, Query(min_length=1, max_length=80, pattern=NO_NUL)],
    subject_ref: Annotated[str | None, Query(max_length=32, pattern=NO_NUL)] = None,
    recipient: Annotated[str | None, Query(max_length=80, pattern=NO_NUL)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> DisclosureList:
    """What went of one subject (``subject_ref``) or to one recipient (``recipient``),
    newest first."""
    if (subject_ref is None) == (recipient is None):
        raise DisclosureInvalid("give subject_ref or recipient (one of them)")
    if subject_ref is not None:
        rows = list(disclosures_of_subject(uow, get_subject(uow, organisation, subject_ref)))
    else:
        rows = list(disclosures_to_recipient(uow, organisation, str(recipient), limit=limit))
    return DisclosureList(disclosures=[disclosure_out(uow, r) for r in rows[:limit]])


@router.get(
    "/disclosures/{organisation}/{ref}",
    response_model=DisclosureOut,
    name="api_disclosure",
    dependencies=[api(Permission.DISCLOSURES_READ)],
    responses=problems(401, 403, 404, 429),
)
def disclosure_read(organisation: PathText, ref: PathText, uow: Uow) -> DisclosureOut:
    return disclosure_out(uow, get_disclosure(uow, organisation[:80], ref[:32]))
