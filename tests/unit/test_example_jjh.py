"""The Johnnie Johnson Housing register keeps the promises of its privacy notice."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dataward.calendar import Nation
from dataward.cli.app import app
from dataward.register.coverage import Fact, load_fact_sheet, measure_coverage
from dataward.register.elements import iter_elements
from dataward.register.loader import load_register
from dataward.register.models import (
    Hold,
    LawfulBasis,
    Offset,
    Purpose,
    Register,
    RetentionRule,
    Right,
    Trigger,
    Unspecified,
)

REGISTER = "johnnie-johnson-housing.yaml"
FACTS = "notices/facts-001-jjh.yaml"


@pytest.fixture(scope="module")
def register(examples_dir: Path) -> Register:
    return load_register(examples_dir / REGISTER).register


@pytest.fixture(scope="module")
def facts(examples_dir: Path) -> list[Fact]:
    return load_fact_sheet(examples_dir / FACTS)


def _rule(register: Register, rule_id: str) -> RetentionRule:
    return next(r for r in register.retention_rules if r.id == rule_id)


def _holds(register: Register, rule: RetentionRule) -> list[Hold]:
    return [h for h in register.holds if h.id in rule.holds]


def _offset(rule: RetentionRule) -> Offset:
    assert isinstance(rule.offset, Offset), rule.id
    return rule.offset


def _trigger_events(rule: RetentionRule) -> set[str]:
    assert isinstance(rule.trigger, Trigger)
    return set(rule.trigger.any_of)


def _purposes_with_fact(register: Register, ref: str) -> list[Purpose]:
    return [p for p in register.purposes if ref in p.facts]


def test_it_expresses_every_fact_of_the_notice(register: Register, facts: list[Fact]) -> None:
    report = measure_coverage(register, facts)
    assert report.problems == []
    assert report.covered == report.total == len(facts)


def test_it_names_the_controller_as_the_notice_does(register: Register) -> None:
    # RULES: SAR-03 (the nation picks the bank holidays), ROP-01
    assert register.controller.nation == Nation.ENG
    assert register.controller.company_number == "28496R"
    assert isinstance(register.controller.ico_registration, Unspecified)
    assert register.controller.registered_address is not None
    assert register.controller.registered_address.postcode == "WR1 3ZQ"


def test_it_keeps_tenancy_information_six_years_after_the_tenancy_ends_or_the_sale(
    register: Register,
) -> None:
    # RULES: RET-01
    rules = [r for r in register.retention_rules if "retention.r6" in r.facts]
    assert {r.action for r in rules} == {"delete", "destroy"}  # "securely destroyed or deleted"
    covered = {d for r in rules for d in r.covers.datasets}
    entities = {d.entity for d in register.datasets if d.id in covered}
    assert entities == {"tenancy"}
    for rule in rules:
        assert _trigger_events(rule) == {"tenancy_ended", "home_sold"}
        offset = _offset(rule)
        assert offset.years == 6
        assert not offset.up_to


def test_it_holds_tenancy_information_while_debt_or_legal_matters_are_outstanding(
    register: Register,
) -> None:
    # RULES: RET-02, ERA-02
    for rule in (_rule(register, "tenancy_records"), _rule(register, "tenancy_files")):
        holds = _holds(register, rule)
        assert {h.reason for h in holds} == {"debt_outstanding", "legal_matter"}
        assert all(h.on == ["tenancy"] for h in holds)
        # The notice gives no end to either hold.
        assert all(isinstance(h.on_close, Unspecified) for h in holds)


def test_it_deletes_cctv_footage_after_30_days_unless_needed_as_evidence(
    register: Register,
) -> None:
    # RULES: RET-01, RET-02
    rule = _rule(register, "cctv_footage")
    assert _trigger_events(rule) == {"footage_recorded"}
    offset = _offset(rule)
    assert offset.days == 30
    assert rule.action == "delete"
    assert [h.reason for h in _holds(register, rule)] == ["evidence"]


def test_it_keeps_call_recordings_six_months_from_an_unstated_start(register: Register) -> None:
    # RULES: RET-01 (the notice implies the call but never says so)
    rule = _rule(register, "call_recordings")
    offset = _offset(rule)
    assert offset.months == 6
    assert isinstance(rule.trigger, Unspecified)
    assert rule.action == "delete"


def test_it_keeps_publication_images_for_up_to_three_years(register: Register) -> None:
    # RULES: RET-01 (from the day the image is taken), RET-02 (no hold: a publication's
    # copies circulating for longer are not JJH's own, retention.r3)
    rule = _rule(register, "publication_images")
    offset = _offset(rule)
    assert (offset.years, offset.up_to) == (3, True)
    assert _trigger_events(rule) == {"image_taken"}
    assert rule.holds == []


def test_it_never_stores_card_details(register: Register) -> None:
    # RULES: RET-01
    rule = _rule(register, "card_details")
    assert rule.action == "never_stored"
    assert rule.covers.categories == ["card_details"]
    assert not any("card_details" in d.categories for d in register.datasets)
    partner = next(r for r in register.recipients if r.id == "payment_partner")
    assert partner.categories == ["card_details"]


def test_it_markets_by_email_and_sms_only_to_people_who_opted_in(register: Register) -> None:
    # RULES: MKT-01, OBJ-02, LAW-05
    marketing = register.marketing
    assert marketing.carried_out
    channels = {c.channel: c for c in marketing.channels}
    assert set(channels) == {"email", "sms"}
    assert all(c.basis == "consent" and c.sender == "own" for c in channels.values())
    assert {"unsubscribe_link", "contact_us", "portal"} <= set(channels["email"].opt_out_routes)
    # The unsubscribe link is "at the bottom of the email"; texts rely on the other routes.
    assert {"contact_us", "portal"} <= set(channels["sms"].opt_out_routes)
    (purpose,) = [p for p in register.purposes if p.marketing]
    assert LawfulBasis.CONSENT in [b.basis for b in purpose.bases]
    assert purpose.withdrawal_route


def test_it_never_shares_information_for_other_organisations_marketing(
    register: Register,
) -> None:
    # RULES: OBJ-02
    assert register.marketing.shares_for_third_party_marketing is False
    rules = {p.rule for p in register.sharing_policies}
    assert "no_sharing_for_third_party_marketing" in rules
    marketing_purposes = {p.id for p in register.purposes if p.marketing}
    assert not any(set(r.purposes) & marketing_purposes for r in register.recipients)


def test_it_lets_people_leave_surveys_profiling_and_publications(register: Register) -> None:
    # RULES: OBJ-01, LAW-05
    prefs = {p.topic: p for p in register.preferences}
    assert prefs["survey"].optional
    assert "survey_opt_out_link" in prefs["survey"].opt_out_routes
    assert "contact_us" in prefs["profiling"].opt_out_routes
    assert prefs["publication_images"].default == "ask"
    assert "contact_us" in prefs["publication_images"].opt_out_routes


def test_it_leaves_bases_the_notice_does_not_tie_unspecified(
    register: Register, facts: list[Fact]
) -> None:
    # RULES: LAW-01 (invent no basis: the DPO must record it)
    untied = [f for f in facts if f.section == "purposes" and "basis not tied" in f.text]
    assert len(untied) >= 20
    for fact in untied:
        purposes = _purposes_with_fact(register, fact.ref)
        assert purposes, fact.ref
        for purpose in purposes:
            assert purpose.bases, purpose.id
            assert all(isinstance(b.basis, Unspecified) for b in purpose.bases), purpose.id


@pytest.mark.parametrize(
    ("words", "basis"),
    [
        ("(basis: contract)", LawfulBasis.CONTRACT),
        ("(basis: legal duty", LawfulBasis.LEGAL_OBLIGATION),
        ("(basis: consent", LawfulBasis.CONSENT),
        ("(basis: legitimate interest", LawfulBasis.LEGITIMATE_INTERESTS),
    ],
)
def test_it_records_the_basis_the_notice_ties(
    register: Register, facts: list[Fact], words: str, basis: LawfulBasis
) -> None:
    # RULES: LAW-01
    tied = [f for f in facts if f.section == "purposes" and words in f.text]
    assert tied
    for fact in tied:
        purposes = _purposes_with_fact(register, fact.ref)
        assert purposes, fact.ref
        assert all(basis in [b.basis for b in p.bases] for p in purposes), fact.ref


def test_it_gives_every_right_the_notice_states(register: Register) -> None:
    # RULES: NTC-01, LAW-05
    items = {i.right: i for i in register.rights.items}
    assert {
        Right.INFORMED,
        Right.ACCESS,
        Right.RECTIFICATION,
        Right.ERASURE,
        Right.RESTRICTION,
        Right.OBJECTION,
        Right.NOT_TO_BE_PROFILED,
        Right.AUTOMATED_DECISIONS,
        Right.WITHDRAW_CONSENT,
    } <= set(items)
    routes = {(c.kind, c.value) for c in items[Right.WITHDRAW_CONSENT].routes}
    assert ("email", "dataprotection@sanctuary.co.uk") in routes
    assert any(kind == "post" and "WR1 3ZQ" in value for kind, value in routes)
    assert register.rights.complaints.ico_url == "https://ico.org.uk/make-a-complaint/"
    # g10, g11 (CMP-01): complain with the rights contacts, to JJH before the ICO.
    assert register.rights.complaints.use_rights_contacts
    assert register.rights.complaints.before_ico == "required"


def test_it_maps_applicant_facts_to_the_applicants_group(
    register: Register, facts: list[Fact]
) -> None:
    # The rendered notice has a section per group, so "Applicants: ..." must land there.
    carriers: dict[str, list[object]] = {}
    for located in iter_elements(register):
        for ref in located.element.facts:
            carriers.setdefault(ref, []).append(located.element)
    applicant_facts = [f for f in facts if f.text.startswith(("Applicants:", "Applicants ("))]
    assert applicant_facts
    for fact in applicant_facts:
        assert any(
            "applicants" in (getattr(e, "subject_groups", None) or []) for e in carriers[fact.ref]
        ), fact.ref


def test_it_passes_register_check_apart_from_lint_findings(examples_dir: Path) -> None:
    # Exit 2 would mean invalid; lint errors (unspecified bases, no breach procedure in the
    # notice) are expected and exit 1.
    result = CliRunner().invoke(app, ["register", "check", str(examples_dir / REGISTER)])
    assert result.exit_code == 1, result.output
    assert "valid;" in result.output
    assert "DW001" in result.output
