"""Work on a request's tasks: the search record (SAR-07) and human review (ADM-01).

Every change is a service call that appends to the request's history and to the audit
chain (refs and codes only: what was found, the reasons and the subject's view are sealed
under the request's key). A response cannot go out while a task other than telling the
requester is unfinished: an unsearched dataset must be searched, or the DPO must record why
searching it is not reasonable and proportionate (SAR-07). Never commits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from dataward.accounts.errors import UserNotFound
from dataward.accounts.permissions import Permission, permissions_of
from dataward.accounts.service import get_user_by_ref
from dataward.crypto.keyring import decrypt_for, encrypt_for
from dataward.requests import audit_actions as actions
from dataward.requests.errors import (
    ApprovalRequired,
    RequestInvalid,
    TaskNotFound,
    TransitionRefused,
)
from dataward.requests.messages import message_requester
from dataward.requests.models import RightsRequest
from dataward.requests.service import add_event, audit_request, get_request
from dataward.requests.task_models import TASK_KINDS, UNFINISHED, RequestTask
from dataward.uow import UnitOfWork

SEARCH_KINDS = ("search", "manual_search")
# Telling the requester comes with the response itself, so it never holds the response up.
AFTER_RESPONSE = ("notify",)
# Rights whose "make the change" task is done by applying them (``requests.rights_applied``).
APPLIED_THROUGH_CONSENT = ("restriction", "objection")
MAX_NOTE = 4000


@dataclass(frozen=True)
class Review:
    """ADM-01: what the subject said about the decision, and what the reviewer decided."""

    subject_view: str
    outcome: str


def tasks_of(uow: UnitOfWork, row: RightsRequest) -> Sequence[RequestTask]:
    return uow.session.scalars(
        select(RequestTask)
        .where(RequestTask.request_id == row.id)
        .order_by(RequestTask.seq, RequestTask.id)
    ).all()


def holding_up_response(uow: UnitOfWork, row: RightsRequest) -> list[RequestTask]:
    """Unfinished tasks that must be finished (or set aside) before the response goes out."""
    return [t for t in tasks_of(uow, row) if t.state in UNFINISHED and t.kind not in AFTER_RESPONSE]


def open_counts(uow: UnitOfWork, request_ids: Sequence[str]) -> dict[str, int]:
    """How many unfinished tasks each request has (for a page of the queue)."""
    if not request_ids:
        return {}
    rows = uow.session.execute(
        select(RequestTask.request_id, func.count())
        .where(RequestTask.request_id.in_(request_ids), RequestTask.state.in_(UNFINISHED))
        .group_by(RequestTask.request_id)
    ).all()
    return {request_id: int(count) for request_id, count in rows}


def refuse_response_while_tasks_open(uow: UnitOfWork, row: RightsRequest) -> None:
    """SAR-07: a response cannot go out with a dataset unsearched and no reason recorded."""
    waiting = holding_up_response(uow, row)
    if waiting:
        names = ", ".join(t.title for t in waiting[:5])
        more = f" and {len(waiting) - 5} more" if len(waiting) > 5 else ""
        raise TransitionRefused(
            f"{len(waiting)} task(s) still open: {names}{more}. Finish each (a search may be set "
            "aside only by the DPO, as not reasonable and proportionate: SAR-07)"
        )


def result_of(uow: UnitOfWork, row: RightsRequest, task: RequestTask) -> str | None:
    """The sealed result in the caseworker's words (staff pages only)."""
    if task.result_sealed is None:
        return None
    return decrypt_for(uow, row.key_id, task.result_sealed, _context(row, task, "result"))


def reason_of(uow: UnitOfWork, row: RightsRequest, task: RequestTask) -> str | None:
    if task.reason_sealed is None:
        return None
    return decrypt_for(uow, row.key_id, task.reason_sealed, _context(row, task, "reason"))


def review_of(uow: UnitOfWork, row: RightsRequest, task: RequestTask) -> Review | None:
    text = result_of(uow, row, task) if task.kind == "human_review" else None
    if text is None:
        return None
    data = json.loads(text)
    return Review(str(data.get("subject_view", "")), str(data.get("outcome", "")))


def start_task(
    uow: UnitOfWork, organisation: str, ref: str, task_id: str, *, actor: str
) -> RequestTask:
    """The actor takes the task on: it shows as theirs, in progress."""
    row, task = _load(uow, organisation, ref, task_id)
    _require_state(task, ("open",), "start")
    task.state, task.assignee = "in_progress", actor
    return _changed(uow, row, task, actions.REQUEST_TASK_STARTED, actor=actor)


