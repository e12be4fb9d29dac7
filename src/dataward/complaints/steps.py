"""The steps of a complaint after it opens: acknowledge, investigate, notes, links, close.

Each is a service call: it checks, changes the complaint, records a step in its history and
appends to the audit chain (refs and codes only), and never commits. CMP-01.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from dataward.complaints.audit_actions import (
    COMPLAINT_ACKNOWLEDGED,
    COMPLAINT_CLOSED,
    COMPLAINT_INVESTIGATING,
    COMPLAINT_NOTE_ADDED,
    COMPLAINT_REQUEST_LINKED,
    COMPLAINT_SUBJECT_LINKED,
    COMPLAINT_THEMED,
)
from dataward.complaints.errors import ComplaintInvalid, ComplaintTransitionRefused
from dataward.complaints.letters import send_acknowledgement, send_outcome
from dataward.complaints.models import Complaint
from dataward.complaints.service import (
    OPEN,
    OUTCOMES,
    THEMES,
    add_event,
    audit_complaint,
    check_text,
    get_complaint,
    today_of,
)
from dataward.holds.service import close_holds_of_complaint
from dataward.requests.errors import RequestNotFound
from dataward.requests.service import get_request
from dataward.subjects.service import get_subject
from dataward.uow import UnitOfWork


@dataclass(frozen=True)
class Step:
    """Who takes a step and the day it takes effect (a letter sent yesterday, entered today)."""

    actor: str
    on: date
    # The complainant's status page address for the email this step sends (acknowledge,
    # close); the edge signs it (``complaints.status_links``). Empty: the email has none.
    link: str = ""


def _day(uow: UnitOfWork, row: Complaint, step: Step) -> None:
    if step.on > today_of(uow):
        raise ComplaintInvalid("a step cannot take effect after today")
    if step.on < row.received_on:
        raise ComplaintInvalid("a step cannot take effect before the complaint was received")


def _require(row: Complaint, states: tuple[str, ...], what: str) -> None:
    if row.state not in states:
        raise ComplaintTransitionRefused(f"cannot {what} a complaint that is {row.state}")


def _text(name: str, value: str) -> str:
    if not value.strip():
        raise ComplaintInvalid(f"write the {name}")
    check_text(name, value)
    return value


def _move(uow: UnitOfWork, row: Complaint, to: str, action: str, step: Step, **extra: str) -> None:
    before = row.state
    row.state = to
    row.updated_at = uow.clock.now()
    add_event(uow, row, action, before, actor=step.actor, on=step.on, note=extra.pop("note", None))
    audit_complaint(uow, row, action, actor=step.actor, on=step.on.isoformat(), **extra)


def acknowledge(uow: UnitOfWork, organisation: str, ref: str, step: Step) -> Complaint:
    """CMP-01: the complaint is acknowledged; the day is recorded against ``acknowledge_by``,
    and the acknowledgement goes to the complainant (by email, else recorded for post)."""
    row = get_complaint(uow, organisation, ref)
    _require(row, ("received",), "acknowledge")
    _day(uow, row, step)
    row.acknowledged_on = step.on
    late = "yes" if step.on > row.acknowledge_by else "no"
    _move(uow, row, "acknowledged", COMPLAINT_ACKNOWLEDGED, step, late=late)
    send_acknowledgement(uow, row, step.link, actor=step.actor)
    return row


def investigate(uow: UnitOfWork, organisation: str, ref: str, step: Step) -> Complaint:
    """The investigation starts; a complaint is acknowledged first (CMP-01)."""
    row = get_complaint(uow, organisation, ref)
    if row.state == "received":
        raise ComplaintTransitionRefused("acknowledge the complaint before investigating it")
    _require(row, ("acknowledged",), "start investigating")
    _day(uow, row, step)
    _move(uow, row, "investigating", COMPLAINT_INVESTIGATING, step)
    return row


def add_note(uow: UnitOfWork, organisation: str, ref: str, note: str, step: Step) -> Complaint:
    """An investigation note, sealed under the complaint's key; the chain gets no words."""
    row = get_complaint(uow, organisation, ref)
    _text("note", note)
    _require(row, OPEN, "add a note to")
    _day(uow, row, step)
    row.updated_at = uow.clock.now()
    add_event(uow, row, COMPLAINT_NOTE_ADDED, row.state, actor=step.actor, on=step.on, note=note)
    audit_complaint(uow, row, COMPLAINT_NOTE_ADDED, actor=step.actor, on=step.on.isoformat())
    return row


