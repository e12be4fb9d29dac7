"""Access packages: queue one for a verified access request, find it. Never commits.

Building (``access.build``, a worker job), review (``access.review``), assembly
(``access.assemble``) and delivery (``access.delivery``) each take the package from one
state to the next (``access.models``). Every step is audited on the request's own entry of
the chain, with the package id and counts only.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from dataward.access import audit_actions as actions
from dataward.access.errors import (
    NotAnAccessRequest,
    PackageExists,
    PackageNotFound,
    UnknownPackageKind,
)
from dataward.access.models import ACCESS, KINDS, PORTABILITY, QUEUED, AccessPackage
from dataward.audit.service import DetailValue
from dataward.jobs.service import enqueue
from dataward.requests.errors import TransitionRefused
from dataward.requests.models import RightsRequest
from dataward.requests.service import audit_request, get_request
from dataward.requests.source_search import verified_subject
from dataward.sources.versions import current_sources
from dataward.uow import UnitOfWork

BUILD_JOB = "access.build_package"
ASSEMBLE_JOB = "access.assemble_package"
# Rights answered with a copy of the data; each kind of package answers the right it names.
PACKAGED_RIGHTS = frozenset({"access"})
RIGHT_OF_KIND = {ACCESS: "access", PORTABILITY: "portability"}


def kind_of(value: str) -> str:
    """A package kind as given at an edge, checked: "access" or "portability"."""
    if value not in KINDS:
        raise UnknownPackageKind(f"a package's kind is one of {', '.join(KINDS)}")
    return value


def queue_package(
    uow: UnitOfWork, organisation: str, ref: str, *, actor: str, kind: str = ACCESS
) -> AccessPackage:
    """Queue the build of the request's package of ``kind``; the worker builds it
    (``BUILD_JOB``).

    Refused, changing nothing, unless the request is open, asks for the right the kind
    answers (access, portability), is linked to a living subject whose identity is proven,
    and has no package of that kind yet; the sources file must be stored (its version is
    fixed now, so the evidence cites what was searched).
    """
    kind = kind_of(kind)
    row = get_request(uow, organisation, ref)
    if row.outcome is not None:
        raise TransitionRefused(f"the request is {row.state}: no package is built for it")
    if RIGHT_OF_KIND[kind] not in row.rights:
        raise NotAnAccessRequest(f"request {row.ref} does not ask for {RIGHT_OF_KIND[kind]}")
    keep = verified_subject(uow, row, "before building a package")
    if package_of(uow, row, kind) is not None:
        raise PackageExists(f"request {row.ref} has a {kind} package already")
    stored = current_sources(uow, organisation)
    now = uow.clock.now()
    package = AccessPackage(
        id=str(uuid.uuid4()),
        organisation=organisation,
        request_id=row.id,
        kind=kind,
        subject_id=keep.id,
        key_id=keep.key_id,
        sources_version=stored.version,
        state=QUEUED,
        queued_by=actor,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(package)
    uow.session.flush()
    enqueue(uow, BUILD_JOB, {"package": package.id})
    audit_package(uow, package, actions.PACKAGE_QUEUED, actor=actor, row=row)
    return package


def package_of(uow: UnitOfWork, row: RightsRequest, kind: str = ACCESS) -> AccessPackage | None:
    return uow.session.scalars(
        select(AccessPackage).where(AccessPackage.request_id == row.id, AccessPackage.kind == kind)
    ).first()


def get_package(uow: UnitOfWork, organisation: str, ref: str, kind: str = ACCESS) -> AccessPackage:
    """The package of ``kind`` of request ``ref``."""
    kind = kind_of(kind)
    row = get_request(uow, organisation, ref)
    package = package_of(uow, row, kind)
    if package is None:
        raise PackageNotFound(f"request {row.ref} has no {kind} package")
    return package


def request_of(uow: UnitOfWork, package: AccessPackage) -> RightsRequest:
    row = uow.session.get(RightsRequest, package.request_id)
    if row is None:  # pragma: no cover - a foreign key
        raise PackageNotFound("the package's request is gone")
    return row


def audit_package(
    uow: UnitOfWork,
    package: AccessPackage,
    action: str,
    *,
    actor: str,
    row: RightsRequest | None = None,
    **details: DetailValue,
) -> None:
    """One entry on the request's chain about its package: ids and counts only."""
    audit_request(
        uow,
        row or request_of(uow, package),
        action,
        actor=actor,
        package=package.id,
        kind=package.kind,
        state=package.state,
        **details,
    )
