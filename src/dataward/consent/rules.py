"""The decision itself: a pure function of the register's rules and one subject's facts.

Kept free of the database so it is cheap (campaigns ask millions of times) and so the
property tests can drive it with any sequence of events. Order matters and is the point:
restriction (RES-01) and objection (OBJ-01/02) are checked before anything that could
allow, so no consent, preference or basis can outrank them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from dataward.consent.policy import DIRECT_MARKETING, Policy, PurposeRules
from dataward.register.models.choices import MarketingChannel

CHANNEL_RULE = {
    "email": "MKT-01",
    "sms": "MKT-01",
    "online_ads": "MKT-01",
    "live_call": "MKT-02",
    "automated_call": "MKT-03",
    "post": "MKT-04",
}
# Why marketing is refused when the register does not say it markets: keyed by silence.
_NO_MARKETING = {
    False: "the register says this organisation does no direct marketing",
    True: "the register does not say this organisation does direct marketing",
}


@dataclass(frozen=True)
class RecordFact:
    ref: str
    state: str
    changed_at: datetime


@dataclass(frozen=True)
class ObjectionFact:
    ref: str
    kind: str
    channels: tuple[str, ...]
    purposes: tuple[str, ...]
    outcome: str


@dataclass(frozen=True)
class RestrictionFact:
    ref: str
    purposes: tuple[str, ...]
    started_at: datetime


@dataclass
class Facts:
    """What is on record for one subject (or for an identity that is no subject)."""

    subject_ref: str | None = None
    # (kind, purpose, channel) -> record; channel "" when none
    records: dict[tuple[str, str, str], RecordFact] = field(default_factory=dict)
    objections: list[ObjectionFact] = field(default_factory=list)
    restrictions: list[RestrictionFact] = field(default_factory=list)
    # Live calls: the lists holding the subject's numbers; None when no number is known.
    tps_lists: set[str] | None = None

    @property
    def blank(self) -> bool:
        """Nothing on record: the answer depends on the question alone."""
        return not (self.records or self.objections or self.restrictions) and (
            self.tps_lists is None
        )


@dataclass(frozen=True)
class Decision:
    allow: bool
    reasons: list[str]
    rules: list[str]
    records: list[str]
    subject_ref: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "allow": self.allow,
            "reasons": self.reasons,
            "rules": self.rules,
            "records": self.records,
            "subject_ref": self.subject_ref,
        }


class _Answer:
    def __init__(self, facts: Facts) -> None:
        self.facts = facts
        self.reasons: list[str] = []
        self.rules: list[str] = []
        self.records: list[str] = []

    def note(self, reason: str, *rules: str, records: tuple[str, ...] = ()) -> None:
        self.reasons.append(reason)
        self.rules.extend(r for r in rules if r not in self.rules)
        self.records.extend(r for r in records if r not in self.records)

    def done(self, allow: bool) -> Decision:
        return Decision(allow, self.reasons, self.rules, self.records, self.facts.subject_ref)


def _when(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC")


def evaluate(policy: Policy, purpose: str, channel: str | None, facts: Facts) -> Decision:
    rules = policy.purpose(purpose)
    answer = _Answer(facts)
    for restriction in facts.restrictions:
        if not restriction.purposes or purpose in restriction.purposes:
            answer.note(
                f"processing of this person's data is restricted since "
                f"{_when(restriction.started_at)}: it is kept but not used",
                "RES-01",
                records=(restriction.ref,),
            )
            return answer.done(False)
    if rules.marketing:
        return _marketing(policy, rules, channel, facts, answer)
    return _processing(policy, rules, channel, facts, answer)


def _processing(
    policy: Policy, rules: PurposeRules, channel: str | None, facts: Facts, answer: _Answer
) -> Decision:
    if rules.unspecified:
        answer.note(f"the register gives no lawful basis for {rules.name!r}", "LAW-01")
        return answer.done(False)
    if rules.objectable:
        for objection in facts.objections:
            if objection.kind != "legitimate_interests":
                continue
            if objection.purposes and rules.id not in objection.purposes:
                continue
            if objection.outcome == "compelling_grounds":
                answer.note(
                    "an objection was overruled on compelling legitimate grounds",
                    "OBJ-01",
                    records=(objection.ref,),
                )
                continue
            state = "is being considered" if objection.outcome == "pending" else "was upheld"
            answer.note(
                f"the person objected to this processing and the objection {state}",
                "OBJ-01",
                records=(objection.ref,),
            )
            return answer.done(False)
    if rules.consent_only:
        found = facts.records.get(("consent", rules.id, ""))
        if found is None:
            answer.note(f"{rules.name!r} rests on consent and none is recorded", "LAW-05")
            return answer.done(False)
        if found.state != "given":
            answer.note(
                f"consent was withdrawn on {_when(found.changed_at)}",
                "LAW-05",
                records=(found.ref,),
            )
            return answer.done(False)
        answer.note("the person consented", "LAW-05", records=(found.ref,))
    else:
        bases = ", ".join(sorted(b.replace("_", " ") for b in rules.bases))
        answer.note(f"{rules.name!r} rests on {bases} in the register", "LAW-01")
    if not _preferences_allow(policy, rules.id, channel, facts, answer):
        return answer.done(False)
    return answer.done(True)


def _preferences_allow(
    policy: Policy, purpose: str, channel: str | None, facts: Facts, answer: _Answer
) -> bool:
    for pref in policy.preferences_for(purpose):
        if (
            channel
            and pref.channels
            and channel not in pref.channels
            and "any" not in pref.channels
        ):
            continue
        found = facts.records.get(("preference", pref.id, ""))
        if found is not None:
            if found.state != "given":
                answer.note(f"the person turned off {pref.name!r}", records=(found.ref,))
                return False
            answer.note(f"the person turned on {pref.name!r}", records=(found.ref,))
        elif pref.default != "opted_in":
            answer.note(f"{pref.name!r} is off until the person turns it on")
            return False
    return True


def _dm_objection(channel: str | None, facts: Facts) -> ObjectionFact | None:
    for objection in facts.objections:
        if objection.kind != "direct_marketing":
            continue
        if "any" in objection.channels or channel is None or channel in objection.channels:
            return objection
    return None


def _marketing(
    policy: Policy, rules: PurposeRules, channel: str | None, facts: Facts, answer: _Answer
) -> Decision:
    rule = CHANNEL_RULE.get(channel or "", "MKT-01")
    if not policy.marketing_carried_out:
        answer.note(_NO_MARKETING[policy.marketing_silent], rule)
        return answer.done(False)
    objection = _dm_objection(channel, facts)
    if objection is not None:
        answer.note(
            "the person objected to direct marketing"
            + (f" by {channel.replace('_', ' ')}" if channel else "")
            + ": this is absolute",
            "OBJ-02",
            records=(objection.ref,),
        )
        return answer.done(False)
    if channel is None:
        answer.note("name a channel: marketing rules differ by channel (PECR)", "MKT-01")
        return answer.done(False)
    declared = policy.channels_for(rules.id, channel)
    if not declared:
        answer.note(f"the register declares no {channel.replace('_', ' ')} marketing here", rule)
        return answer.done(False)
    purposes = [rules.id] if rules.id != DIRECT_MARKETING else _purposes_of(declared)
    consent = _first(facts, "consent", purposes, channel)
    if consent is not None and consent.state == "given":
        if channel == "live_call" and facts.tps_lists:
            answer.note("the number is on the TPS/CTPS list, but the person consented to calls")
        answer.note(
            "the person consented to this marketing", rule, "LAW-05", records=(consent.ref,)
        )
        return answer.done(True)
    if consent is not None:
        answer.note(
            f"consent to this marketing was withdrawn on {_when(consent.changed_at)}",
            rule,
            "LAW-05",
            records=(consent.ref,),
        )
        return answer.done(False)
    if channel == "automated_call":
        answer.note("automated calls need specific consent, and none is recorded", "MKT-03")
        return answer.done(False)
    if channel == "live_call":
        if facts.tps_lists is None:
            answer.note("no phone number is on record to screen against TPS/CTPS", "MKT-02")
            return answer.done(False)
        if facts.tps_lists:
            lists = "/".join(sorted(n.upper() for n in facts.tps_lists))
            answer.note(f"the number is on the {lists} list and there is no consent", "MKT-02")
            return answer.done(False)
    return _without_consent(declared, purposes, channel, facts, answer, rule)


def _without_consent(
    declared: list[MarketingChannel],
    purposes: list[str],
    channel: str,
    facts: Facts,
    answer: _Answer,
    rule: str,
) -> Decision:
    bases = {c.basis for c in declared}
    if "soft_opt_in" in bases and channel in ("email", "sms"):
        soft = _first(facts, "soft_opt_in", purposes, channel)
        if soft is not None and soft.state == "given":
            answer.note(
                "soft opt-in: details given in a sale or negotiation, with a chance to refuse",
                "MKT-01",
                records=(soft.ref,),
            )
            return answer.done(True)
        if soft is not None:
            answer.note("the person refused or opted out", "MKT-01", records=(soft.ref,))
            return answer.done(False)
    opted_out = _first(facts, "soft_opt_in", purposes, channel)
    if "legitimate_interests" in bases and channel in ("post", "live_call"):
        if opted_out is not None and opted_out.state != "given":
            answer.note("the person opted out", rule, records=(opted_out.ref,))
            return answer.done(False)
        answer.note("legitimate interests, and the person has not objected", rule, "OBJ-02")
        return answer.done(True)
    answer.note(f"{channel.replace('_', ' ')} marketing needs consent and none is recorded", rule)
    return answer.done(False)


def _purposes_of(declared: list[MarketingChannel]) -> list[str]:
    out: list[str] = []
    for c in declared:
        out.extend(p for p in c.purposes if p not in out)
    return out


def _first(facts: Facts, kind: str, purposes: list[str], channel: str) -> RecordFact | None:
    found = [facts.records.get((kind, p, channel)) for p in purposes]
    present = [f for f in found if f is not None]
    given = [f for f in present if f.state == "given"]
    chosen = given or present
    return chosen[0] if chosen else None
