"""Someone acting for the subject (SAR-10): their authority, checked per person. Never commits.

A solicitor, a claims firm, a portal, an attorney, a deputy or a parent may ask for a
subject; the controller checks the authority they show and answers them only once it is
accepted, sending replies where the authority allows. Asking for the authority stops the
clock like asking for identity does (SAR-05): the request waits in ``awaiting_identity``
(the event says ``request.authority_requested``), and an accepted authority starts the
clock that day. For a parent acting for a child, the child's competence is recorded: in
Scotland a child of 12 or over (on the day the request arrived) is presumed competent (DPA
2018 s208); elsewhere, and under 12, a caseworker assesses it. A competent child must agree
before the parent is answered.

The description of the evidence is personal data: sealed under the request's own key.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from dataward.audit.service import AuditEntry, record
from dataward.calendar import Nation
from dataward.crypto.keyring import decrypt_for, encrypt_for
from dataward.requests import audit_actions as actions
from dataward.requests.authority_models import RequestAuthority
from dataward.requests.errors import (
    AuthorityNotAccepted,
    CompetenceNotAssessed,
    RequestInvalid,
    TransitionRefused,
)
from dataward.requests.models import RightsRequest
from dataward.requests.service import MAX_TEXT
from dataward.requests.transitions import OPEN, Step, _done, _load, _require
from dataward.uow import UnitOfWork

EVIDENCE = (
    "signed_authority",
    "lasting_power_of_attorney",
    "deputyship_order",
    "parental_responsibility",
    "other",
)
OUTCOMES = ("accepted", "not_enough", "refused")
REPLIES_TO = ("representative", "subject", "both")
AGE_BANDS = ("under_12", "12_to_15", "16_or_17")
COMPETENCE = ("presumed_competent", "assessed_competent", "not_competent")
# What a caseworker may find; "presumed" is computed, never typed in.
ASSESSED = ("assessed_competent", "not_competent")
COMPETENT = ("presumed_competent", "assessed_competent")
# DPA 2018 s208: in Scotland a child of 12 or over is presumed able to exercise their rights.
SCOTTISH_PRESUMPTION_AGE = 12
ADULT_AGE = 18


@dataclass(frozen=True)
class Evidence:
    """The authority a representative shows: its kind, described in words (sealed), where
    it lets replies go, and for a parent the child's date of birth or age band."""

    kind: str
    description: str
    replies_to: str = "representative"
    child_born_on: date | None = None
    child_age_band: str | None = None


@dataclass(frozen=True)
class AuthorityCheck:
    """A caseworker's check of the authority. Fields left None keep what is on record."""

    outcome: str
    evidence: str | None = None
    description: str | None = None
    replies_to: str | None = None
    child_born_on: date | None = None
    child_age_band: str | None = None
    # The caseworker's own assessment of the child (assessed_competent / not_competent).
    competence: str | None = None
    child_agreed: bool | None = None


def _context(row: RightsRequest) -> str:
    return f"request:{row.id}:authority"


def age_on(born_on: date, day: date) -> int:
    """Whole years old on ``day``."""
    return day.year - born_on.year - ((day.month, day.day) < (born_on.month, born_on.day))


def twelve_or_over(born_on: date | None, age_band: str | None, received_on: date) -> bool | None:
    """Whether the child was 12 or over on the day the request arrived; None if unknown."""
    if born_on is not None:
        return age_on(born_on, received_on) >= SCOTTISH_PRESUMPTION_AGE
    if age_band is not None:
        return age_band != "under_12"
    return None


def competence_finding(nation: Nation, over_twelve: bool | None, assessed: str | None) -> str:
    """SAR-10: a caseworker's assessment stands (it may rebut the presumption); without one,
    only a Scottish child of 12 or over is presumed competent (DPA 2018 s208)."""
    if assessed is not None:
        if assessed not in ASSESSED:
            raise RequestInvalid(f"competence must be one of {', '.join(ASSESSED)}")
        return assessed
    if nation is Nation.SCT and over_twelve:
        return "presumed_competent"
    if nation is Nation.SCT and over_twelve is None:
        raise CompetenceNotAssessed(
            "give the child's date of birth or age band, or assess their competence"
        )
    raise CompetenceNotAssessed(
        "assess whether the child is competent: no competence is presumed "
        + ("under 12" if nation is Nation.SCT else "outside Scotland")
    )


