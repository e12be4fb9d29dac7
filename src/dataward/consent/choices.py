"""A subject's own choices, as the portal's preferences page shows and changes them.

Each row is one thing the person can switch: marketing of a purpose on a channel, or a
non-marketing preference of the register. Its state is what a decision would answer now,
so the page never says "on" while the decision API says "no". The page is public: each
row's note is in the person's words, never the staff wording of a decision's reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

from dataward.consent import reason_codes as code
from dataward.consent.decisions import decide
from dataward.consent.objections import (
    marketing_objections,
    object_to_marketing,
    supersede_own_objections,
)
from dataward.consent.policy import CONTACT_CHANNELS, policy_for
from dataward.consent.preferences import opt_out, set_preference
from dataward.consent.records import give_consent
from dataward.register.models import Register
from dataward.subjects.service import get_subject
from dataward.uow import UnitOfWork

EVIDENCE = "ticked on the preferences page reached by the person's signed link"
# "any" in a register means every channel the organisation could use for marketing.
_ANY = ("email", "sms", "live_call", "post")
# The channels in the public's words (PECR's "live call" is a phone call to them).
CHANNEL_WORDS = {
    "email": "email",
    "sms": "text message",
    "live_call": "phone call",
    "automated_call": "recorded phone call",
    "post": "post",
    "online_ads": "online adverts",
}
# How the person may reach the organisation, in the order a letter would give them.
_CONTACT_KINDS = ("email", "phone", "post", "web")

# What the page says of a row's state, by the decision's stable code: the public's words.
_PUBLIC_NOTES = {
    code.CONSENTED: "On: you agreed to this. Untick it to stop.",
    code.SOFT_OPT_IN: "On because you are a customer. Untick it to stop.",
    code.LEGITIMATE_INTERESTS: "On until you say no: untick it to stop.",
    code.CONSENT_WITHDRAWN: "Off: you asked us to stop. Tick it to agree again.",
    code.OPTED_OUT: "Off: you asked us to stop. Tick it to agree again.",
    code.OBJECTED_TO_MARKETING: "Off: you asked us to stop. Tick it to agree again.",
    code.SUPPRESSED: "Off: you asked us to stop. Tick it to agree again.",
    code.OBJECTED: "You objected to this.",
    code.NO_CONSENT: "Off until you tick this.",
    code.PREFERENCE_OFF: "Off because of another choice you made.",
    code.TPS_LISTED: "Your number is on the Telephone Preference Service list: "
    "we call only if you tick this.",
    code.TPS_NOT_SCREENED: "We cannot make these calls at the moment.",
    code.NO_NUMBER: "We have no phone number for you.",
    code.NO_MARKETING: "We do not send this.",
    code.CHANNEL_NOT_DECLARED: "We do not send this.",
}


@dataclass(frozen=True)
class ChoiceRow:
    key: str
    label: str
    basis: str
    on: bool
    # The decision's wording (staff words): for staff screens and logs, never the portal.
    reason: str
    # What the person is told about the row, in their words.
    note: str = ""
    # The person cannot switch it on here: staff recorded an objection or a restriction.
    locked: bool = False


def contact_words(register: Register) -> str:
    """How to reach the organisation, from the register's own contact details only.

    The ways to exercise rights come first (an objection is a right), then the
    controller's contacts. With none stated the organisation is named, nothing invented.
    """
    contacts = register.rights.how_to_exercise or register.controller.contacts
    values = [c.value for kind in _CONTACT_KINDS for c in contacts if c.kind == kind]
    name = register.controller.name
    if not values:
        return f"contact {name}"
    return f"contact {name} at " + " or ".join(values[:2])


def _marketing_note(
    decision_code: str, channel: str, staff_objection: bool, contact: str
) -> tuple[str, bool]:
    words = CHANNEL_WORDS.get(channel, channel.replace("_", " "))
    if staff_objection:
        return (
            f"Our staff recorded that you do not want marketing by {words}. "
            f"To change this, {contact}.",
            True,
        )
    if decision_code == code.RESTRICTED:
        return (
            "We are not using your information for this at the moment (a restriction is in "
            f"place). To change this, {contact}.",
            True,
        )
    return _PUBLIC_NOTES.get(decision_code, ""), False


def choice_rows(
    uow: UnitOfWork, organisation: str, subject_ref: str, *, contact: str | None = None
) -> list[ChoiceRow]:
    policy = policy_for(uow, organisation)
    subject = get_subject(uow, organisation, subject_ref)
    reach = contact or contact_words(policy.register)
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
                _, staff = marketing_objections(uow, subject, channel)
                note, locked = _marketing_note(
                    decision.code, channel, bool(staff) and not decision.allow, reach
                )
                name = policy.purpose(purpose).name
                rows.append(
                    ChoiceRow(
                        key,
                        f"{name} by {CHANNEL_WORDS.get(channel, channel.replace('_', ' '))}",
                        channel_rule.basis or "not stated",
                        decision.allow,
                        decision.reasons[-1] if decision.reasons else "",
                        note,
                        locked,
                    )
                )
    for pref in policy.preferences.values():
        if pref.subject_groups and not groups & set(pref.subject_groups):
            continue
        purposes = pref.purposes or []
        on = all(decide(uow, organisation, subject_ref, p).allow for p in purposes)
        # Only a stated "not optional" locks it: the page shows it, and cannot turn it off.
        fixed = pref.optional is False
        note = "This is not something you can turn off here." if fixed else ""
        rows.append(ChoiceRow(f"p:{pref.id}", pref.name, "preference", on, "", note, fixed))
    return rows


def apply_choices(
    uow: UnitOfWork,
    organisation: str,
    subject_ref: str,
    ticked: set[str],
    *,
    actor: str,
    notice_version: str | None = None,
) -> int:
    """Switch each row whose box differs from its state; returns how many now differ.

    The count is of rows whose state really changed, read back after the change: a box
    the person ticked that stays off (an objection staff recorded) is not counted.
    ``notice_version`` is the notice the page showed, recorded with each consent given.
    """
    before = choice_rows(uow, organisation, subject_ref)
    for row in before:
        wanted = row.key in ticked
        # A locked row is not the person's to switch here (its box is disabled, so the
        # browser does not even send it).
        if wanted == row.on or row.locked:
            continue
        kind, _, rest = row.key.partition(":")
        if kind == "p":
            set_preference(
                uow, organisation, subject_ref, rest, wanted, method="portal", actor=actor
            )
            continue
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
                notice_version=notice_version,
                actor=actor,
            )
            # Their own tick, through their own link, replaces their own earlier "stop"
            # on this channel (issue 15, item 2); staff-recorded objections stay.
            supersede_own_objections(uow, organisation, subject_ref, channel, actor=actor)
        elif row.basis == "legitimate_interests":
            # Nothing was consented to: stopping it is an objection (OBJ-02).
            object_to_marketing(
                uow, organisation, subject_ref, [channel], method="portal", actor=actor
            )
        else:
            opt_out(uow, organisation, subject_ref, purpose, channel, method="portal", actor=actor)
    after = {r.key: r.on for r in choice_rows(uow, organisation, subject_ref)}
    return sum(1 for r in before if after.get(r.key, r.on) != r.on)
