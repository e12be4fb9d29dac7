"""The decision itself: a pure function of the register's rules and one subject's facts.

Kept free of the database so it is cheap (campaigns ask millions of times) and so the
property tests can drive it with any sequence of events. Order matters and is the point:
restriction (RES-01) and objection (OBJ-01/02) are checked before anything that could
allow, so no consent, preference or basis can outrank them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from dataward.consent import reason_codes as code
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


@dataclass(frozen=True)
class TpsScreening:
    """Whether the TPS/CTPS copies may be screened against now (MKT-02), and why not."""

    current: bool
    why: str


@dataclass
class Facts:
    """What is on record for one subject (an identity no subject holds has no facts: see
    ``evaluate_stranger``)."""

    subject_ref: str | None = None
    # (kind, purpose, channel) -> record; channel "" when none
    records: dict[tuple[str, str, str], RecordFact] = field(default_factory=dict)
    objections: list[ObjectionFact] = field(default_factory=list)
    restrictions: list[RestrictionFact] = field(default_factory=list)
    # Live calls: the lists holding the subject's numbers; None when no number is known.
    tps_lists: set[str] | None = None
    # Live calls: how current the lists are. None means nobody screened: no call is allowed
    # on legitimate interests without it.
    tps_screening: TpsScreening | None = None

    @property
    def blank(self) -> bool:
        """Nothing on record: the answer depends on the question alone."""
        return not (self.records or self.objections or self.restrictions) and (
            self.tps_lists is None and self.tps_screening is None
        )


@dataclass(frozen=True)
class Decision:
    allow: bool
    # The stable reason code of the answer (``reason_codes``); ``reasons`` are its words.
    code: str
    reasons: list[str]
    rules: list[str]
    records: list[str]
    subject_ref: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "allow": self.allow,
            "code": self.code,
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

    def done(self, allow: bool, reason_code: str) -> Decision:
        return Decision(
            allow, reason_code, self.reasons, self.rules, self.records, self.facts.subject_ref
        )


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
            return answer.done(False, code.RESTRICTED)
    if rules.marketing:
        return _marketing(policy, rules, channel, facts, answer)
    return _processing(policy, rules, channel, facts, answer)


def evaluate_stranger(policy: Policy, purpose: str, channel: str | None) -> Decision:
    """The answer for an identity that no subject holds: never allowed by default.

    The register's purposes and bases are stated for its subjects; for someone it does not
    know, nothing is on record (no consent, no opt-out, no objection a person could have
    made), so legitimate interests cannot be presumed. The register has no field about
    marketing to people it does not know, so the answer says it is silent on that.
    """
    rules = policy.purpose(purpose)
    answer = _Answer(Facts())
    answer.note("no subject holds this identity: nothing is on record for the person")
    if not rules.marketing:
        answer.note(f"{rules.name!r} is stated for the register's subjects only", "LAW-01")
    elif not policy.marketing_carried_out:
        rule = CHANNEL_RULE.get(channel or "", "MKT-01")
        answer.note(_NO_MARKETING[policy.marketing_silent], rule)
    else:
        rule = CHANNEL_RULE.get(channel or "", "MKT-01")
        answer.note(
            "the register is silent about marketing to people it does not know, so none is allowed",
            rule,
        )
    return answer.done(False, code.NO_SUBJECT)


def evaluate_suppressed(policy: Policy, purpose: str, channel: str | None) -> Decision | None:
    """The answer for an identity no subject holds that is on the suppression list.

    None when the question is not about marketing: the stranger's answer stands then.
    """
    rules = policy.purpose(purpose)
    if not rules.marketing:
        return None
    answer = _Answer(Facts())
    answer.note(
        "this identity is on the suppression list: a person who held it objected to or opted "
        "out of this marketing"
        + (f" by {channel.replace('_', ' ')}" if channel else "")
        + " before they were erased",
        "OBJ-02",
    )
    return answer.done(False, code.SUPPRESSED)


def _processing(
    policy: Policy, rules: PurposeRules, channel: str | None, facts: Facts, answer: _Answer
) -> Decision:
    if rules.unspecified:
        answer.note(f"the register gives no lawful basis for {rules.name!r}", "LAW-01")
        return answer.done(False, code.NO_LAWFUL_BASIS)
    if not _conditions_stated([rules], answer):
        return answer.done(False, _first_gap([rules]))
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
            return answer.done(False, code.OBJECTED)
    if rules.consent_only:
        found = facts.records.get(("consent", rules.id, ""))
        if found is None:
            answer.note(f"{rules.name!r} rests on consent and none is recorded", "LAW-05")
            return answer.done(False, code.NO_CONSENT)
        if found.state != "given":
            answer.note(
                f"consent was withdrawn on {_when(found.changed_at)}",
                "LAW-05",
                records=(found.ref,),
            )
            return answer.done(False, code.CONSENT_WITHDRAWN)
        answer.note("the person consented", "LAW-05", records=(found.ref,))
        allowed = code.CONSENTED
    else:
        bases = ", ".join(sorted(b.replace("_", " ") for b in rules.bases))
        answer.note(f"{rules.name!r} rests on {bases} in the register", "LAW-01")
        allowed = code.LAWFUL_BASIS
    if not _preferences_allow(policy, rules.id, channel, facts, answer):
        return answer.done(False, code.PREFERENCE_OFF)
    return answer.done(True, allowed)


def _conditions_stated(purposes: list[PurposeRules], answer: _Answer) -> bool:
    """LAW-03/LAW-04: every special category or criminal offence data has its condition."""
    gaps = [gap for rules in purposes for gap in rules.condition_gaps]
    for gap in gaps:
        answer.note(gap.reason, gap.rule)
    return not gaps


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
        # "superseded": the person's own consent on the channel since replaced it.
        if objection.kind != "direct_marketing" or objection.outcome == "superseded":
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
        return answer.done(False, code.NO_MARKETING)
    objection = _dm_objection(channel, facts)
    if objection is not None and objection.outcome == "suppressed":
        answer.note(
            "this identity is on the suppression list: a person who held it before objected "
            "to or opted out of this marketing and was then erased; it stays stopped until "
            "the person opts in again themselves",
            "OBJ-02",
            records=(objection.ref,),
        )
        return answer.done(False, code.SUPPRESSED)
    if objection is not None:
        answer.note(
            "the person objected to direct marketing"
            + (f" by {channel.replace('_', ' ')}" if channel else "")
            + ": this is absolute",
            "OBJ-02",
            records=(objection.ref,),
        )
        return answer.done(False, code.OBJECTED_TO_MARKETING)
    if channel is None:
        answer.note("name a channel: marketing rules differ by channel (PECR)", "MKT-01")
        return answer.done(False, code.CHANNEL_MISSING)
    declared = policy.channels_for(rules.id, channel)
    if not declared:
        answer.note(f"the register declares no {channel.replace('_', ' ')} marketing here", rule)
        return answer.done(False, code.CHANNEL_NOT_DECLARED)
    purposes = [rules.id] if rules.id != DIRECT_MARKETING else _purposes_of(declared)
    # Marketing in general needs every declared purpose's data to have its conditions.
    using = [rules] if rules.id != DIRECT_MARKETING else _known(policy, purposes)
    if not _conditions_stated(using, answer):
        return answer.done(False, _first_gap(using))
    consent = _first(facts, "consent", purposes, channel)
    if consent is not None and consent.state == "given":
        if channel == "live_call" and facts.tps_lists:
            answer.note("the number is on the TPS/CTPS list, but the person consented to calls")
        answer.note(
            "the person consented to this marketing", rule, "LAW-05", records=(consent.ref,)
        )
        return answer.done(True, code.CONSENTED)
    if consent is not None:
        answer.note(
            f"consent to this marketing was withdrawn on {_when(consent.changed_at)}",
            rule,
            "LAW-05",
            records=(consent.ref,),
        )
        return answer.done(False, code.CONSENT_WITHDRAWN)
    if channel == "automated_call":
        answer.note("automated calls need specific consent, and none is recorded", "MKT-03")
        return answer.done(False, code.NO_CONSENT)
    if channel == "live_call":
        screening = facts.tps_screening
        if screening is None or not screening.current:
            why = screening.why if screening else "nobody screened the number against TPS/CTPS"
            answer.note(f"{why}: with no screening, no marketing call", "MKT-02")
            return answer.done(False, code.TPS_NOT_SCREENED)
        if facts.tps_lists is None:
            answer.note("no phone number is on record to screen against TPS/CTPS", "MKT-02")
            return answer.done(False, code.NO_NUMBER)
        if facts.tps_lists:
            lists = "/".join(sorted(n.upper() for n in facts.tps_lists))
            answer.note(f"the number is on the {lists} list and there is no consent", "MKT-02")
            return answer.done(False, code.TPS_LISTED)
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
            return answer.done(True, code.SOFT_OPT_IN)
        if soft is not None:
            answer.note("the person refused or opted out", "MKT-01", records=(soft.ref,))
            return answer.done(False, code.OPTED_OUT)
    opted_out = _first(facts, "soft_opt_in", purposes, channel)
    if "legitimate_interests" in bases and channel in ("post", "live_call"):
        if opted_out is not None and opted_out.state != "given":
            answer.note("the person opted out", rule, records=(opted_out.ref,))
            return answer.done(False, code.OPTED_OUT)
        answer.note("legitimate interests, and the person has not objected", rule, "OBJ-02")
        return answer.done(True, code.LEGITIMATE_INTERESTS)
    answer.note(f"{channel.replace('_', ' ')} marketing needs consent and none is recorded", rule)
    return answer.done(False, code.NO_CONSENT)


def _known(policy: Policy, purposes: list[str]) -> list[PurposeRules]:
    return [policy.purposes[p] for p in purposes if p in policy.purposes]


def _first_gap(purposes: list[PurposeRules]) -> str:
    """The reason code of the first LAW-03/LAW-04 gap among ``purposes``."""
    return next(gap.code for rules in purposes for gap in rules.condition_gaps)


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
