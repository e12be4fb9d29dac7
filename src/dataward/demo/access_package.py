"""The demo's access package: one waiting to be built, so `make run` shows one to review.

After the demo's requests are opened (``demo.rights_requests``), the oldest open access
request of theirs whose identity is verified gets its package queued through
``access.service.queue_package``, as ``system:demo``; the server's embedded worker then
builds it from the demo agency's database like any other (ACC-01..03). The request must be
about a customer of the agency (a debtor: the subject group ``customers``), whose rows the
operational database holds; if the request's subject is someone else (a new occupier has no
rows to show), it is linked to the first customer of the subject store first, through the
same step a caseworker takes. Never commits.

Idempotent: if any request the demo opened has a package, nothing is queued again.
"""

from __future__ import annotations

from sqlalchemy import select

from dataward.access.models import AccessPackage
from dataward.access.service import PACKAGED_RIGHTS, queue_package
from dataward.clock import in_uk_time
from dataward.demo.rights_requests import ACTOR
from dataward.requests.audit_actions import REQUEST_RECEIVED
from dataward.requests.models import RequestEvent, RightsRequest
from dataward.requests.service import requester_of
from dataward.requests.transitions import Step, link_subject
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork

# The subject group of the agency's debtors: each has rows in the operational database.
CUSTOMERS = "customers"


def _demo_requests(uow: UnitOfWork, organisation: str) -> list[RightsRequest]:
    """The requests the demo opened, oldest first."""
    return list(
        uow.session.scalars(
            select(RightsRequest)
            .join(RequestEvent, RequestEvent.request_id == RightsRequest.id)
            .where(
                RightsRequest.organisation == organisation,
                RequestEvent.action == REQUEST_RECEIVED,
                RequestEvent.actor == ACTOR,
            )
            .order_by(RightsRequest.received_on, RightsRequest.ref)
        )
    )


def _is_customer(uow: UnitOfWork, subject_id: str | None) -> bool:
    subject = uow.session.get(Subject, subject_id) if subject_id is not None else None
    return subject is not None and CUSTOMERS in (subject.groups or [])


def _first_customer(uow: UnitOfWork, organisation: str) -> str | None:
    for subject in uow.session.scalars(
        select(Subject)
        .where(
            Subject.organisation == organisation,
            Subject.merged_into.is_(None),
            Subject.shredded_at.is_(None),
        )
        .order_by(Subject.ref)
        .limit(200)
    ):
        if CUSTOMERS in (subject.groups or []):
            return subject.ref
    return None


def queue_demo_package(uow: UnitOfWork, organisation: str) -> AccessPackage | None:
    """Queue the demo's package; None when there is one already or no request fits."""
    rows = _demo_requests(uow, organisation)
    if not rows:
        return None
    ids = [r.id for r in rows]
    if uow.session.scalars(
        select(AccessPackage.id).where(AccessPackage.request_id.in_(ids))
    ).first():
        return None
    candidates = [
        r
        for r in rows
        if r.outcome is None
        and PACKAGED_RIGHTS.intersection(r.rights)
        and r.identity_verified_on is not None
    ]
    # One answered by email shows the whole journey: the link is emailed once approved.
    candidates.sort(key=lambda r: requester_of(uow, r).reply_by == "post")
    if not candidates:
        return None
    row = candidates[0]
    if not _is_customer(uow, row.subject_id):
        customer = _first_customer(uow, organisation)
        if customer is None:
            return None
        today = min(uow.clock.today(), in_uk_time(uow.clock.now()).date())
        link_subject(uow, organisation, row.ref, customer, Step(ACTOR, today))
    return queue_package(uow, organisation, row.ref, actor=ACTOR)
