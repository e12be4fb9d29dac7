"""Marketing preferences under PECR: soft opt-in, opting out, the register's other choices.

Same records and history as consent (``records.py``); never commits.
"""

from __future__ import annotations

from dataward.consent.errors import ConsentInvalid, SoftOptInRefused
from dataward.consent.models import ConsentRecord
from dataward.consent.policy import check_channel, policy_for
from dataward.consent.records import (
    check_evidence,
    check_method,
    existing_record,
    upsert_record,
)
from dataward.subjects.service import get_subject
from dataward.uow import UnitOfWork

# PECR reg 22(3): soft opt-in covers electronic mail, which includes SMS; never calls.
SOFT_OPT_IN_CHANNELS = frozenset({"email", "sms"})


def record_soft_opt_in(
    uow: UnitOfWork,
    organisation: str,
    subject_ref: str,
    purpose: str,
    channel: str,
    *,
    sale_or_negotiation: str,
    refusal_offered: bool,
    refused: bool,
    method: str,
    actor: str = "system",
) -> ConsentRecord:
    """MKT-01 soft opt-in: details got in a sale or negotiation, with a chance to refuse.

    ``refused`` records the person taking that chance (an opt-out from the start).
    """
    policy = policy_for(uow, organisation)
    rules = policy.purpose(purpose)
    checked = check_channel(channel)
    if checked not in SOFT_OPT_IN_CHANNELS:
        raise SoftOptInRefused("soft opt-in covers email and SMS only (PECR reg 22)")
    if not rules.marketing or not any(
        c.basis == "soft_opt_in" and c.sender == "own"
        for c in policy.channels_for(purpose, checked)
    ):
        raise SoftOptInRefused(
            f"the register declares no own soft opt-in marketing for {purpose!r} by {checked}"
        )
    if not refusal_offered:
        raise SoftOptInRefused(
            "soft opt-in needs a chance to refuse at collection; without it, ask for consent"
        )
    sale = check_evidence(sale_or_negotiation)
    subject = get_subject(uow, organisation, subject_ref)
    return upsert_record(
        uow,
        policy,
        subject,
        kind="soft_opt_in",
        purpose=purpose,
        channel=checked,
        state="withdrawn" if refused else "given",
        method=check_method(method),
        notice_version=policy.current_notice_version,
        evidence={"sale_or_negotiation": sale, "refusal_offered": True},
        actor=actor,
    )


def opt_out(
    uow: UnitOfWork,
    organisation: str,
    subject_ref: str,
    purpose: str,
    channel: str,
    *,
    method: str,
    actor: str = "system",
) -> list[ConsentRecord]:
    """Stop marketing for ``purpose`` on ``channel``: withdraws consent and soft opt-in."""
    policy = policy_for(uow, organisation)
    policy.purpose(purpose)
    checked = check_channel(channel) or ""
    method = check_method(method)
    subject = get_subject(uow, organisation, subject_ref)
    changed = []
    for kind in ("consent", "soft_opt_in"):
        row = existing_record(uow, subject, kind, purpose, checked)
        if row is not None and row.state == "given":
            changed.append(
                upsert_record(
                    uow,
                    policy,
                    subject,
                    kind=kind,
                    purpose=purpose,
                    channel=checked,
                    state="withdrawn",
                    method=method,
                    notice_version=row.notice_version,
                    evidence=None,
                    actor=actor,
                )
            )
    return changed


def set_preference(
    uow: UnitOfWork,
    organisation: str,
    subject_ref: str,
    preference: str,
    on: bool,
    *,
    method: str,
    actor: str = "system",
) -> ConsentRecord:
    """A non-marketing choice of the register (surveys, newsletters, ...), on or off."""
    policy = policy_for(uow, organisation)
    item = policy.preference(preference)
    # Only a stated "not optional" refuses turning it off: silence never overrides a choice.
    if item.optional is False and not on:
        raise ConsentInvalid(f"{item.name!r} is not optional in the register")
    subject = get_subject(uow, organisation, subject_ref)
    return upsert_record(
        uow,
        policy,
        subject,
        kind="preference",
        purpose=preference,
        channel="",
        state="given" if on else "withdrawn",
        method=check_method(method),
        notice_version=policy.current_notice_version,
        evidence=None,
        actor=actor,
    )
