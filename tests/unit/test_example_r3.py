"""The R3 Repairs register (examples/r3-repairs.yaml) keeps the promises of its notice.

Each test pins one promise of R3's privacy policy as the register models it, so a change to
the register or to the models that breaks a promise fails here.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from dataward.calendar import Nation, statutory_deadline
from dataward.cli.app import app
from dataward.register.coverage import load_fact_sheet, measure_coverage
from dataward.register.elements import iter_elements
from dataward.register.loader import load_register
from dataward.register.models import (
    Element,
    LawfulBasis,
    MarketingChannel,
    Register,
    RetentionRule,
    Unspecified,
)


@pytest.fixture(scope="module")
def register_file(examples_dir: Path) -> Path:
    return examples_dir / "r3-repairs.yaml"


@pytest.fixture(scope="module")
def register(register_file: Path) -> Register:
    return load_register(register_file).register


@pytest.fixture(scope="module")
def fact_sheet(examples_dir: Path) -> Path:
    return examples_dir / "notices" / "facts-004-r3.yaml"


def channel(register: Register, channel_id: str) -> MarketingChannel:
    return next(c for c in register.marketing.channels if c.id == channel_id)


def retention_rule(register: Register, rule_id: str) -> RetentionRule:
    return next(r for r in register.retention_rules if r.id == rule_id)


def own_text(value: object, top: bool = True) -> str:
    """Every value of an element's own fields (nested elements excluded) as one string."""
    if isinstance(value, Element) and not top:
        return ""
    if isinstance(value, BaseModel):
        fields = type(value).model_fields
        return " ".join(own_text(getattr(value, k), False) for k in fields if k != "facts")
    if isinstance(value, list):
        return " ".join(own_text(v, False) for v in value)
    return "" if value is None else str(value)


# RULES: SAR-03 (test vector: 2026-12-01, SCT -> 2027-01-05, Scotland's substitute 2 January)
def test_it_moves_deadlines_by_scottish_bank_holidays(register: Register) -> None:
    assert register.controller.nation == Nation.SCT
    received = date(2026, 12, 1)
    assert statutory_deadline(received, register.controller.nation) == date(2027, 1, 5)
    # The same request to an English controller is due a day earlier: the nation matters.
    assert statutory_deadline(received, Nation.ENG) == date(2027, 1, 4)


# RULES: SAR-01, SAR-04 (one month; the notice states no maximum extension)
def test_it_answers_within_one_month_with_an_unstated_extension(register: Register) -> None:
    response = register.rights.response
    assert response.months == 1
    assert isinstance(response.extension_months, Unspecified)
    assert response.tell_subject_of_extension is True


# RULES: BRE-01 (16.6.1: the DPO is told on the same working day at the latest)
def test_it_tells_the_dpo_of_a_breach_the_same_working_day(register: Register) -> None:
    procedure = register.security.breach_procedure
    assert procedure is not None
    assert procedure.internal_report is not None
    assert procedure.internal_report.to == "dpo"
    assert procedure.internal_report.deadline == "same_working_day"
    assert procedure.decided_by == "dpo"


# RULES: BRE-02 (the notice promises 72 hours from occurrence, stricter than awareness)
def test_it_reports_to_the_ico_within_72_hours_of_the_breach_occurring(
    register: Register,
) -> None:
    procedure = register.security.breach_procedure
    assert procedure is not None
    assert procedure.ico_report_hours == 72
    assert procedure.ico_clock_starts == "occurrence"
    assert procedure.notify_third_parties is not None
    assert "Data Sharing Agreements" in procedure.notify_third_parties


# RULES: SAR-08 (17.5: free, a reasonable fee or refusal when unfounded or excessive)
def test_it_charges_no_fee_unless_a_request_is_unfounded_or_excessive(
    register: Register,
) -> None:
    fees = register.rights.fees
    assert fees.normally == "free"
    assert fees.when_unfounded_or_excessive == "fee_or_refuse"


# RULES: SAR-05, SAR-06 (17.4: identity check; may ask for further information)
def test_it_checks_identity_and_may_ask_for_clarification(register: Register) -> None:
    # 17.4 "We may need to request specific information": a possibility, not a requirement,
    # so the register leaves `required` silent rather than promise a check.
    check = register.rights.identity_check
    assert check is not None
    assert check.required is None
    assert check.description is not None
    assert "confirm your identity" in check.description
    assert register.rights.may_ask_for_clarification is True


# RULES: MKT-01 (9.2: own marketing only after a request or a purchase, unless opted out)
def test_it_sends_own_marketing_on_the_soft_opt_in(register: Register) -> None:
    own = channel(register, "own_marketing")
    assert (own.sender, own.basis) == ("own", "soft_opt_in")
    assert own.soft_opt_in_conditions is not None
    assert "purchased services" in own.soft_opt_in_conditions
    assert set(own.opt_out_routes) == {"unsubscribe_link", "contact_us"}