def record_search(
    uow: UnitOfWork,
    organisation: str,
    ref: str,
    task_id: str,
    found: bool,
    note: str,
    *,
    actor: str,
) -> RequestTask:
    """SAR-07: the dataset was searched: by whom, when, and what was found (sealed)."""
    row, task = _load(uow, organisation, ref, task_id)
    _require_kind(task, SEARCH_KINDS, "record a search on")
    _require_state(task, UNFINISHED, "record a search on")
    note = _text(note, "the note", required=False)
    if found and not note:
        raise RequestInvalid("say what was found (where it is, how much), so it can be packaged")
    task.found = found
    if note:
        task.result_sealed = encrypt_for(uow, row.key_id, note, _context(row, task, "result"))
    _finish(uow, task, "done", actor)
    return _changed(
        uow, row, task, actions.REQUEST_TASK_SEARCHED, actor=actor, found="yes" if found else "no"
    )


def not_reasonable(
    uow: UnitOfWork, organisation: str, ref: str, task_id: str, reason: str, *, actor: str
) -> RequestTask:
    """SAR-07: the DPO records why searching this dataset is not reasonable and
    proportionate; that record is the controller's defence, so the reason is required."""
    _require_approver(uow, actor)
    row, task = _load(uow, organisation, ref, task_id)
    _require_kind(task, SEARCH_KINDS, "set aside as not reasonable")
    _require_state(task, UNFINISHED, "set aside")
    reason = _text(reason, "the reason", required=True)
    task.reason_sealed = encrypt_for(uow, row.key_id, reason, _context(row, task, "reason"))
    _finish(uow, task, "not_needed", actor)
    return _changed(uow, row, task, actions.REQUEST_TASK_NOT_REASONABLE, actor=actor)


def not_needed(
    uow: UnitOfWork, organisation: str, ref: str, task_id: str, reason: str, *, actor: str
) -> RequestTask:
    """A task other than a search turns out not to be needed (nothing found to package)."""
    row, task = _load(uow, organisation, ref, task_id)
    if task.kind in SEARCH_KINDS:
        raise TransitionRefused(
            "a search is set aside only by the DPO, as not reasonable and proportionate (SAR-07)"
        )
    _require_state(task, UNFINISHED, "set aside")
    reason = _text(reason, "the reason", required=True)
    task.reason_sealed = encrypt_for(uow, row.key_id, reason, _context(row, task, "reason"))
    _finish(uow, task, "not_needed", actor)
    return _changed(uow, row, task, actions.REQUEST_TASK_NOT_NEEDED, actor=actor)


def record_review(
    uow: UnitOfWork,
    organisation: str,
    ref: str,
    task_id: str,
    subject_view: str,
    outcome: str,
    *,
    actor: str,
) -> RequestTask:
    """ADM-01: a person reviewed the automated decision, having heard the subject's view."""
    row, task = _load(uow, organisation, ref, task_id)
    _require_kind(task, ("human_review",), "record a review on")
    _require_state(task, UNFINISHED, "record a review on")
    review = {
        "subject_view": _text(subject_view, "the subject's view", required=True),
        "outcome": _text(outcome, "the outcome of the review", required=True),
    }
    task.result_sealed = encrypt_for(
        uow, row.key_id, json.dumps(review), _context(row, task, "result")
    )
    _finish(uow, task, "done", actor)
    # ADM-01: the outcome is sent (by email; a requester with none is written to by post).
    sent = message_requester(
        uow, row, "human_review_outcome", {"outcome": review["outcome"]}, actor=actor
    )
    return _changed(
        uow, row, task, actions.REQUEST_TASK_REVIEWED, actor=actor, sent="email" if sent else "post"
    )


def finish_task(
    uow: UnitOfWork, organisation: str, ref: str, task_id: str, note: str, *, actor: str
) -> RequestTask:
    """A task other than a search or a review is done (the package made, the change made)."""
    row, task = _load(uow, organisation, ref, task_id)
    if task.kind in (*SEARCH_KINDS, "human_review"):
        raise TransitionRefused(
            "record a search with what was found, and a review with the subject's view"
        )
    if task.kind == "execute" and task.right in APPLIED_THROUGH_CONSENT:
        raise TransitionRefused(
            "apply the restriction or objection (the task's 'apply' action): it is recorded "
            "for the subject and finishes the task"
        )
    return complete_task(uow, row, task, note, actor=actor)


def complete_task(
    uow: UnitOfWork, row: RightsRequest, task: RequestTask, note: str, *, actor: str
) -> RequestTask:
    """The task is done, with ``note`` sealed as its result: ``finish_task`` once its
    checks pass, and ``requests.rights_applied`` once the consent services applied it."""
    _require_state(task, UNFINISHED, "finish")
    note = _text(note, "the note", required=False)
    if note:
        task.result_sealed = encrypt_for(uow, row.key_id, note, _context(row, task, "result"))
    _finish(uow, task, "done", actor)
    return _changed(uow, row, task, actions.REQUEST_TASK_DONE, actor=actor)


