"""LAW-03 and LAW-04: what a purpose's special category and criminal offence data lack.

Derived once per register version (``policy``), so a decision only reads the result. A
purpose's data is the data categories it lists; a category is special category data when
it names a special category, criminal offence data when it says so. A category whose
status the register leaves open (``unspecified``) is treated as needing the condition: a
gap is never read as permission. Only a value the register states satisfies a condition.

- Special category data (LAW-03) needs an Art 9 condition; Art 9(2)(b), (h), (i) and (j)
  need a DPA 2018 Sch 1 Part 1 condition as well, Art 9(2)(g) a Part 2 condition (DPA 2018
  s10); a Part 1 or 2 condition needs an appropriate policy document (as lint DW005).
- Criminal offence data (LAW-04) needs official authority or a Sch 1 condition (and the
  policy document where that condition is in Part 1 or 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from dataward.consent.reason_codes import (
    NO_ART9_CONDITION,
    NO_CRIMINAL_OFFENCE_CONDITION,
    NO_POLICY_DOCUMENT,
    NO_SCHEDULE_1_CONDITION,
)
from dataward.register.models.common import Unspecified
from dataward.register.models.processing import (
    Art9Condition,
    DataCategory,
    Purpose,
    SpecialCategory,
    SpecialCondition,
)

# DPA 2018 s10(2) and (3): the Art 9 conditions met only with a Sch 1 condition, and its Part.
SCHEDULE_1_PART_NEEDED: dict[Art9Condition, int] = {
    Art9Condition.EMPLOYMENT_SOCIAL_SECURITY: 1,
    Art9Condition.HEALTH_OR_SOCIAL_CARE: 1,
    Art9Condition.PUBLIC_HEALTH: 1,
    Art9Condition.ARCHIVING_RESEARCH_STATISTICS: 1,
    Art9Condition.SUBSTANTIAL_PUBLIC_INTEREST: 2,
}
_ARTICLE = {
    Art9Condition.EMPLOYMENT_SOCIAL_SECURITY: "9(2)(b)",
    Art9Condition.HEALTH_OR_SOCIAL_CARE: "9(2)(h)",
    Art9Condition.PUBLIC_HEALTH: "9(2)(i)",
    Art9Condition.ARCHIVING_RESEARCH_STATISTICS: "9(2)(j)",
    Art9Condition.SUBSTANTIAL_PUBLIC_INTEREST: "9(2)(g)",
}


@dataclass(frozen=True)
class ConditionGap:
    """One condition a purpose's data needs and the register does not state."""

    rule: str  # LAW-03 or LAW-04
    code: str  # a reason code
    reason: str


def condition_gaps(
    purpose: Purpose, categories: Mapping[str, DataCategory]
) -> tuple[ConditionGap, ...]:
    """Every LAW-03/LAW-04 gap of ``purpose``, in the order of its categories."""
    gaps: list[ConditionGap] = []
    for category_id in purpose.categories:
        category = categories.get(category_id)
        if category is None or category.personal_data is False:
            continue  # an unknown id is the loader's error; anonymous data is not personal
        stated = [c for c in purpose.special_conditions if category_id in c.categories]
        special = _special(category.special_category)
        if special is not None:
            gap = _art9_gap(purpose, category, special, stated)
            if gap is not None:
                gaps.append(gap)
        criminal = _criminal(category.criminal_offence)
        if criminal is not None:
            gap = _criminal_gap(purpose, category, criminal, stated)
            if gap is not None:
                gaps.append(gap)
    return tuple(gaps)


def _special(value: Any) -> str | None:
    """Words for a category's special status when it needs a condition, else None."""
    if isinstance(value, SpecialCategory):
        return f"special category data ({value.value.replace('_', ' ')})"
    if isinstance(value, Unspecified):
        return "data whose special category status the register leaves open"
    return None


def _criminal(value: Any) -> str | None:
    if value is True:
        return "criminal offence data"
    if isinstance(value, Unspecified):
        return "data whose criminal offence status the register leaves open"
    return None


def _art9_gap(
    purpose: Purpose, category: DataCategory, kind: str, stated: list[SpecialCondition]
) -> ConditionGap | None:
    what = f"{purpose.name!r} uses {category.name!r}, {kind},"
    art9 = [c for c in stated if isinstance(c.condition, Art9Condition)]
    if not art9:
        return ConditionGap("LAW-03", NO_ART9_CONDITION, f"{what} {_no_art9(stated)}")
    if any(_art9_complete(c) for c in art9):
        return None
    if all(_schedule_1_missing(c) for c in art9):
        first = art9[0]
        assert isinstance(first.condition, Art9Condition)
        part = SCHEDULE_1_PART_NEEDED[first.condition]
        named = (
            f"the register names Part {first.schedule_1.part} para {first.schedule_1.paragraph}"
            if first.schedule_1 is not None
            else "the register names none"
        )
        return ConditionGap(
            "LAW-03",
            NO_SCHEDULE_1_CONDITION,
            f"{what} and its Art {_ARTICLE[first.condition]} condition "
            f"({first.condition.value.replace('_', ' ')}) needs a DPA 2018 Sch 1 Part {part} "
            f"condition: {named}",
        )
    placed = [c for c in art9 if not _schedule_1_missing(c)]
    return ConditionGap("LAW-03", NO_POLICY_DOCUMENT, f"{what} {_no_policy_document(placed)}")


def _criminal_gap(
    purpose: Purpose, category: DataCategory, kind: str, stated: list[SpecialCondition]
) -> ConditionGap | None:
    what = f"{purpose.name!r} uses {category.name!r}, {kind},"
    usable = [c for c in stated if c.condition == "official_authority" or c.schedule_1 is not None]
    if not usable:
        return ConditionGap(
            "LAW-04",
            NO_CRIMINAL_OFFENCE_CONDITION,
            f"{what} and the register states neither official authority nor a DPA 2018 "
            "Sch 1 condition for it",
        )
    if any(c.condition == "official_authority" or not _needs_policy(c) for c in usable):
        return None
    return ConditionGap("LAW-04", NO_POLICY_DOCUMENT, f"{what} {_no_policy_document(usable)}")


def _no_art9(stated: list[SpecialCondition]) -> str:
    gaps = [c.condition for c in stated if isinstance(c.condition, Unspecified)]
    if gaps:
        return f"and the register leaves its Art 9 condition unstated ({gaps[0].unspecified})"
    return "and the register states no Art 9 condition for it"


def _no_policy_document(conditions: list[SpecialCondition]) -> str:
    sch1 = next(c.schedule_1 for c in conditions if c.schedule_1 is not None)
    return (
        f"on DPA 2018 Sch 1 Part {sch1.part} para {sch1.paragraph} ({sch1.name}), which "
        "needs an appropriate policy document, and the register names none"
    )


def _schedule_1_missing(condition: SpecialCondition) -> bool:
    assert isinstance(condition.condition, Art9Condition)
    part = SCHEDULE_1_PART_NEEDED.get(condition.condition)
    if part is None:
        return False
    return condition.schedule_1 is None or condition.schedule_1.part != part


def _needs_policy(condition: SpecialCondition) -> bool:
    sch1 = condition.schedule_1
    if sch1 is None or sch1.part not in (1, 2):
        return False
    document = condition.appropriate_policy_document
    return document is None or isinstance(document, Unspecified)


def _art9_complete(condition: SpecialCondition) -> bool:
    return not _schedule_1_missing(condition) and not _needs_policy(condition)