# RULES: MKT-01, LAW-05 (6.3: third-party email and text marketing only with consent)
def test_it_sends_third_party_marketing_only_with_consent(register: Register) -> None:
    third_party = [c for c in register.marketing.channels if c.sender == "third_party"]
    assert {c.channel for c in third_party} == {"email", "sms"}
    assert all(c.basis == "consent" for c in third_party)
    purpose = next(p for p in register.purposes if p.id == "third_party_marketing")
    assert [b.basis for b in purpose.bases] == [LawfulBasis.CONSENT]
    assert purpose.withdrawal_route


# RULES: OBJ-02 (10, 11.2: never shared for marketing; opt-out spares transaction data)
def test_it_never_shares_for_marketing_and_keeps_transaction_data_on_opt_out(
    register: Register,
) -> None:
    assert register.marketing.shares_for_third_party_marketing is False
    assert all("marketing" in r.never_for for r in register.recipients)
    assert any("service purchase" in e for e in register.marketing.opt_out_excludes)


# RULES: ROP-01
def test_it_records_the_ico_registration_number(register: Register) -> None:
    assert register.controller.ico_registration == "Z3279921"
    assert register.controller.company_number == "SC361210"


# RULES: NTC-03 (18.1: every five years or earlier, changes approved by the R3 Board)
def test_it_reviews_the_notice_every_five_years_approved_by_the_board(
    register: Register,
) -> None:
    notice = register.notice
    assert notice.review_every_months == 60
    assert notice.review_triggers
    assert notice.changes_approved_by == "the R3 Board"
    assert all(isinstance(v.date, Unspecified) for v in notice.versions)


# RULES: RET-01, RET-02 (16.2.3: a set time after the service ends, then anonymise or destroy)
def test_it_keeps_service_data_for_an_unstated_time_after_the_service_ends(
    register: Register,
) -> None:
    rule = retention_rule(register, "service_data")
    assert rule.trigger is not None
    assert not isinstance(rule.trigger, Unspecified)
    assert rule.trigger.any_of == ["service_ended"]
    assert isinstance(rule.offset, Unspecified)
    assert rule.action == "anonymise_or_destroy"
    assert {"complaint", "prospect_of_litigation"} <= set(rule.holds)
    membership = retention_rule(register, "membership_data")
    assert membership.trigger is not None
    assert not isinstance(membership.trigger, Unspecified)
    assert membership.trigger.any_of == ["membership_ended"]


# RULES: RET-02 (16.2.1: complaint and litigation holds with no stated end)
def test_it_holds_data_for_complaints_and_litigation_without_an_end(
    register: Register,
) -> None:
    holds = {h.id: h for h in register.holds}
    assert holds["complaint"].reason == "complaint"
    assert holds["prospect_of_litigation"].reason == "litigation"
    assert holds["restriction_for_legal_claims"].reason == "restriction"
    assert all(isinstance(h.on_close, Unspecified) for h in holds.values())


# RULES: LAW-01 (4.2: the AI speech recognition purpose has no stated basis)
def test_it_leaves_the_ai_purpose_without_an_invented_basis(register: Register) -> None:
    purpose = next(p for p in register.purposes if p.id == "ai_speech_recognition")
    assert purpose.bases
    assert all(isinstance(b.basis, Unspecified) for b in purpose.bases)


# RULES: NTC-01 (4.2 says no Financial Data is collected; the purposes table uses it)
def test_it_keeps_the_financial_data_contradiction_visible(register: Register) -> None:
    financial = next(c for c in register.data_categories if c.id == "financial")
    assert financial.collected is False
    contract = next(p for p in register.purposes if p.id == "perform_contract")
    assert "financial" in contract.categories


def test_it_expresses_every_fact_of_the_notice(register: Register, fact_sheet: Path) -> None:
    report = measure_coverage(register, load_fact_sheet(fact_sheet))
    assert report.problems == []
    assert report.covered == report.total > 0


# Addresses, numbers and links of a fact are shown by an element that carries the fact.
def test_it_puts_each_fact_token_on_an_element_carrying_the_fact(
    register: Register, fact_sheet: Path
) -> None:
    token = re.compile(r"[\w.+-]+@[\w.-]+\w|(?:https?://|www\.)\S+\w|\d{2,}")
    texts: dict[str, list[str]] = {}
    for located in iter_elements(register):
        for ref in located.element.facts:
            texts.setdefault(ref, []).append(own_text(located.element))
    missing = [
        (fact.ref, t)
        for fact in load_fact_sheet(fact_sheet)
        for t in token.findall(fact.text)
        if not any(t in text for text in texts.get(fact.ref, []))
    ]
    assert missing == []


# The notice's own gaps (no LIA, no dates, no periods) are lint errors for the DPO: exit 1.
def test_it_passes_register_check_as_valid_with_lint_errors(register_file: Path) -> None:
    result = CliRunner().invoke(app, ["register", "check", str(register_file)])
    assert result.exit_code == 1, result.output
    assert "valid;" in result.output
    assert "DW026" in result.output  # Financial Data declared not collected, yet used
