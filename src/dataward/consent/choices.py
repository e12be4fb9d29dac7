"""A subject's own choices, as the portal's preferences page shows and changes them.

Each row is one thing the person can switch: marketing of a purpose on a channel, or a
non-marketing preference of the register. Its state is what a decision would answer now,
so the page never says "on" while the decision API says "no".
"""

from __future__ import annotations

from dataclasses import dataclass

from dataward.consent.decisions import decide
from dataward.consent.objections import object_to_marketing
from dataward.consent.policy import CONTACT_CHANNELS, policy_for
from dataward.consent.preferences import opt_out, set_preference
from dataward.consent.records import give_consent
from dataward.subjects.service import get_subject
from dataward.uow import UnitOfWork

EVIDENCE = "ticked on the preferences page reached by the person's signed link"
# "any" in a register means every channel the organisation could use for marketing.
_ANY = ("email", "sms", "live_call", "post")


@dataclass(frozen=True)
class ChoiceRow:
    key: str
    label: str
    basis: str
    on: bool
    reason: str


def choice_rows(uow: UnitOfWork, organisation: str, subject_ref: str) -> list[ChoiceRow]:
    policy = policy_for(uow, organisation)
    subject = get_subject(uow, organisation, subject_ref)
    groups = set(subject.groups)
    rows: list[ChoiceRow] = []
    seen: set[str] = set()
    for channel_rule in policy.channels:
        if channel_rule.subject_groups and not groups & set(channel_rule.subject_groups):
            continue
        channels = _ANY if channel_rule.channel == "any" else (channel_rule.channel,)
        for purpose in channel_rule.purposes:
            for channel in channels:
                if channel not in CONTACT_CHANNELS:
                    continue
                key = f"m:{purpose}:{channel}"
                if key in seen:
                    continue
                seen.add(key)
                decision = decide(uow, organisation, subject_ref, purpose, channel)
                name = policy.purpose(purpose).name
                rows.append(
                    ChoiceRow(
                        key,
                        f"{name} by {channel.replace('_', ' ')}",
                        channel_rule.basis or "not stated",
                        decision.allow,
                        decision.reasons[-1] if decision.reasons else "",
                    )
                )
    for pref in policy.preferences.values():
        if pref.subject_groups and not groups & set(pref.subject_groups):
            continue
        purposes = pref.purposes or []
        on = all(decide(uow, organisation, subject_ref, p).allow for p in purposes)
        rows.append(ChoiceRow(f"p:{pref.id}", pref.name, "preference", on, ""))
    return rows


def apply_choices(
    uow: UnitOfWork, organisation: str, subject_ref: str, ticked: set[str], *, actor: str
) -> int:
    """Switch each row whose box differs from its state; returns how many changed."""
    changed = 0
    for row in choice_rows(uow, organisation, subject_ref):
        wanted = row.key in ticked
        if wanted == row.on:
            continue
        kind, _, rest = row.key.partition(":")
        if kind == "p":
            set_preference(
                uow, organisation, subject_ref, rest, wanted, method="portal", actor=actor
            )
        else:
            purpose, _, channel = rest.partition(":")
            if wanted:
                give_consent(
                    uow,
                    organisation,
                    subject_ref,
                    purpose,
                    channel=channel,
                    method="portal",
                    evidence=EVIDENCE,
                    actor=actor,
                )
            elif row.basis == "legitimate_interests":
                # Nothing was consented to: stopping it is an objection (OBJ-02).
                object_to_marketing(
                    uow, organisation, subject_ref, [channel], method="portal", actor=actor
                )
            else:
                opt_out(
                    uow, organisation, subject_ref, purpose, channel, method="portal", actor=actor
                )
        changed += 1
    return changed