def _check_text(description: str) -> str:
    text = description.strip()
    if not text:
        raise RequestInvalid("describe the authority seen (what it is, who signed it, when)")
    if len(text) > MAX_TEXT or "\x00" in text:
        raise RequestInvalid(f"the description of the authority is too long (at most {MAX_TEXT})")
    return text


def _check_child(
    requester_kind: str, born_on: date | None, age_band: str | None, received_on: date
) -> None:
    if born_on is None and age_band is None:
        return
    if requester_kind != "parent":
        raise RequestInvalid("a child's age is recorded only for a parent acting for a child")
    if age_band is not None and age_band not in AGE_BANDS:
        raise RequestInvalid(f"age band must be one of {', '.join(AGE_BANDS)}")
    if born_on is not None and not 0 <= age_on(born_on, received_on) < ADULT_AGE:
        raise RequestInvalid("the child's date of birth makes them an adult or not yet born")


def check_evidence(evidence: Evidence, requester_kind: str, received_on: date) -> None:
    """Refuse evidence that cannot be recorded, before anything is written."""
    if requester_kind == "self":
        raise RequestInvalid("the subject asked themselves: there is no authority to record")
    if evidence.kind not in EVIDENCE:
        raise RequestInvalid(f"evidence must be one of {', '.join(EVIDENCE)}")
    if evidence.replies_to not in REPLIES_TO:
        raise RequestInvalid(f"replies to must be one of {', '.join(REPLIES_TO)}")
    _check_text(evidence.description)
    _check_child(requester_kind, evidence.child_born_on, evidence.child_age_band, received_on)


def authority_of(uow: UnitOfWork, row: RightsRequest) -> RequestAuthority | None:
    return uow.session.scalars(
        select(RequestAuthority).where(RequestAuthority.request_id == row.id)
    ).first()


def description_of(uow: UnitOfWork, row: RightsRequest, authority: RequestAuthority) -> str:
    if authority.description_sealed is None:
        return ""
    return decrypt_for(uow, row.key_id, authority.description_sealed, _context(row))


def _new(uow: UnitOfWork, row: RightsRequest) -> RequestAuthority:
    now = uow.clock.now()
    authority = RequestAuthority(
        id=str(uuid.uuid4()),
        request_id=row.id,
        replies_to="representative",
        created_at=now,
        updated_at=now,
    )
    uow.session.add(authority)
    return authority


def receive_authority(
    uow: UnitOfWork, row: RightsRequest, evidence: Evidence, *, actor: str
) -> RequestAuthority:
    """The authority that came with the request (a portal's line, say), not yet checked."""
    check_evidence(evidence, row.requester_kind, row.received_on)
    authority, entry = authority_received(uow, row, evidence, actor=actor)
    record(uow, **vars(entry))
    return authority


def authority_received(
    uow: UnitOfWork, row: RightsRequest, evidence: Evidence, *, actor: str
) -> tuple[RequestAuthority, AuditEntry]:
    """The authority added to the session for checked ``evidence``, and the audit entry the
    caller appends (one at a time, or a batch's all at once)."""
    authority = _new(uow, row)
    authority.evidence, authority.replies_to = evidence.kind, evidence.replies_to
    authority.description_sealed = encrypt_for(
        uow, row.key_id, _check_text(evidence.description), _context(row)
    )
    authority.child_born_on, authority.child_age_band = (
        evidence.child_born_on,
        evidence.child_age_band,
    )
    entry = AuditEntry(
        actor=actor,
        action=actions.REQUEST_AUTHORITY_RECEIVED,
        entity_type="request",
        entity_id=row.ref,
        details={
            "organisation": row.organisation,
            "evidence": evidence.kind,
            "replies_to": evidence.replies_to,
        },
    )
    return authority, entry


