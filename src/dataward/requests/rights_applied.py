"""Restriction (RES-01) and objection to legitimate interests or public task (OBJ-01)
asked for in a request, applied through the consent services. Never commits.

The request's "make the change" task for the right is done by applying it: the consent
services record the restriction (the decision API answers "no" for the restricted
purposes from then on) or the pending objection (processing stops until the DPO decides,
``consent.objections.decide_objection``) for the subject linked to the request, and the
task's sealed note names the record. So a response cannot go out before the change is
made (``tasks.refuse_response_while_tasks_open``). Lifting a restriction made this way
starts with a message to the requester, queued in the same unit of work as the record
that they were told (Art 18(3)): ``lift_restriction`` refuses until then.

Objections to direct marketing (OBJ-02) take effect the moment the request has a subject
(``requests.immediate``), not here.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from dataward.consent.errors import RestrictionInvalid
from dataward.consent.models import Restriction
from dataward.consent.objections import (
    lift_restriction,
    object_to_processing,
    restrict,
    restriction_in_force,
    tell_before_lifting,
)
from dataward.requests.errors import TransitionRefused
from dataward.requests.messages import message_requester
from dataward.requests.models import RightsRequest
from dataward.requests.service import get_request
from dataward.requests.source_search import verified_subject
from dataward.requests.task_models import UNFINISHED, RequestTask
from dataward.requests.tasks import APPLIED_THROUGH_CONSENT, complete_task, tasks_of
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork

RESTRICTION = "restriction"
APPLIED_RIGHTS = APPLIED_THROUGH_CONSENT
APPLY_TASK = "execute"
# The message telling the requester a restriction will be lifted (Art 18(3)).
LIFTING_KIND = "restriction_lifting"


def apply_right(
    uow: UnitOfWork,
    organisation: str,
    ref: str,
    task_id: str,
    *,
    purposes: Sequence[str] = (),
    ground: str | None = None,
    actor: str,
) -> RequestTask:
    """Apply the restriction or objection the task's right asks for, and finish the task.

    ``purposes``: the register purposes it covers (none: every purpose for a restriction,
    every purpose on legitimate interests or public task for an objection); ``ground``:
    a restriction's Art 18(1) ground (``consent.objections.RESTRICTION_GROUNDS``).
    Refused, changing nothing, unless the task is an unfinished "make the change" task of
    a restriction or objection, and the open request has a subject whose identity is
    proven; the consent services refuse a purpose or ground the register does not allow.
    """
    row = get_request(uow, organisation, ref)
    task = _task(uow, row, task_id)
    subject = _subject(uow, row)
    if task.right == RESTRICTION:
        if ground is None:
            raise RestrictionInvalid("give the ground of the restriction (Art 18(1))")
        record = restrict(uow, organisation, subject.ref, purposes, ground, actor=actor)
        # NOT-01 (Art 19): every recipient of the subject's data is told of the restriction,
        # or why not is recorded. The disclosure log builds on requests, so imported here.
        from dataward.disclosures.notices import tell_recipients

        told = tell_recipients(uow, row, "restriction", datasets=(), actor=actor)
        note = f"Restriction {record.ref} recorded ({ground}); {len(told)} recipient(s) told."
    else:
        objection = object_to_processing(
            uow, organisation, subject.ref, purposes, method="request", actor=actor
        )
        note = f"Objection {objection.ref} recorded; processing stops until it is decided."
    return complete_task(uow, row, task, note, actor=actor)


def warn_before_lifting(
    uow: UnitOfWork, organisation: str, ref: str, restriction_ref: str, *, actor: str
) -> Restriction:
    """Art 18(3): tell the requester the restriction on the request's subject will be
    lifted (an email, or a letter the caseworker sends where they are answered by post),
    and record that they were told, which lets ``lift_restriction`` go ahead."""
    row = get_request(uow, organisation, ref)
    restriction = _restriction_of(uow, row, restriction_ref)
    message_requester(uow, row, LIFTING_KIND, {}, actor=actor)
    return tell_before_lifting(uow, organisation, restriction.ref, actor=actor)


def lift_from_request(
    uow: UnitOfWork, organisation: str, ref: str, restriction_ref: str, *, actor: str
) -> Restriction:
    """Lift a restriction on the request's subject (RES-01): refused, changing nothing,
    until ``warn_before_lifting`` has told the requester (Art 18(3))."""
    row = get_request(uow, organisation, ref)
    restriction = _restriction_of(uow, row, restriction_ref)
    return lift_restriction(uow, organisation, restriction.ref, actor=actor)


def restrictions_of_request(uow: UnitOfWork, row: RightsRequest) -> list[Restriction]:
    """The restrictions in force on the subject of a request for restriction, oldest
    first: what the request's page offers to lift (none without a linked subject)."""
    if RESTRICTION not in row.rights or row.subject_id is None:
        return []
    return list(
        uow.session.scalars(
            select(Restriction)
            .where(
                Restriction.organisation == row.organisation,
                Restriction.subject_id == row.subject_id,
                Restriction.lifted_at.is_(None),
            )
            .order_by(Restriction.started_at, Restriction.ref)
        )
    )


def _restriction_of(uow: UnitOfWork, row: RightsRequest, restriction_ref: str) -> Restriction:
    restriction = restriction_in_force(uow, row.organisation, restriction_ref[:32])
    if row.subject_id is None or restriction.subject_id != _subject(uow, row).id:
        raise RestrictionInvalid("the restriction is not on this request's subject")
    return restriction


def _task(uow: UnitOfWork, row: RightsRequest, task_id: str) -> RequestTask:
    found = next((t for t in tasks_of(uow, row) if t.id == task_id[:24]), None)
    if found is None or found.kind != APPLY_TASK or found.right not in APPLIED_RIGHTS:
        raise TransitionRefused(
            f"request {row.ref}: only the 'make the change' task of a restriction or an "
            "objection is applied"
        )
    if row.outcome is not None:
        raise TransitionRefused(f"the request is {row.state}: its tasks are finished with it")
    if found.state not in UNFINISHED:
        raise TransitionRefused(f"the task is {found.state}: it was applied already")
    return found


def _subject(uow: UnitOfWork, row: RightsRequest) -> Subject:
    return verified_subject(uow, row, "before applying the right")
