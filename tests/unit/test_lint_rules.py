"""Every lint rule fires on a register built to break it and stays quiet on one that meets it.

Registers come from ``lint_fixtures``: a base that yields no finding at all, changed one
thing at a time, so a finding can only come from the change.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from lint_complaint_cases import COMPLAINT_CASES
from lint_fixtures import (
    Case,
    Mutation,
    add,
    build,
    drop,
    put,
    right_index,
    unspecified,
)
from lint_format_cases import FORMAT_CASES
from lint_silence_cases import SILENCE_CASES

from dataward.register.lint import Finding, PathKey, all_rules, lint
from dataward.register.models import Register, Right

DOCS = Path(__file__).resolve().parents[2] / "docs" / "lint-rules.md"


def at(register: Register, rule_id: str) -> list[PathKey]:
    return [f.path for f in lint(register) if f.rule_id == rule_id]


def channel(**overrides: Any) -> dict[str, Any]:
    base = {
        "id": "offers",
        "channel": "email",
        "basis": "consent",
        "opt_out_routes": ["unsubscribe_link"],
    }
    return {**base, **overrides}


def marketing_with(**overrides: Any) -> Mutation:
    return put(("marketing",), {"carried_out": True, "channels": [channel(**overrides)]})


def recipient(**overrides: Any) -> dict[str, Any]:
    base = {
        "id": "mail_host",
        "name": "Mail hosting provider",
        "role": "processor",
        "subject_groups": ["tenants"],
        "contract_reference": "Contract C-12",
    }
    return {**base, **overrides}


def transfer(**overrides: Any) -> dict[str, Any]:
    base = {
        "id": "us_hosting",
        "description": "Email hosted in the United States.",
        "destinations": ["United States"],
        "safeguard": "idta",
    }
    return {**base, **overrides}


HEALTH = {
    "id": "health",
    "name": "Health needs",
    "special_category": "health",
    "subject_groups": ["tenants"],
}
CONVICTIONS = {"id": "convictions", "name": "Unspent convictions", "criminal_offence": True}
CONSENT_PURPOSE = {
    "id": "newsletter",
    "name": "Send the residents' newsletter",
    "subject_groups": ["tenants"],
    "categories": ["contact_details"],
    "bases": [{"basis": "consent"}],
    "withdrawal_route": ["Unsubscribe link in every issue."],
}
SPI_CONDITION = {
    "categories": ["health"],
    "condition": "substantial_public_interest",
    "schedule_1": {"part": 2, "paragraph": 18, "name": "Safeguarding of children"},
}
HOLD = {
    "id": "complaint_open",
    "name": "Open complaint",
    "reason": "complaint",
    "on": "tenancy",
    "on_close": "keep",
}
REPAIRS = {
    "id": "repairs",
    "name": "Repair requests",
    "store": "saas",
    "entity": "repair",
    "subject_groups": ["tenants"],
    "identities": ["customer_ref"],
}
DECISION = {
    "id": "rent_check",
    "name": "Affordability check",
    "description": "Scores applications automatically.",
    "legal_or_similar_effect": True,
}
ADVERTISING = {
    "id": "advertising",
    "name": "Advertising",
    "consent_required": False,
    "description": "Shows our adverts on other sites.",
}
OBJECTION = right_index(Right.OBJECTION_DIRECT_MARKETING)
COMPLAIN = right_index(Right.COMPLAIN)
PORTABILITY = right_index(Right.PORTABILITY)
RULE0 = ("retention_rules", 0)

CASES = [
    # RULES: LAW-01
    Case("DW001", (put(("purposes", 0, "bases"), []),), ("purposes", 0)),
    # RULES: LAW-01
    Case(
        "DW002",
        (
            put(
                ("purposes", 0, "bases"),
                [{"basis": "contract"}, {"basis": "legal_obligation"}],
            ),
        ),
        ("purposes", 0, "bases"),
        # The same basis twice, for two parts of the purpose, is one basis.
        (
            put(
                ("purposes", 0, "bases"),
                [{"basis": "contract", "covers": "rent"}, {"basis": "contract", "covers": "keys"}],
            ),
        ),
    ),
    # RULES: LAW-02
    Case(
        "DW003",
        (put(("purposes", 0, "bases"), [{"basis": "legitimate_interests"}]),),
        ("purposes", 0, "bases", 0, "lia_reference"),
        (
            put(
                ("purposes", 0, "bases"),
                [{"basis": "legitimate_interests", "lia_reference": "LIA-2026-03"}],
            ),
        ),
    ),
    # RULES: LAW-03
    Case(
        "DW004",
        (add(("data_categories",), HEALTH), add(("purposes", 0, "categories"), "health")),
        ("purposes", 0, "categories", 1),
        (
            add(("data_categories",), HEALTH),
            add(("purposes", 0, "categories"), "health"),
            put(
                ("purposes", 0, "special_conditions"),
                [{"categories": ["health"], "condition": "explicit_consent"}],
            ),
        ),
    ),
    # RULES: LAW-03
    Case(
        "DW005",
        (
            add(("data_categories",), HEALTH),
            add(("purposes", 0, "categories"), "health"),
            put(("purposes", 0, "special_conditions"), [SPI_CONDITION]),
        ),
        ("purposes", 0, "special_conditions", 0, "appropriate_policy_document"),
        (
            add(("data_categories",), HEALTH),
            add(("purposes", 0, "categories"), "health"),
            put(
                ("purposes", 0, "special_conditions"),
                [{**SPI_CONDITION, "appropriate_policy_document": "APD v2, intranet"}],
            ),
        ),
    ),
    # RULES: LAW-04
    Case(
        "DW006",
        (add(("data_categories",), CONVICTIONS), add(("purposes", 0, "categories"), "convictions")),
        ("purposes", 0, "categories", 1),
        (
            add(("data_categories",), CONVICTIONS),
            add(("purposes", 0, "categories"), "convictions"),
            put(
                ("purposes", 0, "special_conditions"),
                [{"categories": ["convictions"], "condition": "official_authority"}],
            ),
        ),
    ),
    # RULES: LAW-05
    Case(
        "DW007",
        (add(("purposes",), {**CONSENT_PURPOSE, "withdrawal_route": []}),),
        ("purposes", 1, "withdrawal_route"),
        (add(("purposes",), CONSENT_PURPOSE),),
    ),
    # RULES: MKT-01
    Case(
        "DW008",
        (marketing_with(basis="legitimate_interests"),),
        ("marketing", "channels", 0, "basis"),
        (marketing_with(channel="post", basis="legitimate_interests"),),
    ),
    # RULES: MKT-03
    Case(
        "DW009",
        (
            marketing_with(
                channel="automated_call", basis="soft_opt_in", soft_opt_in_conditions="Buyers."
            ),
        ),
        ("marketing", "channels", 0, "basis"),
        (marketing_with(channel="automated_call", basis="consent"),),
    ),
    # RULES: MKT-01
    Case(
        "DW010",
        (marketing_with(basis="soft_opt_in"),),
        ("marketing", "channels", 0, "soft_opt_in_conditions"),
        (
            marketing_with(
                basis="soft_opt_in",
                soft_opt_in_conditions="Details from a tenancy; similar lettings; refuse anytime.",
            ),
        ),
    ),
    # RULES: MKT-01, OBJ-02
    Case(
        "DW011",
        (marketing_with(opt_out_routes=[]),),
        ("marketing", "channels", 0, "opt_out_routes"),
        (marketing_with(),),
    ),
    # RULES: NTC-01, ROP-01
    Case(
        "DW012",
        (add(("transfers", "items"), transfer(safeguard="unspecified")),),
        ("transfers", "items", 0, "safeguard"),
        (add(("transfers", "items"), transfer()),),
    ),
    # RULES: NTC-01
    Case(
        "DW013",
        (add(("recipients",), recipient(located_in=["UK", "United States"])),),
        ("recipients", 0, "located_in", 1),
        (
            add(("recipients",), recipient(located_in=["UK", "United States"])),
            add(("transfers", "items"), transfer(recipients=["mail_host"])),
        ),
    ),
    # RULES: RET-01
    Case(
        "DW014",
        (drop((*RULE0, "trigger")),),
        (*RULE0, "trigger"),
        (
            drop((*RULE0, "trigger")),
            drop((*RULE0, "offset")),
            put((*RULE0, "action"), "never_stored"),
        ),
    ),
    # RULES: RET-01
    Case(
        "DW015",
        (put((*RULE0, "covers"), {}),),
        (*RULE0, "covers"),
        (put((*RULE0, "covers"), {"categories": ["contact_details"]}),),
    ),
    # RULES: RET-01
    Case(
        "DW016",
        (add(("datasets",), REPAIRS),),
        ("datasets", 1),
        (add(("datasets",), REPAIRS), put((*RULE0, "covers"), {"all_data_of_groups": ["tenants"]})),
    ),
    # RULES: RET-01
    Case(
        "DW017",
        (drop((*RULE0, "offset")),),
        (*RULE0, "offset"),
        (
            drop((*RULE0, "offset")),
            drop((*RULE0, "trigger")),
            put((*RULE0, "action"), "never_stored"),
        ),
    ),
    # RULES: RET-02
    Case(
        "DW018",
        (add(("holds",), HOLD),),
        ("holds", 0, "on_close"),
        (add(("holds",), {**HOLD, "on_close": {"restart_after": {"days": 90}}}),),
    ),
    # RULES: NTC-01
    Case(
        "DW019",
        (put(("dpo", "contacts"), []),),
        ("dpo", "contacts"),
        (put(("dpo", "appointed"), False),),
    ),
    # RULES: NTC-01
    Case(
        "DW020",
        (put(("rights", "complaints", "ico_url"), "https://example.org/complaints"),),
        ("rights", "complaints", "ico_url"),
        (put(("rights", "complaints", "ico_url"), "https://ICO.org.uk/concerns"),),
    ),
    # RULES: SAR-01, SAR-04
    Case(
        "DW021",
        (put(("rights", "response"), {"months": 1, "extension_months": 3}),),
        ("rights", "response", "extension_months"),
        # No extension at all: nothing to tell the subject of.
        (
            put(
                ("rights", "response"),
                {"months": 1, "extension_months": 0, "tell_subject_of_extension": False},
            ),
        ),
    ),
    # RULES: NTC-01
    Case(
        "DW022",
        (put(("controller", "contacts"), []),),
        ("controller", "contacts"),
        (
            put(("controller", "contacts"), []),
            put(("controller", "registered_address"), {"lines": ["1 High Street", "Leeds"]}),
        ),
    ),
    # RULES: NTC-03
    Case(
        "DW023",
        (put(("notice", "versions", 0, "date"), unspecified("The notice is undated.")),),
        ("notice", "versions", 0, "date"),
    ),
    # RULES: NTC-01
    Case(
        "DW024",
        (add(("subject_groups",), {"id": "staff", "name": "Staff", "description": "Employees."}),),
        ("subject_groups", 1),
        (
            add(("subject_groups",), {"id": "staff", "name": "Staff", "description": "Employees."}),
            add(("purposes", 0, "subject_groups"), "staff"),
        ),
    ),
    # RULES: ROP-01
    Case(
        "DW025",
        (add(("data_categories",), {"id": "bank_details", "name": "Bank details"}),),
        ("data_categories", 1),
        (add(("data_categories",), {"id": "bank_details", "name": "Bank", "collected": False}),),
    ),
    # RULES: NTC-01
    Case(
        "DW026",
        (
            add(("data_categories",), {"id": "cctv", "name": "CCTV", "collected": False}),
            add(("datasets", 0, "categories"), "cctv"),
        ),
        ("datasets", 0, "categories", 1),
        (add(("data_categories",), {"id": "cctv", "name": "CCTV", "collected": False}),),
    ),
    # RULES: NTC-01, NTC-02
    Case(
        "DW027",
        (add(("sources",), {"id": "referees", "name": "Referees", "type": "third_party"}),),
        ("sources", 0, "categories"),
        (
            add(
                ("sources",),
                {
                    "id": "referees",
                    "name": "Referees",
                    "type": "third_party",
                    "categories": ["contact_details"],
                },
            ),
        ),
    ),
    # RULES: ROP-01
    Case(
        "DW028",
        (add(("recipients",), recipient(contract_reference=None)),),
        ("recipients", 0, "contract_reference"),
        (
            add(("recipients",), recipient(contract_reference=None)),
            put(("security", "processor_checks"), True),
        ),
    ),
    # RULES: NTC-01
    Case("DW029", (drop(("rights", "items", PORTABILITY)),), ("rights", "items")),
    # RULES: OBJ-02
    Case(
        "DW030",
        (put(("purposes", 0, "marketing"), True),),
        ("purposes", 0, "marketing"),
        (put(("purposes", 0, "marketing"), True), put(("marketing", "carried_out"), True)),
    ),
    # RULES: ROP-01
    Case(
        "DW031",
        (put(("controller", "ico_registration"), unspecified("No number is given.")),),
        ("controller", "ico_registration"),
    ),
    # RULES: OBJ-02
    Case(
        "DW032",
        (
            put(("marketing", "carried_out"), True),
            put(("rights", "items", OBJECTION, "applies"), "conditional"),
        ),
        ("rights", "items", OBJECTION, "applies"),
        (put(("marketing", "carried_out"), True),),
    ),
    # RULES: ADM-01
    Case(
        "DW033",
        (put(("automated_decisions",), {"in_use": True, "items": [DECISION]}),),
        ("automated_decisions", "items", 0, "safeguards"),
        (
            put(
                ("automated_decisions",),
                {
                    "in_use": True,
                    "items": [{**DECISION, "safeguards": ["Human review on request."]}],
                },
            ),
        ),
    ),
    # RULES: MKT-05
    Case(
        "DW034",
        (put(("cookies",), {"used": True, "categories": [ADVERTISING]}),),
        ("cookies", "categories", 0, "consent_required"),
        (
            put(
                ("cookies",),
                {
                    "used": True,
                    "categories": [
                        {**ADVERTISING, "consent_required": True},
                        {
                            "id": "strictly_necessary",
                            "name": "Strictly necessary",
                            "consent_required": False,
                            "description": "Keeps you signed in.",
                        },
                    ],
                },
            ),
        ),
    ),
    # RULES: BRE-02
    Case("DW035", (drop(("security", "breach_procedure")),), ("security", "breach_procedure")),
    # RULES: LAW-05
    Case(
        "DW036",
        (
            add(
                ("recipients",),
                recipient(condition="only_with_consent", purposes=["manage_tenancy"]),
            ),
        ),
        ("recipients", 0, "condition"),
        (
            add(("purposes",), CONSENT_PURPOSE),
            add(("recipients",), recipient(condition="only_with_consent", purposes=["newsletter"])),
        ),
    ),
    # RULES: NTC-01
    Case(
        "DW900",
        (put(("notice", "review_every_months"), unspecified("No review cycle is stated.")),),
        ("notice", "review_every_months"),
    ),
]

KEEPS_FOR = {"legal_obligation": "the Limitation Act 1980"}
CASES.append(
    # RULES: ERA-02 (kept for a legal obligation, for the period the register gives)
    Case(
        "DW058",
        (
            put((*RULE0, "keeps_for"), KEEPS_FOR),
            put((*RULE0, "offset"), {"as_soon_as_reasonably_necessary": True}),
        ),
        (*RULE0, "keeps_for"),
        (put((*RULE0, "keeps_for"), KEEPS_FOR),),
    )
)

# Silence where the law needs the point stated (lint_rules/silence.py).
CASES.extend(SILENCE_CASES)
# The forms real notices use (lint_rules/forms.py).
CASES.extend(FORMAT_CASES)
# The complaint route (lint_rules/complaints.py).
CASES.extend(COMPLAINT_CASES)


def test_it_finds_nothing_in_the_base_register() -> None:
    assert lint(build()) == []


def test_it_has_a_case_for_every_rule() -> None:
    assert sorted(c.rule_id for c in CASES) == [r.id for r in all_rules()]


@pytest.mark.parametrize("case", [pytest.param(c, id=c.rule_id) for c in CASES])
def test_it_fires_where_the_register_breaks_the_rule(case: Case) -> None:
    assert case.path in at(build(*case.breaks), case.rule_id)


@pytest.mark.parametrize("case", [pytest.param(c, id=c.rule_id) for c in CASES])
def test_it_is_quiet_where_the_register_meets_the_rule(case: Case) -> None:
    assert at(build(*case.meets), case.rule_id) == []


def test_it_reports_a_purpose_whose_only_bases_are_unspecified() -> None:
    # RULES: LAW-01
    register = build(put(("purposes", 0, "bases"), [{"basis": unspecified()}]))
    assert at(register, "DW001") == [("purposes", 0, "bases")]


def test_it_counts_an_unspecified_basis_beside_a_real_one_as_a_basis() -> None:
    # RULES: LAW-01
    register = build(add(("purposes", 0, "bases"), {"basis": unspecified()}))
    assert at(register, "DW001") == []
    assert at(register, "DW002") == []


def test_it_reports_an_unspecified_assessment_reference() -> None:
    # RULES: LAW-02
    register = build(
        put(
            ("purposes", 0, "bases"),
            [{"basis": "legitimate_interests", "lia_reference": unspecified()}],
        )
    )
    assert at(register, "DW003") == [("purposes", 0, "bases", 0, "lia_reference")]


def test_it_needs_no_assessment_for_recognised_legitimate_interests() -> None:
    # RULES: LAW-02 (DUAA recognised legitimate interests skip the balancing test)
    register = build(put(("purposes", 0, "bases"), [{"basis": "recognised_legitimate_interests"}]))
    assert at(register, "DW003") == []


def test_it_treats_an_unspecified_art9_condition_as_none() -> None:
    # RULES: LAW-03
    register = build(
        add(("data_categories",), HEALTH),
        add(("purposes", 0, "categories"), "health"),
        put(
            ("purposes", 0, "special_conditions"),
            [{"categories": ["health"], "condition": unspecified()}],
        ),
    )
    assert at(register, "DW004") == [("purposes", 0, "categories", 1)]


def test_it_does_not_count_official_authority_as_an_art9_condition() -> None:
    # RULES: LAW-03 (official authority is the Art 10 route for criminal offence data)
    register = build(
        add(("data_categories",), HEALTH),
        add(("purposes", 0, "categories"), "health"),
        put(
            ("purposes", 0, "special_conditions"),
            [{"categories": ["health"], "condition": "official_authority"}],
        ),
    )
    assert at(register, "DW004") == [("purposes", 0, "categories", 1)]


def test_it_does_not_ask_for_a_policy_document_under_sch1_part_3() -> None:
    # RULES: LAW-03
    register = build(
        add(("data_categories",), CONVICTIONS),
        add(("purposes", 0, "categories"), "convictions"),
        put(
            ("purposes", 0, "special_conditions"),
            [
                {
                    "categories": ["convictions"],
                    "condition": unspecified(),
                    "schedule_1": {"part": 3, "paragraph": 33, "name": "Legal claims"},
                }
            ],
        ),
    )
    assert at(register, "DW005") == []
    assert at(register, "DW006") == []


def test_it_refuses_the_soft_opt_in_for_third_party_email() -> None:
    # RULES: MKT-01 (soft opt-in covers the organisation's own similar products only)
    register = build(
        marketing_with(basis="soft_opt_in", sender="third_party", soft_opt_in_conditions="x")
    )
    assert at(register, "DW008") == [("marketing", "channels", 0, "basis")]


def test_it_holds_any_channel_to_the_email_rules() -> None:
    # RULES: MKT-01
    register = build(marketing_with(channel="any", basis="legitimate_interests"))
    assert at(register, "DW008") == [("marketing", "channels", 0, "basis")]


def test_it_accepts_a_transfer_that_covers_every_recipient_in_its_destination() -> None:
    # RULES: NTC-01
    register = build(
        add(("recipients",), recipient(located_in=["United States"])),
        add(("transfers", "items"), transfer(destinations=["united states"])),
    )
    assert at(register, "DW013") == []


def test_it_reports_an_unspecified_trigger_and_offset() -> None:
    # RULES: RET-01
    register = build(
        put((*RULE0, "trigger"), unspecified("Kept 'after the tenancy' with no event.")),
        put((*RULE0, "offset"), unspecified("No period given.")),
    )
    assert at(register, "DW014") == [(*RULE0, "trigger")]
    assert at(register, "DW017") == [(*RULE0, "offset")]


def test_it_respects_a_dataset_excluded_from_a_rule() -> None:
    # RULES: RET-01
    register = build(
        put(
            (*RULE0, "covers"),
            {"categories": ["contact_details"], "except_datasets": ["tenancies"]},
        )
    )
    assert at(register, "DW016") == [("datasets", 0)]


def test_it_does_not_cover_another_groups_dataset_by_category() -> None:
    # RULES: RET-01
    register = build(
        add(("subject_groups",), {"id": "staff", "name": "Staff", "description": "Employees."}),
        add(("purposes", 0, "subject_groups"), "staff"),
        add(
            ("datasets",),
            {**REPAIRS, "categories": ["contact_details"], "subject_groups": ["staff"]},
        ),
        put((*RULE0, "covers"), {"categories": ["contact_details"]}),
        put((*RULE0, "subject_groups"), ["tenants"]),
    )
    assert at(register, "DW016") == [("datasets", 1)]


def test_it_reports_an_unspecified_hold_closure() -> None:
    # RULES: RET-02
    register = build(add(("holds",), {**HOLD, "on_close": unspecified()}))
    assert at(register, "DW018") == [("holds", 0, "on_close")]


def test_it_reports_a_missing_privacy_contact_when_no_dpo_is_appointed() -> None:
    # RULES: NTC-01
    register = build(put(("dpo",), {"appointed": False}))
    assert at(register, "DW019") == [("dpo", "contacts")]


def test_it_reports_the_right_to_complain_marked_not_applicable() -> None:
    # RULES: NTC-01
    register = build(put(("rights", "items", COMPLAIN, "applies"), "not_applicable"))
    assert at(register, "DW020") == [("rights", "items", COMPLAIN, "applies")]


def test_it_reports_an_unspecified_or_untold_extension() -> None:
    # RULES: SAR-04
    unknown = build(put(("rights", "response"), {"months": 1, "extension_months": unspecified()}))
    untold = build(
        put(
            ("rights", "response"),
            {"months": 1, "extension_months": 2, "tell_subject_of_extension": False},
        )
    )
    assert at(unknown, "DW021") == [("rights", "response", "extension_months")]
    assert at(untold, "DW021") == [("rights", "response", "tell_subject_of_extension")]


def test_it_names_each_missing_right() -> None:
    # RULES: NTC-01
    register = build(drop(("rights", "items", PORTABILITY)), drop(("rights", "items", 0)))
    messages = [f.message for f in lint(register) if f.rule_id == "DW029"]
    assert len(messages) == 2
    assert any("'informed'" in m for m in messages)
    assert any("'portability'" in m for m in messages)


def test_it_reports_a_marketing_channel_when_marketing_is_not_carried_out() -> None:
    # RULES: OBJ-02
    register = build(marketing_with(), put(("marketing", "carried_out"), False))
    assert at(register, "DW030") == [("marketing", "channels", 0)]


def test_it_reports_a_missing_objection_right_only_where_there_is_marketing() -> None:
    # RULES: OBJ-02
    drop_objection = drop(("rights", "items", OBJECTION))
    assert at(build(drop_objection), "DW032") == []
    assert at(build(drop_objection, marketing_with()), "DW032") == [("rights", "items")]


def test_it_reports_an_ico_clock_over_72_hours() -> None:
    # RULES: BRE-02 (validation caps the hours; the rule guards registers built in code)
    register = build()
    procedure = register.security.breach_procedure
    assert procedure is not None
    late = register.model_copy(
        update={
            "security": register.security.model_copy(
                update={"breach_procedure": procedure.model_copy(update={"ico_report_hours": 96})}
            )
        }
    )
    assert at(late, "DW035") == [("security", "breach_procedure", "ico_report_hours")]


def test_it_matches_a_consent_recipient_to_consent_purposes_by_subject_group() -> None:
    # RULES: LAW-05
    quiet = build(
        add(("purposes",), CONSENT_PURPOSE),
        add(("recipients",), recipient(condition="only_with_consent")),
    )
    loud = build(add(("recipients",), recipient(condition="only_with_consent")))
    assert at(quiet, "DW036") == []
    assert at(loud, "DW036") == [("recipients", 0, "condition")]


def test_it_reports_every_unspecified_value_once_with_its_path() -> None:
    # RULES: NTC-01
    register = build(
        put(("controller", "ico_registration"), unspecified("No number.")),
        put(("purposes", 0, "bases"), [{"basis": "contract"}, {"basis": unspecified("Unclear.")}]),
        add(("holds",), {**HOLD, "on_close": unspecified("Silent.")}),
    )
    findings = [f for f in lint(register) if f.rule_id == "DW900"]
    assert [f.path for f in findings] == [
        ("controller", "ico_registration"),
        ("purposes", 0, "bases", 1, "basis"),
        ("holds", 0, "on_close"),
    ]
    assert "Unclear." in findings[1].message


def test_it_reports_unspecified_values_inside_nested_models() -> None:
    # RULES: NTC-01
    register = build(
        add(("holds",), {**HOLD, "on_close": {"restart_after": {"days": 90}}}),
        put(("purposes", 0, "provision"), {"requirement": unspecified()}),
    )
    assert at(register, "DW900") == [("purposes", 0, "provision", "requirement")]


def test_it_gives_findings_the_rule_severity_and_reference() -> None:
    register = build(put(("purposes", 0, "bases"), []))
    finding: Finding = next(f for f in lint(register) if f.rule_id == "DW001")
    assert (finding.rule_id, finding.severity, finding.rules_ref) == ("DW001", "error", "LAW-01")


def test_it_documents_every_rule_and_only_rules_that_exist() -> None:
    text = DOCS.read_text(encoding="utf-8")
    documented = re.findall(r"^## (DW\d{3}) — (.+)$", text, flags=re.MULTILINE)
    rules = [(r.id, r.title) for r in all_rules()]
    assert sorted(documented) == rules
    assert len(rules) >= 25


def test_it_says_the_rules_summary_is_not_legal_advice() -> None:
    text = DOCS.read_text(encoding="utf-8")
    assert "not legal advice" in text.split("## DW", 1)[0]