def ask_for_authority(uow: UnitOfWork, organisation: str, ref: str, step: Step) -> RightsRequest:
    """SAR-05/SAR-10: asking a representative for their authority stops the clock until an
    acceptable one arrives; the request waits as ``awaiting_identity``."""
    row = _load(uow, organisation, ref, step)
    if row.requester_kind == "self":
        raise TransitionRefused("the subject asked themselves: there is no authority to ask for")
    _require(row, ("received", "in_progress"), "ask for authority on")
    authority = authority_of(uow, row) or _new(uow, row)
    if authority.outcome == "accepted":
        raise TransitionRefused("the authority is accepted already")
    authority.asked_on, authority.updated_at = step.on, uow.clock.now()
    before, row.state, row.clock_starts_on = row.state, "awaiting_identity", None
    return _done(uow, row, actions.REQUEST_AUTHORITY_REQUESTED, before, step)


def record_authority(
    uow: UnitOfWork, organisation: str, ref: str, check: AuthorityCheck, step: Step
) -> RightsRequest:
    """The authority checked: accepted, not enough, or refused. An accepted authority that
    was asked for starts the clock on this day (SAR-05)."""
    row = _load(uow, organisation, ref, step)
    if row.requester_kind == "self":
        raise TransitionRefused("the subject asked themselves: there is no authority to record")
    _require(row, OPEN, "record an authority on")
    if check.outcome not in OUTCOMES:
        raise RequestInvalid(f"outcome must be one of {', '.join(OUTCOMES)}")
    authority = authority_of(uow, row)
    kind = check.evidence or (authority.evidence if authority else None)
    described = check.description if check.description and check.description.strip() else None
    if described is None and authority is not None and authority.description_sealed:
        described = description_of(uow, row, authority)
    evidence = Evidence(
        kind=kind or "",
        description=described or "",
        replies_to=check.replies_to or (authority.replies_to if authority else "representative"),
        child_born_on=check.child_born_on or (authority.child_born_on if authority else None),
        child_age_band=check.child_age_band or (authority.child_age_band if authority else None),
    )
    check_evidence(evidence, row.requester_kind, row.received_on)
    competence = None
    if row.requester_kind == "parent":
        over_twelve = twelve_or_over(
            evidence.child_born_on, evidence.child_age_band, row.received_on
        )
        competence = competence_finding(Nation(row.nation), over_twelve, check.competence)
    elif check.competence is not None or check.child_agreed is not None:
        raise RequestInvalid("competence is recorded only for a parent acting for a child")
    if check.outcome == "accepted" and competence in COMPETENT and check.child_agreed is not True:
        raise RequestInvalid(
            "a competent child must agree before the parent is answered: record their "
            "agreement, or refuse the authority (SAR-10)"
        )
    if authority is not None and authority.asked_on is not None and step.on < authority.asked_on:
        raise RequestInvalid("the authority cannot be checked before it was asked for")
    authority = authority or _new(uow, row)
    authority.evidence, authority.replies_to = evidence.kind, evidence.replies_to
    authority.description_sealed = encrypt_for(
        uow, row.key_id, _check_text(evidence.description), _context(row)
    )
    authority.child_born_on, authority.child_age_band = (
        evidence.child_born_on,
        evidence.child_age_band,
    )
    authority.competence = competence
    authority.child_agreed = check.child_agreed if competence in COMPETENT else None
    authority.outcome, authority.checked_on, authority.checked_by = (
        check.outcome,
        step.on,
        step.actor,
    )
    authority.updated_at = uow.clock.now()
    before = row.state
    if (
        check.outcome == "accepted"
        and row.state == "awaiting_identity"
        and authority.asked_on is not None
    ):
        # SAR-05: the clock starts on the day the controller has what it asked for.
        row.state, row.clock_starts_on = "in_progress", step.on
    return _done(
        uow,
        row,
        actions.REQUEST_AUTHORITY_RECORDED,
        before,
        step,
        outcome=check.outcome,
        evidence=evidence.kind,
        replies_to=evidence.replies_to,
        competence=competence,
        child_agreed=authority.child_agreed,
    )


def refuse_unless_authorised(uow: UnitOfWork, row: RightsRequest) -> None:
    """SAR-10: a representative is answered only on an accepted authority, and a parent
    only once a competent child has agreed."""
    if row.requester_kind == "self":
        return
    authority = authority_of(uow, row)
    if authority is None or authority.outcome != "accepted":
        raise AuthorityNotAccepted(
            "record the authority of the person acting for the subject as accepted before "
            "answering them (SAR-10)"
        )
    if authority.competence in COMPETENT and authority.child_agreed is not True:
        raise AuthorityNotAccepted("a competent child must agree before the parent is answered")
