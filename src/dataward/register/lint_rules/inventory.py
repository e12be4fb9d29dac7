"""Lint rules on the data map: subject groups, data categories and where data comes from."""

from __future__ import annotations

from collections.abc import Iterator

from dataward.register.lint import Hit, rule
from dataward.register.lint_rules._shared import categories_used_by
from dataward.register.models import Register


# RULES: NTC-01 (purposes are stated for each group the notice addresses)
@rule("DW024", "warning", "Subject group no purpose covers", "NTC-01")
def group_without_purpose(register: Register) -> Iterator[Hit]:
    covered = {g for p in register.purposes for g in p.subject_groups}
    for i, group in enumerate(register.subject_groups):
        if group.id not in covered:
            yield Hit(
                ("subject_groups", i),
                f"no purpose covers subject group {group.id!r}: say why their data is used, or "
                "remove the group",
            )


# RULES: ROP-01 (purposes and categories of data)
@rule("DW025", "warning", "Data category collected but used by no purpose", "ROP-01")
def category_without_purpose(register: Register) -> Iterator[Hit]:
    used = set().union(*(categories_used_by(p) for p in register.purposes))
    for i, category in enumerate(register.data_categories):
        if category.held and category.id not in used:
            yield Hit(
                ("data_categories", i),
                f"data category {category.id!r} is collected but no purpose uses it: add it to "
                "the purposes that need it, or stop collecting it",
            )


# RULES: NTC-01 (the notice must not contradict what is done)
@rule(
    "DW026",
    "error",
    "Category declared not collected but used by a purpose or dataset",
    "NTC-01",
)
def uncollected_category_in_use(register: Register) -> Iterator[Hit]:
    uncollected = {c.id for c in register.data_categories if c.collected is False}
    if not uncollected:
        return
    for i, purpose in enumerate(register.purposes):
        for k, category_id in enumerate(purpose.categories):
            if category_id in uncollected:
                yield Hit(
                    ("purposes", i, "categories", k),
                    f"purpose {purpose.id!r} uses {category_id!r}, which the register declares "
                    "is not collected: correct the category or the purpose",
                )
    for i, dataset in enumerate(register.datasets):
        for k, category_id in enumerate(dataset.categories):
            if category_id in uncollected:
                yield Hit(
                    ("datasets", i, "categories", k),
                    f"dataset {dataset.id!r} holds {category_id!r}, which the register declares "
                    "is not collected: correct the category or the dataset",
                )


# RULES: NTC-01, NTC-02 (Art 14: categories and source of data not obtained from the subject)
@rule(
    "DW027",
    "warning",
    "Data from a third-party source: notice must name categories and source",
    "NTC-01, NTC-02",
)
def third_party_source_without_categories(register: Register) -> Iterator[Hit]:
    for i, source in enumerate(register.sources):
        if source.type in ("third_party", "public") and not source.categories:
            yield Hit(
                ("sources", i, "categories"),
                f"source {source.id!r} supplies data not obtained from the subject but names no "
                "categories: list the categories obtained from it",
            )
