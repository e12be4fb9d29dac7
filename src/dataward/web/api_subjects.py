"""JSON API for subjects and the audit chain, behind token scopes.

Identity values travel in request bodies, never in URLs (URLs end up in logs and history).
The routes are ``RuleFirstRoute``s: a body is read only after the token is accepted, and
only up to ``DATAWARD_API_BODY_MAX_BYTES``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from dataward.accounts.permissions import Permission
from dataward.audit.service import verify
from dataward.subjects.identities import IdentityKind
from dataward.subjects.service import add_subject, find_subjects, show_subject
from dataward.uow import UnitOfWork
from dataward.web.auth import api, principal_of
from dataward.web.deps import get_uow
from dataward.web.rule_first import RuleFirstRoute
from dataward.web.schemas import NO_NUL, problems

router = APIRouter(prefix="/api/v1", tags=["api v1"], route_class=RuleFirstRoute)
Uow = Annotated[UnitOfWork, Depends(get_uow)]


# An unknown kind, or an empty value, group or organisation, is refused by the services; the
# schema says so (issue 14, item 8). A search in an unknown organisation finds nothing.
class IdentityIn(BaseModel):
    kind: IdentityKind = Field(examples=["email"])
    value: str = Field(min_length=1, max_length=500, pattern=NO_NUL)


class SubjectSearch(BaseModel):
    organisation: str = Field(max_length=80, pattern=NO_NUL)
    kind: IdentityKind = Field(examples=["email"])
    value: str = Field(
        min_length=1,
        max_length=500,
        pattern=NO_NUL,
        description="Written any way: it is normalised.",
    )


class SubjectRefs(BaseModel):
    refs: list[str]


class SubjectIn(BaseModel):
    organisation: str = Field(min_length=1, max_length=80, pattern=NO_NUL)
    groups: list[Annotated[str, Field(min_length=1, pattern=NO_NUL)]] = Field(max_length=50)
    identities: list[IdentityIn] = Field(min_length=1, max_length=50)


class IdentityOut(BaseModel):
    kind: str
    value: str
    merged_from: str | None


class SubjectOut(BaseModel):
    ref: str
    organisation: str
    groups: list[str]
    created_at: datetime
    identities: list[IdentityOut]
    merged_refs: list[str]


class AuditHead(BaseModel):
    rows: int
    head_seq: int
    head_hash: str
    intact: bool
    first_break: str | None


@router.post(
    "/subjects/search",
    response_model=SubjectRefs,
    name="api_subject_search",
    dependencies=[api(Permission.SUBJECTS_READ)],
    responses=problems(401, 403, 413, 422, 429, 503),
)
def subject_search(body: SubjectSearch, uow: Uow) -> SubjectRefs:
    """Subjects holding one identity, found through the blind index."""
    found = find_subjects(uow, body.organisation, body.kind, body.value)
    return SubjectRefs(refs=[s.ref for s in found])


@router.get(
    "/subjects/{org}/{ref}",
    response_model=SubjectOut,
    name="api_subject",
    dependencies=[api(Permission.SUBJECTS_READ)],
    responses=problems(401, 403, 404, 410, 503),
)
def subject(
    org: Annotated[str, Path(pattern=NO_NUL)], ref: Annotated[str, Path(pattern=NO_NUL)], uow: Uow
) -> SubjectOut:
    """One subject with its identities decrypted."""
    view = show_subject(uow, org[:80], ref[:32])
    return SubjectOut(
        ref=view.ref,
        organisation=view.organisation,
        groups=view.groups,
        created_at=view.created_at,
        identities=[
            IdentityOut(kind=i.kind, value=i.value, merged_from=i.merged_from)
            for i in view.identities
        ],
        merged_refs=view.merged_refs,
    )


@router.post(
    "/subjects",
    response_model=SubjectRefs,
    status_code=201,
    name="api_subject_create",
    dependencies=[api(Permission.SUBJECTS_WRITE)],
    responses=problems(401, 403, 404, 409, 413, 422, 429, 503),
)
def subject_create(request: Request, body: SubjectIn, uow: Uow) -> SubjectRefs:
    """Add a subject with its identities (stored encrypted); returns its reference."""
    created = add_subject(
        uow,
        body.organisation,
        body.groups,
        [(i.kind, i.value) for i in body.identities],
        actor=principal_of(request).actor,
    )
    uow.commit()
    return SubjectRefs(refs=[created.ref])


@router.get(
    "/audit/head",
    response_model=AuditHead,
    name="api_audit_head",
    dependencies=[api(Permission.AUDIT_READ)],
    responses=problems(401, 403),
)
def audit_head(uow: Uow) -> AuditHead:
    """Verify the whole audit chain and return its head, to compare with a kept anchor."""
    result = verify(uow.session)
    broken = result.first_break
    return AuditHead(
        rows=result.rows,
        head_seq=result.head_seq,
        head_hash=result.head_hash,
        intact=result.intact,
        first_break=f"row {broken.seq}: {broken.reason}" if broken else None,
    )
