"""JSON API for a request's sources search and its access package (issue 18, ACC-01, SAR-07).

Scopes ``requests:write`` (search the sources, queue the package) and ``requests:read`` (the
package's state). Answers carry ids, states, counts and dates: never a row, a file or a
requester's detail. Approving a package stays a person's decision in the console, never a
token's. Bad paths are problem+json with stable codes: ``404 request_not_found`` /
``package_not_found``, ``409 request_no_subject``, ``request_identity_not_proven``,
``request_not_access``, ``package_exists``, ``request_nothing_to_search``, ``404
sources_not_found`` (no sources file stored), ``503 source_unavailable``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from dataward.access.controller_transfer import MAX_NAME, record_destination
from dataward.access.models import AccessPackage
from dataward.access.progress import parts_of
from dataward.access.service import get_package, queue_package
from dataward.accounts.permissions import Permission
from dataward.requests.service import get_request
from dataward.requests.source_search import search_sources
from dataward.uow import UnitOfWork
from dataward.web.auth import api, principal_of
from dataward.web.deps import get_uow
from dataward.web.rule_first import RuleFirstRoute
from dataward.web.schemas import NO_NUL, problems

router = APIRouter(prefix="/api/v1", tags=["requests"], route_class=RuleFirstRoute)
Uow = Annotated[UnitOfWork, Depends(get_uow)]
PathText = Annotated[str, Path(pattern=NO_NUL)]
KindQuery = Annotated[
    str, Query(max_length=16, description="access (the default) or portability (POR-01).")
]


class DatasetCountOut(BaseModel):
    dataset: str = Field(description="The register's dataset id.")
    rows: int
    files: int


class SourceSearchOut(BaseModel):
    ref: str
    sources_version: int = Field(description="The stored sources file searched (SAR-07).")
    searched: list[DatasetCountOut] = Field(
        description="Each bound dataset searched, with its counts; its search task is done."
    )
    not_bound: list[str] = Field(
        description="Datasets no source binds: their searches stay open, to do by hand."
    )
    tasks_done: int


class PartOut(BaseModel):
    dataset: str
    binding: int = Field(description="The binding's index in the sources file's list.")
    state: str = Field(description="pending or done.")
    rows: int
    files: int
    redactions: int


class PackageOut(BaseModel):
    """An access package's progress: ids, states, counts and dates only."""

    id: str
    ref: str = Field(description="The request's reference.")
    kind: str = Field(description="access or portability.")
    state: str = Field(description="queued, building, review, approved, ready or deleted.")
    sources_version: int
    rows: int
    files: int
    size: int | None = Field(description="The finished ZIP's size in bytes, once assembled.")
    failed_source: str | None = Field(
        description="A connection that could not be read while building (retried later)."
    )
    last_error: str | None = Field(description="That failure's error code.")
    queued_at: datetime
    built_at: datetime | None
    approved_at: datetime | None
    ready_at: datetime | None
    expires_at: datetime | None = Field(description="When the download link stops working.")
    deleted_at: datetime | None
    downloads: int = Field(description="Downloads by the requester.")
    parts: list[PartOut]


def package_out(uow: UnitOfWork, ref: str, package: AccessPackage) -> PackageOut:
    return PackageOut(
        id=package.id,
        ref=ref,
        kind=package.kind,
        state=package.state,
        sources_version=package.sources_version,
        rows=package.rows,
        files=package.files,
        size=package.size,
        failed_source=package.failed_source,
        last_error=package.last_error,
        queued_at=package.created_at,
        built_at=package.built_at,
        approved_at=package.approved_at,
        ready_at=package.ready_at,
        expires_at=package.expires_at,
        deleted_at=package.deleted_at,
        downloads=package.downloads,
        parts=[
            PartOut(
                dataset=p.dataset,
                binding=p.binding,
                state=p.state,
                rows=p.rows,
                files=p.files,
                redactions=p.redactions,
            )
            for p in parts_of(uow, package)
        ],
    )


