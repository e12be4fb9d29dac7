"""Lint rules on lawful bases and conditions: Art 6, Art 9, Art 10 and consent."""

from __future__ import annotations

from collections.abc import Iterator

from dataward.register.lint import Hit, rule
from dataward.register.lint_rules._shared import is_missing, relies_on_consent, specified_bases
from dataward.register.models import (
    Art9Condition,
    DataCategory,
    ImpliedBasis,
    LawfulBasis,
    Purpose,
    Register,
    SpecialCondition,
)


def _categories(register: Register) -> dict[str, DataCategory]:
    return {c.id: c for c in register.data_categories}


def _conditions_for(purpose: Purpose, category_id: str) -> list[SpecialCondition]:
    return [c for c in purpose.special_conditions if category_id in c.categories]


# RULES: LAW-01
@rule("DW001", "error", "Purpose without a lawful basis", "LAW-01")
def purpose_without_basis(register: Register) -> Iterator[Hit]:
    for i, purpose in enumerate(register.purposes):
        if not purpose.bases:
            yield Hit(
                ("purposes", i),
                f"purpose {purpose.id!r} has no Art 6 basis: add one under bases",
            )
        elif not specified_bases(purpose) and any(
            isinstance(use.basis, ImpliedBasis) for use in purpose.bases
        ):
            yield Hit(
                ("purposes", i, "bases"),
                f"purpose {purpose.id!r} has a basis the notice only implies (implied_by): "
                "dataward reads it as no stated basis; ask the DPO to confirm the Art 6 basis, "
                "record it, and have the notice name it",
            )
        elif not specified_bases(purpose):
            yield Hit(
                ("purposes", i, "bases"),
                f"purpose {purpose.id!r} has only unspecified bases: ask the DPO which Art 6 "
                "basis applies and record it",
            )


# RULES: LAW-01 (several bases: record what each covers; the linter suggests splitting)
@rule("DW002", "warning", "Several Art 6 bases on one purpose: consider splitting it", "LAW-01")
def several_bases(register: Register) -> Iterator[Hit]:
    for i, purpose in enumerate(register.purposes):
        bases = specified_bases(purpose)
        if len(bases) < 2:
            continue
        names = ", ".join(b.value for b in bases)
        uncovered = [b for b in purpose.bases if b.covers is None]
        advice = (
            "say under each basis which part it covers (covers:), or split the purpose"
            if uncovered
            else "consider one purpose per basis so each can be explained and objected to"
        )
        yield Hit(
            ("purposes", i, "bases"),
            f"purpose {purpose.id!r} relies on several Art 6 bases ({names}): {advice}",
        )


# RULES: LAW-02 (recognised legitimate interests need no balancing test, so no LIA)
@rule("DW003", "error", "Legitimate interests without an assessment reference", "LAW-02")
def legitimate_interests_without_lia(register: Register) -> Iterator[Hit]:
    for i, purpose in enumerate(register.purposes):
        for j, use in enumerate(purpose.bases):
            if use.basis == LawfulBasis.LEGITIMATE_INTERESTS and is_missing(use.lia_reference):
                yield Hit(
                    ("purposes", i, "bases", j, "lia_reference"),
                    f"purpose {purpose.id!r} relies on legitimate interests without a legitimate "
                    "interests assessment: record where the assessment is kept (lia_reference)",
                )


# RULES: LAW-03
@rule(
    "DW004",
    "error",
    "Special category data used by a purpose without an Art 9 condition",
    "LAW-03",
)
def special_category_without_condition(register: Register) -> Iterator[Hit]:
    categories = _categories(register)
    for i, purpose in enumerate(register.purposes):
        for k, category_id in enumerate(purpose.categories):
            category = categories.get(category_id)
            special = category.special_kind if category is not None else None
            if category is None or special is None or category.personal_data is False:
                continue
            if any(
                isinstance(c.condition, Art9Condition)
                for c in _conditions_for(purpose, category_id)
            ):
                continue
            yield Hit(
                ("purposes", i, "categories", k),
                f"purpose {purpose.id!r} uses {special.value} data "
                f"({category_id!r}) without an Art 9 condition: add a special_conditions entry "
                "naming the condition for this category",
            )


# RULES: LAW-03 (a Sch 1 Part 1 or 2 condition needs an appropriate policy document)
@rule(
    "DW005",
    "error",
    "Sch 1 Part 1 or 2 condition without an appropriate policy document",
    "LAW-03",
)
def schedule_1_without_policy_document(register: Register) -> Iterator[Hit]:
    for i, purpose in enumerate(register.purposes):
        for j, condition in enumerate(purpose.special_conditions):
            sch1 = condition.schedule_1
            if sch1 is None or sch1.part not in (1, 2):
                continue
            if is_missing(condition.appropriate_policy_document):
                yield Hit(
                    ("purposes", i, "special_conditions", j, "appropriate_policy_document"),
                    f"purpose {purpose.id!r} relies on DPA 2018 Sch 1 Part {sch1.part} para "
                    f"{sch1.paragraph} ({sch1.name}) without an appropriate policy document: "
                    "record where the document is kept",
                )


# RULES: LAW-04
@rule(
    "DW006",
    "error",
    "Criminal offence data without official authority or a Sch 1 condition",
    "LAW-04",
)
def criminal_offence_without_condition(register: Register) -> Iterator[Hit]:
    categories = _categories(register)
    for i, purpose in enumerate(register.purposes):
        for k, category_id in enumerate(purpose.categories):
            category = categories.get(category_id)
            if category is None or not category.criminal or category.personal_data is False:
                continue
            if any(
                c.condition == "official_authority" or c.schedule_1 is not None
                for c in _conditions_for(purpose, category_id)
            ):
                continue
            yield Hit(
                ("purposes", i, "categories", k),
                f"purpose {purpose.id!r} uses criminal offence data ({category_id!r}) without "
                "official authority or a DPA 2018 Sch 1 condition: add a special_conditions "
                "entry for this category",
            )


# RULES: LAW-05 (as easy to withdraw as to give)
@rule("DW007", "error", "Consent-based purpose without a withdrawal route", "LAW-05")
def consent_without_withdrawal(register: Register) -> Iterator[Hit]:
    for i, purpose in enumerate(register.purposes):
        if relies_on_consent(purpose) and not purpose.withdrawal_route:
            yield Hit(
                ("purposes", i, "withdrawal_route"),
                f"purpose {purpose.id!r} relies on consent but says nothing of how to withdraw "
                "it: add a withdrawal_route as easy as the way consent is given",
            )


# RULES: LAW-05 (a recipient that depends on consent needs a consent to depend on)
@rule(
    "DW036",
    "warning",
    "Recipient with consent condition but no consent-based purpose",
    "LAW-05",
)
def consent_recipient_without_consent_purpose(register: Register) -> Iterator[Hit]:
    consent_purposes = [p for p in register.purposes if relies_on_consent(p)]
    for i, recipient in enumerate(register.recipients):
        if recipient.condition != "only_with_consent":
            continue
        if recipient.purposes:
            found = any(p.id in recipient.purposes for p in consent_purposes)
        else:
            groups = set(recipient.subject_groups)
            found = any(groups & set(p.subject_groups) for p in consent_purposes)
        if not found:
            yield Hit(
                ("recipients", i, "condition"),
                f"recipient {recipient.id!r} receives data only with consent, but no purpose "
                "it serves relies on consent: add the consent basis to that purpose or correct "
                "the recipient's condition",
            )