def link_request(
    uow: UnitOfWork, organisation: str, ref: str, request_ref: str, *, actor: str
) -> Complaint:
    """The complaint is about this rights request, which must be the organisation's."""
    row = get_complaint(uow, organisation, ref)
    try:
        get_request(uow, organisation, request_ref)
    except RequestNotFound:
        raise ComplaintInvalid(f"no request {request_ref[:32]!r} in {organisation[:80]}") from None
    if request_ref in row.request_refs:
        raise ComplaintTransitionRefused("the complaint is linked to that request already")
    # A new list, so the JSON column is seen to change.
    row.request_refs = [*row.request_refs, request_ref]
    row.updated_at = uow.clock.now()
    today = today_of(uow)
    add_event(uow, row, COMPLAINT_REQUEST_LINKED, row.state, actor=actor, on=today)
    audit_complaint(uow, row, COMPLAINT_REQUEST_LINKED, actor=actor, request=request_ref)
    return row


def link_subject(
    uow: UnitOfWork, organisation: str, ref: str, subject_ref: str, *, actor: str
) -> Complaint:
    """An unknown person's complaint, linked to the subject once they are found."""
    row = get_complaint(uow, organisation, ref)
    if row.subject_id is not None:
        raise ComplaintTransitionRefused("the complaint is linked to a subject already")
    row.subject_id = get_subject(uow, organisation, subject_ref).id
    row.updated_at = uow.clock.now()
    add_event(uow, row, COMPLAINT_SUBJECT_LINKED, row.state, actor=actor, on=today_of(uow))
    audit_complaint(uow, row, COMPLAINT_SUBJECT_LINKED, actor=actor)
    return row


def set_theme(uow: UnitOfWork, organisation: str, ref: str, theme: str, *, actor: str) -> Complaint:
    """Say or correct what the complaint is about (the DPO's figures count by theme)."""
    row = get_complaint(uow, organisation, ref)
    if theme not in THEMES:
        raise ComplaintInvalid(f"theme must be one of {', '.join(THEMES)}")
    if row.theme == theme:
        raise ComplaintTransitionRefused(f"the complaint's theme is {theme} already")
    row.theme = theme
    row.updated_at = uow.clock.now()
    add_event(uow, row, COMPLAINT_THEMED, row.state, actor=actor, on=today_of(uow))
    audit_complaint(uow, row, COMPLAINT_THEMED, actor=actor, theme=theme)
    return row


def close(
    uow: UnitOfWork, organisation: str, ref: str, outcome: str, note: str, step: Step
) -> Complaint:
    """CMP-01: the outcome, with the explanation the complainant is given (sealed); the
    outcome letter with the ICO route goes to them (by email, else recorded for post)."""
    row = get_complaint(uow, organisation, ref)
    _require(row, OPEN, "close")
    if outcome not in OUTCOMES:
        raise ComplaintInvalid(f"outcome must be one of {', '.join(OUTCOMES)}")
    _text("explanation of the outcome", note)
    _day(uow, row, step)
    row.outcome = outcome
    row.closed_on = step.on
    _move(uow, row, "closed", COMPLAINT_CLOSED, step, outcome=outcome, note=note)
    close_holds_of_complaint(uow, row.id, actor=step.actor, on=step.on)
    send_outcome(uow, row, step.link, actor=step.actor)
    return row