@router.post(
    "/requests/{organisation}/{ref}/search_sources",
    response_model=SourceSearchOut,
    name="api_request_search_sources",
    dependencies=[api(Permission.REQUESTS_WRITE)],
    responses=problems(401, 403, 404, 409, 429, 503),
)
def request_search_sources(
    organisation: PathText, ref: PathText, request: Request, uow: Uow
) -> SourceSearchOut:
    """Search the subject in every dataset the stored sources file binds (SAR-07): each
    one's search task is recorded done with its counts; unbound datasets stay open. A
    source that is down fails the call (503) and records nothing."""
    result = search_sources(uow, organisation[:80], ref[:32], actor=principal_of(request).actor)
    uow.commit()
    return SourceSearchOut(
        ref=result.ref,
        sources_version=result.version,
        searched=[
            DatasetCountOut(dataset=c.dataset, rows=c.rows, files=c.files)
            for c in sorted(result.searched.values(), key=lambda c: c.dataset)
        ],
        not_bound=result.not_bound,
        tasks_done=result.tasks_done,
    )


@router.post(
    "/requests/{organisation}/{ref}/package",
    response_model=PackageOut,
    status_code=202,
    name="api_request_package_queue",
    dependencies=[api(Permission.REQUESTS_WRITE)],
    responses=problems(401, 403, 404, 409, 429),
)
def request_package_queue(
    organisation: PathText, ref: PathText, request: Request, uow: Uow, kind: KindQuery = "access"
) -> PackageOut:
    """Queue the build of the request's access package (``dataward worker`` builds it), or
    with ``kind=portability`` its portability package (POR-01). The request must be open,
    ask for the right, have its subject linked and identity proven, and have no package of
    the kind yet. A caseworker reviews and approves it in the console."""
    actor = principal_of(request).actor
    package = queue_package(uow, organisation[:80], ref[:32], actor=actor, kind=kind)
    uow.commit()
    return package_out(uow, get_request(uow, organisation[:80], ref[:32]).ref, package)


@router.get(
    "/requests/{organisation}/{ref}/package",
    response_model=PackageOut,
    name="api_request_package",
    dependencies=[api(Permission.REQUESTS_READ)],
    responses=problems(401, 403, 404, 429),
)
def request_package(
    organisation: PathText, ref: PathText, uow: Uow, kind: KindQuery = "access"
) -> PackageOut:
    """The request's access (or ``kind=portability``) package: its state, counts per part,
    a source that failed, when it expires and how often the requester downloaded it."""
    package = get_package(uow, organisation[:80], ref[:32], kind)
    return package_out(uow, get_request(uow, organisation[:80], ref[:32]).ref, package)


class DestinationIn(BaseModel):
    organisation_name: str = Field(
        max_length=MAX_NAME, pattern=NO_NUL, description="The receiving controller's name."
    )
    email: str = Field(
        max_length=254,
        pattern=NO_NUL,
        description="The address the subject gave for it; not an email address: 422 "
        "portability_destination_invalid.",
    )


class DestinationOut(BaseModel):
    """Where the portability package goes: dates only (the name and address are sealed)."""

    ref: str
    recorded_at: datetime
    sent_at: datetime | None = Field(description="When the link was emailed there.")


@router.post(
    "/requests/{organisation}/{ref}/portability_destination",
    response_model=DestinationOut,
    name="api_request_portability_destination",
    dependencies=[api(Permission.REQUESTS_WRITE)],
    responses=problems(401, 403, 404, 413, 422, 429),
)
def request_portability_destination(
    organisation: PathText, ref: PathText, body: DestinationIn, request: Request, uow: Uow
) -> DestinationOut:
    """POR-01, Art 20(2): send the request's portability package to another controller.
    Its download link goes to ``email`` once the package is ready (at once if it is), the
    requester is told, and the one-time code still goes to the requester only. Correctable
    until sent; refused (422 ``portability_destination_invalid``, nothing changed) for an
    address that is not an email, a request not asking for portability or answered, a
    requester with no email address, or a package sent already."""
    actor = principal_of(request).actor
    org, ref = organisation[:80], ref[:32]
    found = record_destination(uow, org, ref, body.organisation_name, body.email, actor=actor)
    uow.commit()
    return DestinationOut(ref=ref, recorded_at=found.recorded_at, sent_at=found.sent_at)
