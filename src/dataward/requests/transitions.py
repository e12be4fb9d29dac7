"""Every step of a request, as a service call that the rules can refuse. Never commits.

Each step records who, when (the day it took effect, which may be before today) and why,
recomputes the due date per SAR-01..06 in the controller's nation, and appends to the audit
chain. A step the rules forbid raises ``TransitionRefused`` and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from dataward.requests import audit_actions as actions
from dataward.requests.clock import due_dates
from dataward.requests.errors import RequestInvalid, TransitionRefused
from dataward.requests.identity_strength import (
    DISCLOSING,
    achieved_by,
    falls_short,
    needed_for,
)
from dataward.requests.immediate import take_effect_at_once
from dataward.requests.letters import issue_letter
from dataward.requests.models import RightsRequest
from dataward.requests.refusal_reasons import REFUSAL_CODES, refusal_reason
from dataward.requests.service import add_event, audit_request, get_request, nation_of, register_of
from dataward.requests.tasks import cancel_open_tasks, refuse_response_while_tasks_open
from dataward.subjects.service import get_subject
from dataward.uow import UnitOfWork

OPEN = (
    "received",
    "awaiting_identity",
    "awaiting_fee",
    "awaiting_clarification",
    "in_progress",
    "extended",
    "ready_for_review",
)
# Where work on the request goes on (not waiting for the requester).
WORKING = ("received", "in_progress", "extended", "ready_for_review")
FINAL = ("responded", "refused", "withdrawn", "closed")
# Where identity can still be proven (an extension may be announced before it is).
VERIFIABLE = ("received", "awaiting_identity", "in_progress", "extended")
# Answering these discloses or changes data: only for a verified requester.
NEEDS_IDENTITY = DISCLOSING
# Outcomes that end a request without an answer: its unfinished tasks are cancelled.
ENDS_TASKS = ("refused", "withdrawn", "deceased")
IDENTITY_METHODS = ("email_code", "knowledge_check", "document", "known_to_staff", "not_needed")


@dataclass(frozen=True)
class Step:
    """Who takes a step, the day it takes effect, and why (in their words, sealed)."""

    actor: str
    on: date
    note: str | None = None


def _require(row: RightsRequest, states: tuple[str, ...], what: str) -> None:
    if row.state not in states:
        raise TransitionRefused(f"cannot {what} a request that is {row.state.replace('_', ' ')}")


def _check_day(uow: UnitOfWork, row: RightsRequest, on: date) -> None:
    if on > uow.clock.today():
        raise RequestInvalid("a step cannot take effect after today")
    if on < row.received_on:
        raise RequestInvalid("a step cannot take effect before the request was received")


def _recompute(row: RightsRequest) -> None:
    due = due_dates(row.clock_starts_on, row.paused_days, row.extended, nation_of(row))
    row.due_on, row.extension_notice_by = due.due_on, due.extension_notice_by


def _done(
    uow: UnitOfWork,
    row: RightsRequest,
    action: str,
    before: str,
    step: Step,
    **details: str | int | bool | None,
) -> RightsRequest:
    _recompute(row)
    row.updated_at = uow.clock.now()
    add_event(uow, row, action, before, actor=step.actor, on=step.on, note=step.note)
    audit_request(
        uow,
        row,
        action,
        actor=step.actor,
        **{
            "from": before,
            "to": row.state,
            "on": step.on.isoformat(),
            "due_on": row.due_on.isoformat() if row.due_on else None,
            **details,
        },
    )
    if row.outcome in ENDS_TASKS and before in OPEN:
        # The request ended unanswered: its open tasks end with it, in this unit of work.
        cancel_open_tasks(uow, row, row.outcome, actor=step.actor, on=step.on)
    # Here rather than in ``take_step``: every caller of a step (console, API, CLI, a
    # direct service call) then sends its letter, in the step's unit of work, so the step
    # and its letter commit together or not at all (SAR-04, SAR-08, SAR-10).
    issue_letter(uow, row, action, actor=step.actor)
    return row


def _load(uow: UnitOfWork, organisation: str, ref: str, step: Step) -> RightsRequest:
    row = get_request(uow, organisation, ref)
    _check_day(uow, row, step.on)
    return row


def ask_for_identity(uow: UnitOfWork, organisation: str, ref: str, step: Step) -> RightsRequest:
    """SAR-05: asking for identity evidence stops the clock until it arrives."""
    row = _load(uow, organisation, ref, step)
    _require(row, ("received", "in_progress"), "ask for identity on")
    if row.identity_verified_on is not None:
        raise TransitionRefused("the requester's identity is verified already")
    before, row.state, row.clock_starts_on = row.state, "awaiting_identity", None
    return _done(uow, row, actions.REQUEST_IDENTITY_REQUESTED, before, step)


def verify_identity(
    uow: UnitOfWork, organisation: str, ref: str, method: str, step: Step
) -> RightsRequest:
    """Identity is settled; if the clock was waiting for it, it starts on this day (SAR-05)."""
    if method not in IDENTITY_METHODS:
        raise RequestInvalid(f"method must be one of {', '.join(IDENTITY_METHODS)}")
    row = _load(uow, organisation, ref, step)
    _require(row, VERIFIABLE, "verify identity on")
    before = row.state
    if row.state == "awaiting_identity":
        row.clock_starts_on = step.on
    row.identity_verified_on, row.identity_method = step.on, method
    # An extension announced before the proof arrived stays: the request remains extended.
    row.state = "extended" if row.state == "extended" else "in_progress"
    return _done(uow, row, actions.REQUEST_IDENTITY_VERIFIED, before, step, method=method)


def ask_for_fee(uow: UnitOfWork, organisation: str, ref: str, step: Step) -> RightsRequest:
    """SAR-05/SAR-08: a fee asked for (unfounded, excessive or repeat copies) stops the clock."""
    row = _load(uow, organisation, ref, step)
    _require(row, ("received", "in_progress"), "ask for a fee on")
    if not step.note:
        raise RequestInvalid("say why a fee is charged (SAR-08)")
    before, row.state, row.clock_starts_on = row.state, "awaiting_fee", None
    return _done(uow, row, actions.REQUEST_FEE_REQUESTED, before, step)


def fee_received(uow: UnitOfWork, organisation: str, ref: str, step: Step) -> RightsRequest:
    row = _load(uow, organisation, ref, step)
    _require(row, ("awaiting_fee",), "record a fee on")
    before, row.state, row.clock_starts_on = row.state, "in_progress", step.on
    return _done(uow, row, actions.REQUEST_FEE_RECEIVED, before, step)


def ask_for_clarification(
    uow: UnitOfWork, organisation: str, ref: str, step: Step
) -> RightsRequest:
    """SAR-06: for access requests only, the clock stops on the day the controller asks."""
    row = _load(uow, organisation, ref, step)
    _require(row, ("received", "in_progress", "extended"), "ask for clarification on")
    if "access" not in row.rights:
        raise TransitionRefused("the clock stops for clarification on access requests only")
    if row.clock_starts_on is None:
        raise TransitionRefused("the clock has not started yet: nothing to stop")
    if not step.note:
        raise RequestInvalid("say what needs clarifying: the pause and its reason are recorded")
    before, row.state, row.paused_since = row.state, "awaiting_clarification", step.on
    return _done(uow, row, actions.REQUEST_CLARIFICATION_REQUESTED, before, step)


def clarification_received(
    uow: UnitOfWork, organisation: str, ref: str, step: Step
) -> RightsRequest:
    """SAR-06: the clock resumes; the days it stood still move the due date and the
    extension-notice date."""
    row = _load(uow, organisation, ref, step)
    _require(row, ("awaiting_clarification",), "record a clarification on")
    assert row.paused_since is not None
    if step.on < row.paused_since:
        raise RequestInvalid("the answer cannot arrive before the question was asked")
    row.paused_days += (step.on - row.paused_since).days
    row.paused_since = None
    before, row.state = row.state, "extended" if row.extended else "in_progress"
    return _done(
        uow, row, actions.REQUEST_CLARIFICATION_RECEIVED, before, step, paused=row.paused_days
    )


def extend(uow: UnitOfWork, organisation: str, ref: str, step: Step) -> RightsRequest:
    """SAR-04: once, with reasons, announced within the first month (as moved by pauses)."""
    row = _load(uow, organisation, ref, step)
    if row.extended:
        raise TransitionRefused("this request was extended already: only once")
    _require(row, ("received", "in_progress"), "extend")
    if not step.note:
        raise RequestInvalid("give the reasons for the extension: the subject must be told them")
    if row.extension_notice_by is None:
        raise TransitionRefused("the clock has not started yet: there is nothing to extend")
    if step.on > row.extension_notice_by:
        raise TransitionRefused(
            f"an extension had to be announced by {row.extension_notice_by.isoformat()} "
            "(within the first month, SAR-04)"
        )
    before, row.state, row.extended = row.state, "extended", True
    return _done(uow, row, actions.REQUEST_EXTENDED, before, step)


def ready_for_review(uow: UnitOfWork, organisation: str, ref: str, step: Step) -> RightsRequest:
    row = _load(uow, organisation, ref, step)
    _require(row, ("in_progress", "extended"), "send for review")
    before, row.state = row.state, "ready_for_review"
    return _done(uow, row, actions.REQUEST_READY_FOR_REVIEW, before, step)


def respond(uow: UnitOfWork, organisation: str, ref: str, step: Step) -> RightsRequest:
    """The answer went out. Disclosing or changing data needs a verified requester."""
    row = _load(uow, organisation, ref, step)
    _require(row, WORKING, "respond to")
    # SAR-05: the proof each right needs comes from the register (dataward's default where
    # it is silent); a right it says does not apply here discloses nothing.
    asked = [r for r in row.rights if r not in row.not_offered]
    need = needed_for(register_of(uow, organisation), asked)
    if need != "none" and row.identity_verified_on is None:
        raise TransitionRefused(
            "verify the requester's identity before disclosing or changing any data"
        )
    if falls_short(need, achieved_by(row)):
        raise TransitionRefused(
            f"this request needs {need} proof of identity, and it was verified by "
            f"{(row.identity_method or 'nothing').replace('_', ' ')}: check it again"
        )
    from dataward.requests.authority import refuse_unless_authorised  # it builds on this module

    refuse_unless_authorised(uow, row)  # SAR-10: a representative's authority, accepted
    refuse_response_while_tasks_open(uow, row)  # RULES: SAR-07
    before, row.state, row.outcome = row.state, "responded", "responded"
    return _done(uow, row, actions.REQUEST_RESPONDED, before, step)


def refuse(
    uow: UnitOfWork, organisation: str, ref: str, step: Step, *, reason: str
) -> RightsRequest:
    """Refuse for a legal reason (``refusal_reasons``: SAR-08's manifestly unfounded or
    excessive, ERA-02's exceptions to erasure, a DPA 2018 exemption), with the caseworker's
    words; the letter names the reason and the law, and carries the complaint routes (the
    controller, the ICO and the courts). A reason that covers only some of the rights asked
    for is refused: split the request and refuse that part."""
    row = _load(uow, organisation, ref, step)
    _require(row, OPEN, "refuse")
    found = refusal_reason(reason, row.rights)
    if not step.note:
        raise RequestInvalid("give the reason for refusing: the subject must be told it")
    before, row.state, row.outcome = row.state, "refused", "refused"
    row.refusal_reason = found.code
    return _done(uow, row, actions.REQUEST_REFUSED, before, step, reason=found.code)


def withdraw(uow: UnitOfWork, organisation: str, ref: str, step: Step) -> RightsRequest:
    row = _load(uow, organisation, ref, step)
    _require(row, OPEN, "withdraw")
    before, row.state, row.outcome = row.state, "withdrawn", "withdrawn"
    return _done(uow, row, actions.REQUEST_WITHDRAWN, before, step)


def close(
    uow: UnitOfWork, organisation: str, ref: str, step: Step, *, deceased: bool = False
) -> RightsRequest:
    """Close a finished request, or (SAR-10) one about a person who has died, whose data
    UK GDPR does not cover: the letter says so."""
    row = _load(uow, organisation, ref, step)
    if deceased:
        _require(row, OPEN, "close as about a deceased person")
        row.outcome = "deceased"
    else:
        _require(row, ("responded", "refused", "withdrawn"), "close")
    before, row.state = row.state, "closed"
    return _done(uow, row, actions.REQUEST_CLOSED, before, step, outcome=row.outcome)


def assign(
    uow: UnitOfWork, organisation: str, ref: str, assignee: str | None, step: Step
) -> RightsRequest:
    row = _load(uow, organisation, ref, step)
    _require(row, OPEN, "assign")
    row.assignee = assignee
    return _done(uow, row, actions.REQUEST_ASSIGNED, row.state, step, assignee=assignee)


def link_subject(
    uow: UnitOfWork, organisation: str, ref: str, subject_ref: str, step: Step
) -> RightsRequest:
    """Tie the request to the subject it is about, once the caseworker has found them."""
    row = _load(uow, organisation, ref, step)
    _require(row, OPEN, "link a subject to")
    row.subject_id = get_subject(uow, organisation, subject_ref).id
    _done(uow, row, actions.REQUEST_SUBJECT_LINKED, row.state, step)
    take_effect_at_once(uow, row, actor=step.actor)  # OBJ-02, LAW-05: once it has a subject
    return row


def _reason_code(details: str | None) -> str:
    if not details or not details.strip():
        raise RequestInvalid(f"refuse needs a reason: one of {', '.join(REFUSAL_CODES)}")
    return details


# Every step by the name the console and the API use for it; ``details`` carries the one
# extra value a step takes (the identity method, the assignee, the refusal reason's code).
_STEPS: dict[str, Callable[[UnitOfWork, str, str, Step, str | None], RightsRequest]] = {
    "ask_identity": lambda u, o, r, s, d: ask_for_identity(u, o, r, s),
    "verify_identity": lambda u, o, r, s, d: verify_identity(u, o, r, d or "", s),
    "ask_fee": lambda u, o, r, s, d: ask_for_fee(u, o, r, s),
    "fee_received": lambda u, o, r, s, d: fee_received(u, o, r, s),
    "ask_clarification": lambda u, o, r, s, d: ask_for_clarification(u, o, r, s),
    "clarification_received": lambda u, o, r, s, d: clarification_received(u, o, r, s),
    "extend": lambda u, o, r, s, d: extend(u, o, r, s),
    "ready_for_review": lambda u, o, r, s, d: ready_for_review(u, o, r, s),
    "respond": lambda u, o, r, s, d: respond(u, o, r, s),
    "refuse": lambda u, o, r, s, d: refuse(u, o, r, s, reason=_reason_code(d)),
    "withdraw": lambda u, o, r, s, d: withdraw(u, o, r, s),
    "close": lambda u, o, r, s, d: close(u, o, r, s),
    "deceased": lambda u, o, r, s, d: close(u, o, r, s, deceased=True),
    "assign": lambda u, o, r, s, d: assign(u, o, r, d or None, s),
}
STEP_NAMES = tuple(_STEPS)


def take_step(
    uow: UnitOfWork, organisation: str, ref: str, name: str, step: Step, details: str | None = None
) -> RightsRequest:
    """Take the step called ``name``: ``details`` is the identity method, the assignee or
    the refusal reason's code."""
    if name not in _STEPS:
        raise RequestInvalid(f"unknown step {name[:40]!r}: use one of {', '.join(STEP_NAMES)}")
    return _STEPS[name](uow, organisation, ref, step, details)
