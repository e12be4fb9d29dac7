"""Register values in plain English: dates, enums, periods, contacts (RULES: NTC-01, RET-01).

Shared by the rendered notice and the register's exports (the record of processing, DPV),
so a period reads the same ("6 years after the end of the year in which ...") wherever a
member of the public or a DPO meets it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import Enum

from dataward.register.models import (
    Address,
    Contact,
    Hold,
    Offset,
    RestartAfter,
    RestartRule,
    RetentionRule,
    Trigger,
    Unspecified,
)

# Words for enum and literal codes where "replace underscores, capitalise" reads badly.
LABELS: dict[str, str] = {
    # lawful bases (LAW-01)
    "legitimate_interests": "Legitimate interests",
    "recognised_legitimate_interests": "Recognised legitimate interests",
    "legal_obligation": "Legal obligation",
    "public_task": "Public task",
    "vital_interests": "Vital interests",
    # Art 9 conditions (LAW-03)
    "explicit_consent": "Explicit consent",
    "employment_social_security": "Employment, social security and social protection law",
    "not_for_profit_body": "Activities of a not-for-profit body",
    "made_public": "Information the person has made public",
    "legal_claims": "Legal claims",
    "substantial_public_interest": "Substantial public interest",
    "health_or_social_care": "Health or social care",
    "public_health": "Public health",
    "archiving_research_statistics": "Archiving, research or statistics",
    "official_authority": "Official authority",
    # special categories
    "racial_or_ethnic_origin": "Racial or ethnic origin",
    "religious_or_philosophical_beliefs": "Religious or philosophical beliefs",
    "trade_union_membership": "Trade union membership",
    "sex_life": "Sex life",
    "genetic": "Genetic data",
    "biometric": "Biometric data",
    # provision (NTC-01)
    "statutory": "Required by law",
    "contractual": "Required by a contract",
    "contract_entry": "Needed to enter into a contract",
    "optional": "Optional",
    # marketing (MKT-01..04)
    "sms": "Text message (SMS)",
    "live_call": "Live phone calls",
    "automated_call": "Automated phone calls",
    "online_ads": "Online advertising",
    "any": "Any channel",
    "soft_opt_in": "Soft opt-in (existing customers)",
    "own": "Us",
    "third_party": "Third party",
    "unsubscribe_link": "Unsubscribe link in each message",
    "contact_us": "Contact us",
    "survey_opt_out_link": "Opt-out link in each survey",
    "reply_stop": "Reply STOP",
    "any_time": "At any time",
    "settings_page": "Our settings page",
    "link_in_every_message": "A link in every message we send",
    "cookie_banner": "The cookie banner on our website",
    "account": "Your account",
    "opted_in": "Included unless you opt out",
    "opted_out": "Not included unless you opt in",
    "ask": "We ask you first",
    # transfers
    "adequacy": "Adequacy regulations (the country is recognised as protecting data)",
    "idta": "International data transfer agreement (IDTA)",
    "addendum": "International data transfer addendum to the EU standard contractual clauses",
    "contract": "Contract",
    "art49_derogation": "An exception for specific situations (Article 49)",
    "not_needed": "No safeguard needed",
    "eea_only": "Only to the European Economic Area",
    "outside_eea": "Sometimes outside the European Economic Area",
    # recipients
    "joint_controller": "Joint controller",
    "public_authority": "Public authority",
    "may": "We may share it",
    "only_with_consent": "Only with your consent",
    "only_where_law_requires": "Only where the law requires it",
    "only_if_authorised_by_subject": "Only if you authorise it",
    "only_when_relevant": "Only when relevant",
    "only_on_request": "Only on request",
    "limited_circumstances": "Only in limited circumstances",
    "business_transfer": "If the business or its assets are transferred",
    "own_purposes": "Their own purposes",
    # retention (RET-01)
    "anonymise_or_destroy": "Anonymised or destroyed",
    "never_stored": "Never stored",
    "debt_outstanding": "Debt outstanding",
    # rights
    "objection_direct_marketing": "Objection to direct marketing",
    "automated_decisions": "Rights about automated decisions",
    "not_to_be_profiled": "Not to be profiled",
    "withdraw_consent": "Withdraw consent",
    "complain": "Complain",
    "informed": "To be informed",
    "electronic_unless_requested": "Electronically, unless you ask otherwise",
    "same_as_request": "The same way you made the request",
    "reasonable_fee": "We may charge a reasonable fee",
    "refuse": "We may refuse",
    "fee_or_refuse": "We may charge a reasonable fee or refuse",
    "not_applicable": "Does not apply",
    "conditional": "In some circumstances",
    # security and breaches (BRE-01..04)
    "dpo": "Data protection officer",
    "in_place": "In place",
    "in_progress": "In progress",
    "same_working_day": "The same working day",
    "next_working_day": "The next working day",
    "high_risk": "When the risk to them is high",
    "legally_required": "When the law requires it",
    "awareness": "When we become aware of it",
    "occurrence": "When it happens",
    # organisation; the nation decides whose bank holidays count (SAR-03)
    "ENG": "England",
    "WLS": "Wales",
    "SCT": "Scotland",
    "NIR": "Northern Ireland",
    "community_benefit_society": "Community benefit society",
    "group_company": "Group company",
    # sources
    "direct": "From you",
    "public": "Public sources",
    "observed": "Observed",
    "automated": "Automated",
    "derived": "Derived",
    # datasets
    "database_table": "Database",
    "file_store": "File store",
    "saas": "Online service",
    "in_person": "In person",
    "post": "Post",
    "web": "Website",
    "phone": "Phone",
    "customer_ref": "Customer reference",
    "case_ref": "Case reference",
    "ni_number": "National Insurance number",
    "account_id": "Account",
    # purpose policies
    "all_purposes": "All purposes",
    "purpose_limitation": "Purpose limitation",
    "compatible_use": "Compatible use",
    "new_purpose_notification": "New purposes",
    "processing_without_consent": "Processing without consent",
    "lawful_bases_used": "Lawful bases we use",
    "legitimate_interests_balancing": "Balancing legitimate interests",
    "basis_definition": "What the bases mean",
    # sharing policies
    "no_sharing_for_third_party_marketing": "No sharing for other organisations' marketing",
    "recipients_bound_by_contract": "Recipients are bound by contract",
    "processors_only_on_instructions": "Processors act only on our instructions",
    "disclosure_details_on_request": "Details of disclosures on request",
    "shared_for_listed_purposes_only": "Shared only for the purposes listed",
    "none_at_present": "No sharing at present",
    "publication_images": "Images in publications",
    "service_message": "Service messages",
    "contact_method": "How we contact you",
}

CONTACT_LABELS: dict[str, str] = {
    "email": "Email",
    "phone": "Phone",
    "post": "Post",
    "web": "Website",
    "portal": "Online portal",
    "form": "Online form",
    "in_person": "In person",
}


def words(code: str | Enum) -> str:
    """An enum or literal code in words: ``legitimate_interests`` -> "Legitimate interests"."""
    value = code.value if isinstance(code, Enum) else code
    text = str(value)
    if text in LABELS:
        return LABELS[text]
    spaced = text.replace("_", " ")
    return spaced[:1].upper() + spaced[1:]


NOT_STATED = "Not stated in this notice"
"""What the notice shows where it is silent on a point a reader needs to know."""


def not_stated(value: Unspecified) -> str:
    return f"{NOT_STATED}: {value.unspecified}"


def uk_date(value: dt.date | Unspecified | None) -> str:
    """``2024-02-20`` -> "20 February 2024" (UK style, no leading zero)."""
    if value is None:
        return NOT_STATED
    if isinstance(value, Unspecified):
        return not_stated(value)
    return f"{value.day} {value:%B %Y}"


def yes_no(value: bool) -> str:
    return "Yes" if value else "No"


def plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def offset_words(offset: Offset | Unspecified | None) -> str:
    """How long, in the notice's own terms (RET-01): "90 days", "up to 3 years"."""
    if offset is None:
        return NOT_STATED
    if isinstance(offset, Unspecified):
        return not_stated(offset)
    if offset.days is not None:
        text = "immediately" if offset.days == 0 else plural(offset.days, "day")
    elif offset.working_days is not None:
        text = plural(offset.working_days, "working day")
    elif offset.months is not None:
        text = plural(offset.months, "month")
    elif offset.years is not None:
        text = plural(offset.years, "year")
    elif offset.end_of_year_plus_years is not None:
        text = (
            f"{plural(offset.end_of_year_plus_years, 'year')} after the end of the year "
            "in which the starting event happens"
        )
    else:
        text = "as soon as reasonably necessary"
        if offset.review_every_days is not None:
            text += f" (reviewed every {plural(offset.review_every_days, 'day')})"
        return text
    if offset.up_to:
        text = f"up to {text}"
    return text


