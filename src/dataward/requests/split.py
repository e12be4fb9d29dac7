"""Splitting a request that asks for several rights, so each part can be answered on its
own (an access request answered while the erasure is still being planned). Never commits.

The new request is the same request in law: it keeps the day it arrived, the clock's start,
its pauses and extension (SAR-01..06), the nation, the subject and the requester, so its due
date is the original's. Only its key is its own: the requester's details and the moved
tasks' words are sealed again under it, so each request can be shredded on its own.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Sequence

from sqlalchemy import select

from dataward.crypto.keyring import create_data_key, encrypt_for
from dataward.requests.audit_actions import REQUEST_SPLIT
from dataward.requests.errors import RequestInvalid, TransitionRefused
from dataward.requests.models import RightsRequest
from dataward.requests.service import add_event, audit_request, get_request, requester_of
from dataward.requests.task_models import RequestTask
from dataward.requests.tasks import reseal_task
from dataward.requests.transitions import OPEN, Step
from dataward.uow import UnitOfWork

# What the new request takes over unchanged from the one it is split from.
KEPT = (
    "organisation",
    "channel",
    "state",
    "nation",
    "received_on",
    "clock_starts_on",
    "paused_days",
    "paused_since",
    "extended",
    "due_on",
    "extension_notice_by",
    "subject_id",
    "requester_kind",
    "identity_verified_on",
    "identity_method",
    "assignee",
)


def split_request(
    uow: UnitOfWork, organisation: str, ref: str, rights: Sequence[str], step: Step
) -> RightsRequest:
    """Move ``rights`` (and their tasks) to a new request; the original keeps the rest."""
    row = get_request(uow, organisation, ref)
    if step.on > uow.clock.today() or step.on < row.received_on:
        raise RequestInvalid("a split takes effect between the day it arrived and today")
    if row.state not in OPEN:
        raise TransitionRefused(f"cannot split a request that is {row.state.replace('_', ' ')}")
    moved = list(dict.fromkeys(r for r in rights if r))
    if not moved:
        raise RequestInvalid("choose the rights to move to the new request")
    missing = [r for r in moved if r not in row.rights]
    if missing:
        raise RequestInvalid(f"the request does not ask for {missing[0][:40]!r}")
    kept = [r for r in row.rights if r not in moved]
    if not kept:
        raise TransitionRefused("the original request would be left with no right: keep one")
    now = uow.clock.now()
    new = RightsRequest(
        id=str(uuid.uuid4()),
        ref="q_" + secrets.token_hex(8),
        rights=moved,
        not_offered=[r for r in row.not_offered if r in moved],
        key_id=create_data_key(uow, row.organisation),
        requester_sealed=b"",
        parent_id=row.id,
        created_at=now,
        updated_at=now,
        **{name: getattr(row, name) for name in KEPT},
    )
    new.requester_sealed = encrypt_for(
        uow,
        new.key_id,
        json.dumps(requester_of(uow, row).as_dict()),
        f"request:{new.id}:requester",
    )
    uow.session.add(new)
    uow.session.flush()
    for task in uow.session.scalars(
        select(RequestTask).where(RequestTask.request_id == row.id, RequestTask.right.in_(moved))
    ).all():
        reseal_task(uow, row, new, task)
    row.rights = kept
    row.not_offered = [r for r in row.not_offered if r in kept]
    row.updated_at = now
    add_event(uow, row, REQUEST_SPLIT, row.state, actor=step.actor, on=step.on, note=step.note)
    add_event(uow, new, REQUEST_SPLIT, None, actor=step.actor, on=step.on, note=step.note)
    for this, other, role in ((row, new, "split_into"), (new, row, "split_from")):
        audit_request(
            uow,
            this,
            REQUEST_SPLIT,
            actor=step.actor,
            **{role: other.ref, "rights": ",".join(this.rights), "on": step.on.isoformat()},
        )
    return new


def parent_of(uow: UnitOfWork, row: RightsRequest) -> RightsRequest | None:
    return uow.session.get(RightsRequest, row.parent_id) if row.parent_id else None


def split_into(uow: UnitOfWork, row: RightsRequest) -> Sequence[RightsRequest]:
    """The requests split from this one, oldest first."""
    return uow.session.scalars(
        select(RightsRequest)
        .where(RightsRequest.parent_id == row.id)
        .order_by(RightsRequest.created_at, RightsRequest.ref)
    ).all()
