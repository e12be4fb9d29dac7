"""Staff actions on a subject's consent, objections and restrictions (issue 15, item 1).

Each action is a form on the subject's page that posts here, is confirmed on a page saying
what will happen (``web.confirm``), then runs the same consent service the API, the portal
and the CLI use, in one unit of work with its audit entry, and redirects back to the subject.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from dataward.accounts.permissions import Permission
from dataward.consent.objections import (
    decide_objection,
    lift_restriction,
    object_to_marketing,
    object_to_processing,
    restrict,
    tell_before_lifting,
)
from dataward.consent.records import give_consent, withdraw_consent
from dataward.uow import UnitOfWork
from dataward.web.auth import console, form_text
from dataward.web.confirm import Confirmation, confirm_then_run

router = APIRouter(default_response_class=HTMLResponse, include_in_schema=False)
WRITE = console(Permission.SUBJECTS_WRITE)
BASE = "/console/subjects/{org}/{ref}"


def _back(org: str, ref: str) -> str:
    return f"/console/subjects/{org[:80]}/{ref[:32]}"


def _act(
    request: Request,
    org: str,
    ref: str,
    confirmation: Callable[[FormData], Confirmation],
    action: Callable[[UnitOfWork, FormData, str], str],
) -> Response:
    return confirm_then_run(request, _back(org, ref), confirmation, action)


def _texts(form: FormData, name: str) -> list[str]:
    """The ticked boxes of a group (at most 50, each short: a form cannot flood a service)."""
    return [v[:80] for v in form.getlist(name) if isinstance(v, str)][:50]


def _channel(form: FormData) -> str | None:
    return form_text(form, "channel", 20, required=False) or None


def _on(channel: str | None) -> str:
    return f" by {channel.replace('_', ' ')}" if channel else ""


@router.post(BASE + "/consent", name="consent_record", dependencies=[WRITE])
def record_consent(request: Request, org: str, ref: str) -> Response:
    def confirm(form: FormData) -> Confirmation:
        purpose = form_text(form, "purpose", 80)
        return Confirmation(
            "Record consent",
            [
                f"Consent to '{purpose}'{_on(_channel(form))} is recorded for {ref[:32]}, with "
                "the evidence you gave and the notice version in force now.",
                "Decisions for this purpose answer yes from now on, unless an objection or a "
                "restriction says no.",
            ],
            "Record consent",
            _back(org, ref),
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        record = give_consent(
            uow,
            org[:80],
            ref[:32],
            form_text(form, "purpose", 80),
            method=form_text(form, "method", 16),
            evidence=form_text(form, "evidence", 4000),
            channel=_channel(form),
            actor=actor,
        )
        return f"Consent recorded ({record.ref})."

    return _act(request, org, ref, confirm, act)


@router.post(BASE + "/consent/withdraw", name="consent_withdraw", dependencies=[WRITE])
def withdraw(request: Request, org: str, ref: str) -> Response:
    def confirm(form: FormData) -> Confirmation:
        purpose = form_text(form, "purpose", 80)
        return Confirmation(
            "Withdraw consent",
            [
                f"Consent to '{purpose}'{_on(_channel(form))} is withdrawn at once.",
                "Decisions for it answer no from now on; the record and its history stay.",
            ],
            "Withdraw consent",
            _back(org, ref),
            destructive=True,
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        withdraw_consent(
            uow,
            org[:80],
            ref[:32],
            form_text(form, "purpose", 80),
            method=form_text(form, "method", 16),
            channel=_channel(form),
            actor=actor,
        )
        return "Consent withdrawn."

    return _act(request, org, ref, confirm, act)


@router.post(BASE + "/objection", name="objection_record", dependencies=[WRITE])
def record_objection(request: Request, org: str, ref: str) -> Response:
    def confirm(form: FormData) -> Confirmation:
        if form_text(form, "kind", 24) == "direct_marketing":
            channels = ", ".join(_texts(form, "channels")) or "(none chosen)"
            lines = [
                f"An objection to direct marketing on {channels} is recorded (OBJ-02).",
                "It is absolute and immediate: no marketing on those channels from now on, "
                "and nothing in dataward lifts it.",
            ]
        else:
            purposes = ", ".join(_texts(form, "purposes")) or "every purpose it applies to"
            lines = [
                f"An objection to processing for {purposes} is recorded (OBJ-01).",
                "That processing stops while the objection is considered; record the "
                "outcome on this page when it is decided.",
            ]
        return Confirmation("Record an objection", lines, "Record objection", _back(org, ref))

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        method = form_text(form, "method", 16)
        if form_text(form, "kind", 24) == "direct_marketing":
            channels = _texts(form, "channels")
            row = object_to_marketing(uow, org[:80], ref[:32], channels, method=method, actor=actor)
        else:
            purposes = _texts(form, "purposes")
            row = object_to_processing(
                uow, org[:80], ref[:32], purposes, method=method, actor=actor
            )
        return f"Objection recorded ({row.ref})."

    return _act(request, org, ref, confirm, act)


@router.post(BASE + "/objection/{objection}/decide", name="objection_decide", dependencies=[WRITE])
def decide(request: Request, org: str, ref: str, objection: str) -> Response:
    def confirm(form: FormData) -> Confirmation:
        outcome = form_text(form, "outcome", 20)
        effect = (
            "the processing stays stopped for good"
            if outcome == "upheld"
            else "the processing may go on: the reasons are sealed under the subject's key"
        )
        return Confirmation(
            "Record the outcome of an objection",
            [f"Objection {objection[:32]} is decided '{outcome}': {effect}."],
            "Record outcome",
            _back(org, ref),
            destructive=outcome != "upheld",
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        decide_objection(
            uow,
            org[:80],
            objection[:32],
            form_text(form, "outcome", 20),
            form_text(form, "reasons", 4000),
            actor=actor,
        )
        return "Outcome recorded."

    return _act(request, org, ref, confirm, act)


@router.post(BASE + "/restriction", name="restriction_start", dependencies=[WRITE])
def start_restriction(request: Request, org: str, ref: str) -> Response:
    def confirm(form: FormData) -> Confirmation:
        purposes = ", ".join(_texts(form, "purposes")) or "all processing"
        return Confirmation(
            "Restrict processing",
            [
                f"Processing for {purposes} is restricted (RES-01) on the ground "
                f"'{form_text(form, 'ground', 24)}'.",
                "The data is kept but not used: decisions answer no until it is lifted, and "
                "the subject must be told before it is.",
            ],
            "Restrict",
            _back(org, ref),
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        purposes = _texts(form, "purposes")
        row = restrict(
            uow, org[:80], ref[:32], purposes, form_text(form, "ground", 24), actor=actor
        )
        return f"Restriction started ({row.ref})."

    return _act(request, org, ref, confirm, act)


@router.post(
    BASE + "/restriction/{restriction}/told", name="restriction_told", dependencies=[WRITE]
)
def told(request: Request, org: str, ref: str, restriction: str) -> Response:
    def confirm(form: FormData) -> Confirmation:
        return Confirmation(
            "Record that the subject was told",
            [
                f"Records that the subject was told restriction {restriction[:32]} will be "
                "lifted (Art 18(3)); it can be lifted after this."
            ],
            "Record",
            _back(org, ref),
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        tell_before_lifting(uow, org[:80], restriction[:32], actor=actor)
        return "Recorded that the subject was told."

    return _act(request, org, ref, confirm, act)


@router.post(
    BASE + "/restriction/{restriction}/lift", name="restriction_lift", dependencies=[WRITE]
)
def lift(request: Request, org: str, ref: str, restriction: str) -> Response:
    def confirm(form: FormData) -> Confirmation:
        return Confirmation(
            "Lift a restriction",
            [
                f"Restriction {restriction[:32]} ends: decisions may answer yes again for "
                "what it covered."
            ],
            "Lift restriction",
            _back(org, ref),
            destructive=True,
        )

    def act(uow: UnitOfWork, form: FormData, actor: str) -> str:
        lift_restriction(uow, org[:80], restriction[:32], actor=actor)
        return "Restriction lifted."

    return _act(request, org, ref, confirm, act)
