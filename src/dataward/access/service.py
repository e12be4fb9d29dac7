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
from dataward.access.errors import NotAnAccessRequest, PackageExists, PackageNotFound
from dataward.access.models import QUEUED, AccessPackage
from dataward.audit.service import DetailValue
from dataward.jobs.service import enqueue
from dataward.requests.errors import TransitionRefused
from dataward.requests.models import RightsRequest
from dataward.requests.service import audit_request, get_request
from dataward.requests.source_search import IdentityNotProven, NoSubjectLinked
from dataward.sources.versions import current_sources
from dataward.subjects.models import Subject
from dataward.subjects.service import survivor
from dataward.uow import UnitOfWork

BUILD_JOB = "access.build_package"
ASSEMBLE_JOB = "access.assemble_package"
# Rights answered with a copy of the data (portability adds its own format next issue).
PACKAGED_RIGHTS = frozenset({"access"})


def queue_package(uow: UnitOfWork, organisation: str, ref: str, *, actor: str) -> AccessPackage:
    """Queue the build of the request's package; the worker builds it (``BUILD_JOB``).

    Refused, changing nothing, unless the request is open, asks for access, is linked to a
    living subject whose identity is proven, and has no package yet; the sources file must
    be stored (its version is fixed now, so the evidence cites what was searched).
    """
    row = get_request(uow, organisation, ref)
    if row.outcome is not None:
        raise TransitionRefused(f"the request is {row.state}: no package is built for it")
    if not PACKAGED_RIGHTS.intersection(row.rights):
        raise NotAnAccessRequest(f"request {row.ref} does not ask for access")
    if row.subject_id is None:
        raise NoSubjectLinked(f"request {row.ref} has no subject linked: link one first")
    if row.identity_verified_on is None:
        raise IdentityNotProven(
            f"request {row.ref}: verify the requester's identity before building a package"
        )
    subject = uow.session.get(Subject, row.subject_id)
    keep = survivor(uow, subject) if subject is not None else None
    if keep is None or keep.shredded_at is not None:
        raise NoSubjectLinked(f"request {row.ref}: its subject's record is gone")
    if package_of(uow, row) is not None:
        raise PackageExists(f"request {row.ref} has a package already")
    stored = current_sources(uow, organisation)
    now = uow.clock.now()
    package = AccessPackage(
        id=str(uuid.uuid4()),
        organisation=organisation,
        request_id=row.id,
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


def package_of(uow: UnitOfWork, row: RightsRequest) -> AccessPackage | None:
    return uow.session.scalars(
        select(AccessPackage).where(AccessPackage.request_id == row.id)
    ).first()


def get_package(uow: UnitOfWork, organisation: str, ref: str) -> AccessPackage:
    """The package of request ``ref``."""
    row = get_request(uow, organisation, ref)
    package = package_of(uow, row)
    if package is None:
        raise PackageNotFound(f"request {row.ref} has no access package")
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
        state=package.state,
        **details,
    )
