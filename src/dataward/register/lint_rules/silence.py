"""Lint rules on silence: points the law requires a notice to state, left out of the register.

Leaving a field out means the notice is silent about it, and the notice then says nothing
there (no default speaks for the organisation). Where the law needs the point stated, these
rules say so instead: the DPO question, the transfer position, automated decisions, special
category data, retention, the nation whose bank holidays move deadlines, a channel's basis.
"""

from __future__ import annotations

from collections.abc import Iterator

from dataward.register.lint import Hit, rule
from dataward.register.models import Register


# RULES: SAR-03 (bank holidays differ by nation; nothing may assume England)
@rule("DW040", "error", "Controller's nation not stated", "SAR-03")
def nation_not_stated(register: Register) -> Iterator[Hit]:
    if register.controller.nation is None:
        yield Hit(
            ("controller", "nation"),
            "the register does not say whose bank holidays move its deadlines: set "
            "controller.nation to ENG, WLS, SCT or NIR; until then every deadline is refused "
            "(nation_missing)",
        )


# RULES: NTC-01 (Art 13(1)(b): the DPO's contact details, where one is appointed)
@rule("DW041", "error", "Whether a DPO is appointed is not stated", "NTC-01")
def dpo_not_stated(register: Register) -> Iterator[Hit]:
    if register.dpo.appointed is None:
        yield Hit(
            ("dpo", "appointed"),
            "the register does not say whether a data protection officer is appointed: set "
            "dpo.appointed to true or false (the notice shows nothing about it until then)",
        )


# RULES: NTC-01, LAW-01 (the purposes and the basis of each)
@rule("DW042", "error", "No purposes stated", "NTC-01, LAW-01")
def no_purposes(register: Register) -> Iterator[Hit]:
    if not register.purposes:
        yield Hit(
            ("purposes",),
            "the register states no purpose: list why personal data is used, each with its "
            "subject groups and Art 6 basis",
        )


# RULES: NTC-01 (transfers to third countries and their safeguards)
@rule("DW043", "error", "Transfer position not stated", "NTC-01")
def transfer_position_not_stated(register: Register) -> Iterator[Hit]:
    transfers = register.transfers
    if transfers.items:
        return  # the transfers listed are the position; DW012 checks their safeguards
    policy = transfers.policy
    if policy is None or policy.outside_uk is None:
        path = ("transfers",) if policy is None else ("transfers", "policy", "outside_uk")
        yield Hit(
            path,
            "the register does not say whether personal data leaves the UK: set "
            "transfers.policy.outside_uk (never, eea_only, outside_eea, sometimes), or "
            "{unspecified: why} where the notice leaves it unknown",
        )


# RULES: NTC-01, ADM-01 (the existence of automated decision-making, its logic and effect)
@rule("DW044", "error", "Automated decision-making, or its effect, not stated", "NTC-01, ADM-01")
def automated_decisions_not_stated(register: Register) -> Iterator[Hit]:
    decisions = register.automated_decisions
    if decisions.in_use is None and not decisions.items:
        yield Hit(
            ("automated_decisions", "in_use"),
            "the register does not say whether decisions with legal or similar effect are made "
            "by automated means: set automated_decisions.in_use to true or false",
        )
    for i, decision in enumerate(decisions.items):
        if decision.legal_or_similar_effect is None:
            yield Hit(
                ("automated_decisions", "items", i, "legal_or_similar_effect"),
                f"automated decision {decision.id!r} does not say whether it has a legal or "
                "similarly significant effect: state it, since Art 22 safeguards depend on it",
            )


# RULES: LAW-03, LAW-04, NTC-01 (special category and criminal offence data need a condition)
@rule(
    "DW045",
    "warning",
    "Special category and criminal offence status not stated",
    "LAW-03, LAW-04",
)
def special_status_not_stated(register: Register) -> Iterator[Hit]:
    if not register.data_categories:
        return
    stated = any(
        c.special_category is not None or c.criminal_offence is not None
        for c in register.data_categories
    ) or any(p.not_special is not None or p.special_conditions for p in register.purposes)
    if not stated:
        yield Hit(
            ("data_categories",),
            "no data category or purpose says whether special category or criminal offence "
            "data is held: mark the categories that are (special_category, criminal_offence), "
            "or record the notice's 'we do not collect' as categories with collected: false",
        )


# RULES: RET-01 (what happens at the end: delete, anonymise, review)
@rule("DW046", "error", "Retention rule without an end action", "RET-01")
def rule_without_action(register: Register) -> Iterator[Hit]:
    for i, retention_rule in enumerate(register.retention_rules):
        if retention_rule.action is None:
            yield Hit(
                ("retention_rules", i, "action"),
                f"retention rule {retention_rule.id!r} does not say what happens at the end of "
                "the period: set action (delete, anonymise, destroy, review, ...)",
            )


# RULES: MKT-01, MKT-02, MKT-03, MKT-04 (each channel has its own PECR rule)
@rule("DW047", "error", "Marketing channel without a stated basis", "MKT-01, MKT-04")
def channel_without_basis(register: Register) -> Iterator[Hit]:
    for i, channel in enumerate(register.marketing.channels):
        if channel.basis is None:
            yield Hit(
                ("marketing", "channels", i, "basis"),
                f"marketing channel {channel.id!r} states no basis: record consent, soft_opt_in "
                "or legitimate_interests; until then every decision on it is refused",
            )


# RULES: NTC-01 (how long data is kept, or the criteria used to decide)
@rule("DW048", "error", "Retention not stated", "NTC-01, RET-01")
def retention_not_stated(register: Register) -> Iterator[Hit]:
    if not register.retention_rules and not register.retention_policies:
        yield Hit(
            ("retention_rules",),
            "the register states no retention period or criteria: add retention rules, or a "
            "retention policy with the criteria the notice gives",
        )


# RULES: NTC-01 (the recipients or categories of recipients, if any)
@rule("DW049", "warning", "Recipients not stated", "NTC-01")
def recipients_not_stated(register: Register) -> Iterator[Hit]:
    if not register.recipients and not register.sharing_policies:
        yield Hit(
            ("recipients",),
            "the register names no recipient and no sharing policy: list who receives data, "
            "or record the notice's 'we do not share' as a sharing policy (none_at_present)",
        )


# RULES: OBJ-02, MKT-01 (whether there is marketing decides what objections and channels mean)
@rule("DW050", "warning", "Whether direct marketing is carried out is not stated", "OBJ-02")
def marketing_not_stated(register: Register) -> Iterator[Hit]:
    if register.marketing.carried_out is None:
        yield Hit(
            ("marketing", "carried_out"),
            "the register does not say whether direct marketing is carried out: set "
            "marketing.carried_out; until then every marketing decision is refused",
        )


# RULES: NTC-01 (the notice must not contradict itself)
@rule("DW051", "warning", "Preference both compulsory and open to opting out", "NTC-01")
def compulsory_preference_with_opt_out(register: Register) -> Iterator[Hit]:
    for i, preference in enumerate(register.preferences):
        if preference.optional is not False:
            continue
        if preference.default in ("opted_in", "opted_out") or preference.opt_out_routes:
            yield Hit(
                ("preferences", i, "optional"),
                f"preference {preference.id!r} is stated as not optional, yet it has a "
                "default or opt-out routes a person could use: correct one of them",
            )