def cancel_open_tasks(
    uow: UnitOfWork, row: RightsRequest, step: str, *, actor: str, on: date
) -> int:
    """The request ended (refused, withdrawn, closed as about a person who has died): every
    unfinished task is cancelled with the step as its reason, so no search or change goes
    on for a request nobody will answer. Returns how many were cancelled."""
    cancelled = 0
    for task in tasks_of(uow, row):
        if task.state not in UNFINISHED:
            continue
        # The reason is the step's name, not words: sealed like every task reason.
        task.reason_sealed = encrypt_for(uow, row.key_id, step, _context(row, task, "reason"))
        _finish(uow, task, "cancelled", actor)
        _changed(uow, row, task, actions.REQUEST_TASK_CANCELLED, actor=actor, on=on, step=step)
        cancelled += 1
    return cancelled


def reseal_task(uow: UnitOfWork, old: RightsRequest, new: RightsRequest, task: RequestTask) -> None:
    """Move a task's sealed words from ``old``'s key to ``new``'s (a split request)."""
    result, reason = result_of(uow, old, task), reason_of(uow, old, task)
    task.request_id = new.id
    task.result_sealed = (
        None
        if result is None
        else encrypt_for(uow, new.key_id, result, _context(new, task, "result"))
    )
    task.reason_sealed = (
        None
        if reason is None
        else encrypt_for(uow, new.key_id, reason, _context(new, task, "reason"))
    )


def _context(row: RightsRequest, task: RequestTask, part: str) -> str:
    return f"request:{row.id}:task:{task.id}:{part}"


def _load(
    uow: UnitOfWork, organisation: str, ref: str, task_id: str
) -> tuple[RightsRequest, RequestTask]:
    row = get_request(uow, organisation, ref)
    task = uow.session.get(RequestTask, task_id[:24])
    if task is None or task.request_id != row.id:
        raise TaskNotFound(f"request {row.ref} has no task {task_id[:24]!r}")
    if row.outcome is not None:
        raise TransitionRefused(f"the request is {row.state}: its tasks are finished with it")
    return row, task


def _require_kind(task: RequestTask, kinds: tuple[str, ...], what: str) -> None:
    if task.kind not in kinds:
        raise TransitionRefused(f"cannot {what} a task to {TASK_KINDS[task.kind].lower()}")


def _require_state(task: RequestTask, states: tuple[str, ...], what: str) -> None:
    if task.state not in states:
        raise TransitionRefused(f"cannot {what} a task that is {task.state.replace('_', ' ')}")


def _text(value: str, name: str, *, required: bool) -> str:
    value = value.strip()
    if required and not value:
        raise RequestInvalid(f"give {name}: it is recorded")
    if len(value) > MAX_NOTE or "\x00" in value:
        raise RequestInvalid(f"{name} is too long (at most {MAX_NOTE})")
    return value


def _require_approver(uow: UnitOfWork, actor: str) -> None:
    require_approver(
        uow,
        actor,
        "only the DPO or an administrator may decide that a search is not reasonable "
        "and proportionate (SAR-07)",
    )


def require_approver(uow: UnitOfWork, actor: str, refusal: str) -> None:
    """A person (never a token) whose role holds ``requests:approve``, and enabled;
    otherwise ``ApprovalRequired`` with ``refusal`` as its message."""
    kind, _, user_ref = actor.partition(":")
    try:
        user = get_user_by_ref(uow, user_ref) if kind == "user" else None
    except UserNotFound:
        user = None
    if (
        user is None
        or user.disabled_at is not None
        or Permission.REQUESTS_APPROVE not in permissions_of(user.role)
    ):
        raise ApprovalRequired(refusal)


def _finish(uow: UnitOfWork, task: RequestTask, state: str, actor: str) -> None:
    task.state, task.done_by, task.done_at = state, actor, uow.clock.now()
    if task.assignee is None:
        task.assignee = actor


def _changed(
    uow: UnitOfWork,
    row: RightsRequest,
    task: RequestTask,
    action: str,
    *,
    actor: str,
    on: date | None = None,
    **details: str,
) -> RequestTask:
    task.updated_at = row.updated_at = uow.clock.now()
    add_event(uow, row, action, row.state, actor=actor, on=on or uow.clock.today())
    audit_request(
        uow,
        row,
        action,
        actor=actor,
        task=task.id,
        kind=task.kind,
        dataset=task.dataset,
        state=task.state,
        **details,
    )
    return task
