"""``condition_gaps``: what a purpose's special category and criminal offence data lack.

Built from register models as a register file would state them; no database. Each test
names the condition the law asks for and checks the gap (or its absence) the policy derives.
"""

from __future__ import annotations

from typing import Any

from dataward.consent.conditions import condition_gaps
from dataward.register.models.common import Unspecified
from dataward.register.models.processing import (
    BasisUse,
    DataCategory,
    Purpose,
    SpecialCondition,
)

CATEGORIES = {
    c.id: c
    for c in (
        DataCategory(id="contact", name="Contact details"),
        DataCategory(id="health", name="Health", special_category="health"),
        DataCategory(id="convictions", name="Convictions", criminal_offence=True),
        DataCategory(
            id="health_stats",
            name="Health statistics",
            special_category="health",
            personal_data=False,
        ),
    )
}
SAFEGUARDING = {"part": 2, "paragraph": 18, "name": "Safeguarding"}


def _gaps(categories: list[str], *conditions: dict[str, Any]) -> list[tuple[str, str]]:
    purpose = Purpose(
        id="care",
        name="Care",
        subject_groups=["customers"],
        categories=categories,
        bases=[BasisUse(basis="contract")],
        special_conditions=[SpecialCondition.model_validate(c) for c in conditions],
    )
    return [(g.rule, g.code) for g in condition_gaps(purpose, CATEGORIES)]


def test_ordinary_data_needs_no_condition() -> None:
    # RULES: LAW-03 (only special category data needs an Art 9 condition)
    assert _gaps(["contact"]) == []


def test_health_data_needs_an_art_9_condition() -> None:
    # RULES: LAW-03
    assert _gaps(["contact", "health"]) == [("LAW-03", "no_art9_condition")]


def test_explicit_consent_needs_no_schedule_1_condition() -> None:
    # RULES: LAW-03 (Art 9(2)(a) stands alone)
    assert _gaps(["health"], {"categories": ["health"], "condition": "explicit_consent"}) == []


def test_a_condition_for_another_category_does_not_cover_this_one() -> None:
    # RULES: LAW-03 (conditions are per category)
    stated = {"categories": ["contact"], "condition": "explicit_consent"}
    assert _gaps(["health"], stated) == [("LAW-03", "no_art9_condition")]


def test_an_unstated_condition_is_a_gap_and_the_reason_quotes_it() -> None:
    # RULES: LAW-03 (a stated gap is not a condition)
    purpose = Purpose(
        id="care",
        name="Care",
        subject_groups=["customers"],
        categories=["health"],
        special_conditions=[
            SpecialCondition(
                categories=["health"], condition=Unspecified(unspecified="the notice gives none")
            )
        ],
    )
    (gap,) = condition_gaps(purpose, CATEGORIES)
    assert gap.code == "no_art9_condition"
    assert "leaves its Art 9 condition unstated (the notice gives none)" in gap.reason


def test_substantial_public_interest_needs_a_schedule_1_part_2_condition() -> None:
    # RULES: LAW-03 (DPA 2018 s10(3))
    stated = {"categories": ["health"], "condition": "substantial_public_interest"}
    assert _gaps(["health"], stated) == [("LAW-03", "no_schedule_1_condition")]


def test_a_schedule_1_condition_of_the_wrong_part_does_not_count() -> None:
    # RULES: LAW-03 (Art 9(2)(h) needs a Part 1 condition, not Part 2)
    stated = {"categories": ["health"], "condition": "health_or_social_care"}
    wrong = {**stated, "schedule_1": SAFEGUARDING, "appropriate_policy_document": "APD v1"}
    assert _gaps(["health"], wrong) == [("LAW-03", "no_schedule_1_condition")]
    right = {**stated, "schedule_1": {"part": 1, "paragraph": 2, "name": "Health care"}}
    assert _gaps(["health"], {**right, "appropriate_policy_document": "APD v1"}) == []


def test_a_part_2_condition_needs_an_appropriate_policy_document() -> None:
    # RULES: LAW-03 (a Sch 1 Part 1 or 2 condition needs an appropriate policy document)
    stated = {
        "categories": ["health"],
        "condition": "substantial_public_interest",
        "schedule_1": SAFEGUARDING,
    }
    assert _gaps(["health"], stated) == [("LAW-03", "no_policy_document")]
    unstated = {**stated, "appropriate_policy_document": {"unspecified": "not given"}}
    assert _gaps(["health"], unstated) == [("LAW-03", "no_policy_document")]
    assert _gaps(["health"], {**stated, "appropriate_policy_document": "APD v1"}) == []


def test_one_complete_condition_among_several_is_enough() -> None:
    # RULES: LAW-03 ("with your permission, unless ... legal claims")
    incomplete = {"categories": ["health"], "condition": "substantial_public_interest"}
    complete = {"categories": ["health"], "condition": "legal_claims"}
    assert _gaps(["health"], incomplete, complete) == []


def test_anonymous_data_needs_no_condition() -> None:
    # RULES: LAW-03 (data that is not personal data is outside UK GDPR)
    assert _gaps(["health_stats"]) == []


def test_criminal_offence_data_needs_official_authority_or_schedule_1() -> None:
    # RULES: LAW-04
    assert _gaps(["convictions"]) == [("LAW-04", "no_criminal_offence_condition")]
    # An Art 9 condition is not an Art 10 condition.
    claims = {"categories": ["convictions"], "condition": "legal_claims"}
    assert _gaps(["convictions"], claims) == [("LAW-04", "no_criminal_offence_condition")]
    authority = {"categories": ["convictions"], "condition": "official_authority"}
    assert _gaps(["convictions"], authority) == []
    part_3 = {**claims, "schedule_1": {"part": 3, "paragraph": 33, "name": "Legal claims"}}
    assert _gaps(["convictions"], part_3) == []


def test_criminal_offence_data_on_a_part_2_condition_needs_the_policy_document() -> None:
    # RULES: LAW-04, LAW-03 (the policy document follows the Sch 1 Part, whatever the data)
    stated = {
        "categories": ["convictions"],
        "condition": "substantial_public_interest",
        "schedule_1": {"part": 2, "paragraph": 10, "name": "Preventing unlawful acts"},
    }
    assert _gaps(["convictions"], stated) == [("LAW-04", "no_policy_document")]
    assert _gaps(["convictions"], {**stated, "appropriate_policy_document": "APD"}) == []


def test_a_status_the_register_leaves_open_is_not_read_as_ordinary_data() -> None:
    # RULES: LAW-03, LAW-04 (silence is never permission)
    open_status = {
        "open": DataCategory.model_construct(
            id="open",
            name="Notes",
            special_category=Unspecified(unspecified="the notice does not say"),
            criminal_offence=Unspecified(unspecified="the notice does not say"),
            personal_data=True,
        )
    }
    purpose = Purpose(id="care", name="Care", subject_groups=["customers"], categories=["open"])
    gaps = condition_gaps(purpose, open_status)
    assert [(g.rule, g.code) for g in gaps] == [
        ("LAW-03", "no_art9_condition"),
        ("LAW-04", "no_criminal_offence_condition"),
    ]
    assert "leaves open" in gaps[0].reason