def trigger_words(trigger: Trigger | Unspecified | None, event_names: dict[str, str]) -> str:
    if trigger is None:
        return NOT_STATED
    if isinstance(trigger, Unspecified):
        return not_stated(trigger)
    names = [event_names.get(e, words(e)) for e in trigger.any_of]
    text = join_or(names)
    if len(names) > 1:
        text += " (whichever comes first)"
    if trigger.latest_of_entity:
        text += ", counting from the latest one"
    return text


def action_words(action: str) -> str:
    return {
        "delete": "Deleted",
        "anonymise": "Anonymised",
        "review": "Reviewed to decide whether it is still needed",
        "destroy": "Securely destroyed",
        "no_end_date": "Kept with no end date",
    }.get(action, words(action))


def kept_while_words(rule: RetentionRule) -> str | None:
    """ "While your tenancy lasts", and the offset after it ends where one is stated."""
    if rule.kept_while is None:
        return None
    text = f"While {rule.kept_while.state}"
    if isinstance(rule.offset, Offset):
        text += f", then {offset_words(rule.offset)} after it ends"
    elif isinstance(rule.offset, Unspecified):
        text += f"; how long after it ends: {not_stated(rule.offset)}"
    return text


def period_words(rule: RetentionRule, event_names: dict[str, str]) -> str:
    """The whole period as one phrase: "90 days after Case closed"."""
    if rule.action == "never_stored":
        return "We do not store this data"
    if rule.action == "no_end_date":
        return "Kept with no end date"
    if (while_words := kept_while_words(rule)) is not None:
        return while_words
    how_long = offset_words(rule.offset)
    if not isinstance(rule.offset, Offset):
        return how_long
    if isinstance(rule.trigger, Unspecified):
        return f"{how_long}; when the period starts is not stated: {rule.trigger.unspecified}"
    if rule.trigger is None:
        return f"{how_long}; when the period starts is not stated"
    when = _in_sentence(trigger_words(rule.trigger, event_names))
    if rule.offset.end_of_year_plus_years is not None:
        return f"{how_long} (starting event: {when})"
    return f"{how_long} after {when}"


