"""Lint rules on direct marketing and cookies (PECR) and the objection to marketing."""

from __future__ import annotations

from collections.abc import Iterator

from dataward.register.cookie_kinds import cookie_kind, names_an_exemption
from dataward.register.lint import Hit, rule
from dataward.register.lint_rules._shared import markets
from dataward.register.models import Register, Right

# "any" covers every channel, so it is held to the rules of email and SMS too.
_ELECTRONIC_MAIL = frozenset({"email", "sms", "any"})


# RULES: MKT-01
@rule("DW008", "error", "Email or SMS marketing without consent or soft opt-in", "MKT-01")
def electronic_mail_without_consent(register: Register) -> Iterator[Hit]:
    for i, channel in enumerate(register.marketing.channels):
        if channel.channel not in _ELECTRONIC_MAIL:
            continue
        if channel.basis == "legitimate_interests":
            yield Hit(
                ("marketing", "channels", i, "basis"),
                f"marketing channel {channel.id!r} sends {channel.channel} marketing on "
                "legitimate interests: PECR needs prior consent or the soft opt-in",
            )
        elif channel.basis == "soft_opt_in" and channel.sender == "third_party":
            yield Hit(
                ("marketing", "channels", i, "basis"),
                f"marketing channel {channel.id!r} uses the soft opt-in for a third party's "
                "marketing: the soft opt-in covers only the organisation's own similar products; "
                "get consent",
            )


# RULES: MKT-03
@rule("DW009", "error", "Automated-call marketing without consent", "MKT-03")
def automated_calls_without_consent(register: Register) -> Iterator[Hit]:
    for i, channel in enumerate(register.marketing.channels):
        if channel.channel == "automated_call" and channel.basis != "consent":
            yield Hit(
                ("marketing", "channels", i, "basis"),
                f"marketing channel {channel.id!r} makes automated marketing calls on "
                f"{channel.basis or 'no stated basis'}: PECR allows them only with specific "
                "consent",
            )


# RULES: MKT-01 (details from a sale, similar products, a chance to refuse every time)
@rule("DW010", "warning", "Soft opt-in without its recorded conditions", "MKT-01")
def soft_opt_in_without_conditions(register: Register) -> Iterator[Hit]:
    for i, channel in enumerate(register.marketing.channels):
        if channel.basis == "soft_opt_in" and channel.soft_opt_in_conditions is None:
            yield Hit(
                ("marketing", "channels", i, "soft_opt_in_conditions"),
                f"marketing channel {channel.id!r} relies on the soft opt-in without recording "
                "its conditions: say how details were obtained, which similar products are "
                "marketed and how people can refuse at collection and in every message",
            )


# RULES: MKT-01, OBJ-02
@rule("DW011", "error", "Marketing channel without an opt-out route", "MKT-01, OBJ-02")
def channel_without_opt_out(register: Register) -> Iterator[Hit]:
    for i, channel in enumerate(register.marketing.channels):
        if not channel.opt_out_routes:
            yield Hit(
                ("marketing", "channels", i, "opt_out_routes"),
                f"marketing channel {channel.id!r} gives no way to opt out: add opt_out_routes "
                "(an unsubscribe link, a reply STOP, a contact)",
            )


# RULES: OBJ-02 (a declaration of no marketing must hold for the whole register)
@rule(
    "DW030",
    "error",
    "Marketing declared as not carried out, yet marketing channels or purposes exist",
    "OBJ-02",
)
def marketing_contradiction(register: Register) -> Iterator[Hit]:
    if register.marketing.carried_out is not False:
        return
    for i, channel in enumerate(register.marketing.channels):
        yield Hit(
            ("marketing", "channels", i),
            f"marketing is declared as not carried out, yet channel {channel.id!r} is listed: "
            "remove the channel or set marketing.carried_out to true",
        )
    for i, purpose in enumerate(register.purposes):
        if purpose.marketing:
            yield Hit(
                ("purposes", i, "marketing"),
                f"marketing is declared as not carried out, yet purpose {purpose.id!r} is "
                "marked as marketing: correct one of them",
            )


# RULES: OBJ-02 (absolute, immediate, every channel)
@rule(
    "DW032",
    "error",
    "Objection to direct marketing not absolute while marketing is carried out",
    "OBJ-02",
)
def marketing_objection_not_absolute(register: Register) -> Iterator[Hit]:
    if not markets(register):
        return
    items = register.rights.items
    found = False
    for k, item in enumerate(items):
        if item.right != Right.OBJECTION_DIRECT_MARKETING:
            continue
        found = True
        if item.applies != "always":
            yield Hit(
                ("rights", "items", k, "applies"),
                f"the objection to direct marketing applies {item.applies or 'not stated'!r}: "
                "it is absolute while marketing is carried out; set applies to always",
            )
        elif item.conditions or item.may_refuse_when:
            yield Hit(
                ("rights", "items", k),
                "the objection to direct marketing carries conditions or refusal grounds: it "
                "is absolute; remove them",
            )
    if not found:
        yield Hit(
            ("rights", "items"),
            "marketing is carried out but the rights settings omit the objection to direct "
            "marketing: add it with applies: always",
        )


# RULES: MKT-05 (consent before non-essential storage or access)
@rule("DW034", "error", "Non-essential cookie category without consent", "MKT-05")
def cookie_category_without_consent(register: Register) -> Iterator[Hit]:
    for i, category in enumerate(register.cookies.categories):
        if category.consent_required:
            continue
        # Strictly necessary storage is exempt from reg 6 consent, and DUAA adds low-risk
        # uses (statistics, appearance, security). A category named for none needs consent.
        if names_an_exemption(category):
            continue
        yield Hit(
            ("cookies", "categories", i, "consent_required"),
            f"cookie category {category.id!r} is set without consent but is not named as "
            "strictly necessary or a low-risk exempt use (statistics, appearance, security): "
            "ask for consent, or name the exemption it relies on",
        )


# RULES: MKT-05 (the DUAA low-risk exemptions do not cover identifying people)
@rule("DW054", "error", "Cookie category exempt from consent but identifies people", "MKT-05")
def exempt_cookie_category_identifies_people(register: Register) -> Iterator[Hit]:
    for i, category in enumerate(register.cookies.categories):
        if category.consent_required or not category.identifies_subjects:
            continue
        kind = cookie_kind(category)
        yield Hit(
            ("cookies", "categories", i, "consent_required"),
            f"cookie category {category.id!r} is set without consent but identifies people "
            + (
                "(for example by a customer reference): a low-risk exemption (statistics, "
                "appearance, security) covers no such thing, and it may not be always on: "
                "ask for consent"
                if kind == "exempt"
                else "while named strictly necessary: only what the service cannot work "
                "without is always on; ask for consent for the rest"
            ),
        )
