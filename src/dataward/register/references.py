"""Cross-references inside a register: ids are unique and every reference resolves."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from dataward.register.models import Register

PathKey = tuple[str | int, ...]

RESERVED_PURPOSE_IDS: dict[str, str] = {
    "direct_marketing": (
        "the consent engine uses it for direct marketing as a whole, which a person can "
        "object to at any time (RULES OBJ-02); name the purpose after what it does, "
        "e.g. newsletter_marketing"
    ),
}
"""Purpose ids the engines give a meaning of their own: a register purpose may not take them."""


def _ids(items: Sequence[Any], section: str) -> tuple[set[str], list[tuple[PathKey, str]]]:
    seen: set[str] = set()
    problems: list[tuple[PathKey, str]] = []
    for i, item in enumerate(items):
        if item.id in seen:
            problems.append(((section, i, "id"), f"duplicate id {item.id!r} in {section}"))
        seen.add(item.id)
    return seen, problems


def check_references(register: Register) -> Iterator[tuple[PathKey, str]]:
    """Yield (path, message) for every duplicate id and dangling reference."""
    r = register
    groups, dup = _ids(r.subject_groups, "subject_groups")
    yield from dup
    categories, dup = _ids(r.data_categories, "data_categories")
    yield from dup
    purposes, dup = _ids(r.purposes, "purposes")
    yield from dup
    for i, p in enumerate(r.purposes):
        if p.id in RESERVED_PURPOSE_IDS:
            why = RESERVED_PURPOSE_IDS[p.id]
            yield ("purposes", i, "id"), f"purpose id {p.id!r} is reserved: {why}"
    recipients, dup = _ids(r.recipients, "recipients")
    yield from dup
    datasets, dup = _ids(r.datasets, "datasets")
    yield from dup
    events, dup = _ids(r.events, "events")
    yield from dup
    holds, dup = _ids(r.holds, "holds")
    yield from dup
    for section in (
        "sources",
        "purpose_policies",
        "sharing_policies",
        "preferences",
        "retention_rules",
        "commitments",
        "statements",
    ):
        yield from _ids(getattr(r, section), section)[1]
    yield from _ids(r.cookies.categories, "cookies.categories")[1]

    def refs(
        path: PathKey, values: Sequence[str], known: set[str], what: str
    ) -> Iterator[tuple[PathKey, str]]:
        for i, value in enumerate(values):
            if value not in known:
                yield (*path, i), f"unknown {what} {value!r}"

    for i, c in enumerate(r.data_categories):
        yield from refs(
            ("data_categories", i, "subject_groups"), c.subject_groups, groups, "subject group"
        )
    for i, s in enumerate(r.sources):
        yield from refs(("sources", i, "subject_groups"), s.subject_groups, groups, "subject group")
        yield from refs(("sources", i, "categories"), s.categories, categories, "data category")
    for i, p in enumerate(r.purposes):
        yield from refs(
            ("purposes", i, "subject_groups"), p.subject_groups, groups, "subject group"
        )
        yield from refs(("purposes", i, "categories"), p.categories, categories, "data category")
        for j, cond in enumerate(p.special_conditions):
            yield from refs(
                ("purposes", i, "special_conditions", j, "categories"),
                cond.categories,
                categories,
                "data category",
            )
    for i, rc in enumerate(r.recipients):
        yield from refs(
            ("recipients", i, "subject_groups"), rc.subject_groups, groups, "subject group"
        )
        yield from refs(("recipients", i, "purposes"), rc.purposes, purposes, "purpose")
        yield from refs(("recipients", i, "categories"), rc.categories, categories, "data category")
    for i, t in enumerate(r.transfers.items):
        yield from refs(
            ("transfers", "items", i, "recipients"), t.recipients, recipients, "recipient"
        )
        yield from refs(
            ("transfers", "items", i, "categories"), t.categories, categories, "data category"
        )
    for i, ch in enumerate(r.marketing.channels):
        yield from refs(
            ("marketing", "channels", i, "subject_groups"),
            ch.subject_groups,
            groups,
            "subject group",
        )
        yield from refs(("marketing", "channels", i, "purposes"), ch.purposes, purposes, "purpose")
    for i, pref in enumerate(r.preferences):
        yield from refs(
            ("preferences", i, "subject_groups"), pref.subject_groups, groups, "subject group"
        )
        yield from refs(("preferences", i, "purposes"), pref.purposes, purposes, "purpose")
    cookie_categories = {c.id for c in r.cookies.categories}
    for i, cookie in enumerate(r.cookies.cookies):
        if cookie.category not in cookie_categories:
            yield (
                ("cookies", "cookies", i, "category"),
                f"unknown cookie category {cookie.category!r}",
            )
    yield from refs(
        ("cookies", "subject_groups"), r.cookies.subject_groups, groups, "subject group"
    )
    for i, ad in enumerate(r.automated_decisions.items):
        yield from refs(
            ("automated_decisions", "items", i, "subject_groups"),
            ad.subject_groups,
            groups,
            "subject group",
        )
    entities = {d.entity for d in r.datasets}
    for i, d in enumerate(r.datasets):
        yield from refs(("datasets", i, "categories"), d.categories, categories, "data category")
        yield from refs(
            ("datasets", i, "subject_groups"), d.subject_groups, groups, "subject group"
        )
    for i, e in enumerate(r.events):
        if e.entity not in entities:
            yield ("events", i, "entity"), f"unknown entity {e.entity!r} (no dataset holds it)"
    for i, h in enumerate(r.holds):
        for j, entity in enumerate(h.on):
            if entity not in entities:
                yield ("holds", i, "on", j), f"unknown entity {entity!r} (no dataset holds it)"
    for i, rule in enumerate(r.retention_rules):
        base: PathKey = ("retention_rules", i)
        cov = rule.covers
        yield from refs((*base, "covers", "datasets"), cov.datasets, datasets, "dataset")
        yield from refs(
            (*base, "covers", "except_datasets"), cov.except_datasets, datasets, "dataset"
        )
        yield from refs(
            (*base, "covers", "categories"), cov.categories, categories, "data category"
        )
        yield from refs(
            (*base, "covers", "except_categories"),
            cov.except_categories,
            categories,
            "data category",
        )
        yield from refs(
            (*base, "covers", "all_data_of_groups"), cov.all_data_of_groups, groups, "subject group"
        )
        yield from refs((*base, "subject_groups"), rule.subject_groups, groups, "subject group")
        yield from refs((*base, "holds"), rule.holds, holds, "hold")
        trigger = rule.trigger
        if trigger is not None and hasattr(trigger, "any_of"):
            yield from refs((*base, "trigger", "any_of"), trigger.any_of, events, "event")
    yield from _check_commitments(register)


def _check_commitments(register: Register) -> Iterator[tuple[PathKey, str]]:
    """A commitment is only a promise the linter keeps if its rule exists."""
    # Imported here: the lint rules import the models, and the loader imports this module.
    from dataward.register.lint import all_rules

    known = {r.id for r in all_rules()}
    for i, commitment in enumerate(register.commitments):
        if commitment.lint_rule not in known:
            yield (
                ("commitments", i, "lint_rule"),
                f"commitment {commitment.id!r} names lint rule {commitment.lint_rule!r}, "
                "which does not exist (see `dataward register lint-rules`)",
            )