def _in_sentence(text: str) -> str:
    """Lower-case a leading capital mid-sentence, but leave acronyms (DVLA, BWV) alone."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def on_close_words(hold: Hold) -> str:
    """What happens to held data when the hold closes (RET-02); empty for silence."""
    close = hold.on_close
    if close is None:
        return ""
    if isinstance(close, Unspecified):
        return not_stated(close)
    if isinstance(close, RestartAfter):
        kept = offset_words(close.restart_after)
        return f"Kept for {kept} after the hold ends, then the rule applies"
    if isinstance(close, RestartRule):
        return "The retention period starts again from the next starting event"
    if close == "resume":
        return "The retention period carries on where it stopped"
    return "The data is kept"


def join_or(items: Iterable[str]) -> str:
    return _join(list(items), "or")


def join_and(items: Iterable[str]) -> str:
    return _join(list(items), "and")


def _join(items: list[str], word: str) -> str:
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {word} {items[-1]}"


def address_words(address: Address) -> str:
    parts = list(address.lines)
    if address.postcode:
        parts.append(address.postcode)
    text = ", ".join(parts)
    return f"{address.label}: {text}" if address.label else text


def contact_label(contact: Contact) -> str:
    return contact.label or CONTACT_LABELS.get(contact.kind, words(contact.kind))


def contact_words(contact: Contact) -> str:
    return f"{contact_label(contact)}: {contact.value}"


def approximate_days(offset: Offset | Unspecified | None) -> float | None:
    """An offset in days for comparison only; None where it has no length (RET-01).

    Months and years use average lengths: good enough to say which of two periods is
    longer, never used to compute a deletion date.
    """
    if not isinstance(offset, Offset):
        return None
    if offset.days is not None:
        return float(offset.days)
    if offset.working_days is not None:
        return offset.working_days * 7 / 5
    if offset.months is not None:
        return offset.months * 30.44
    if offset.years is not None:
        return offset.years * 365.25
    if offset.end_of_year_plus_years is not None:
        # Up to a year more than N years, depending on when in the year the event falls.
        return offset.end_of_year_plus_years * 365.25 + 182.6
    return None
