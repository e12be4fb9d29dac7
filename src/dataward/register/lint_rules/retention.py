"""Lint rules on retention rules, the datasets they cover and the holds that stop them."""

from __future__ import annotations

from collections.abc import Iterator

from dataward.register.lint import Hit, rule
from dataward.register.lint_rules._shared import is_missing, is_unspecified
from dataward.register.models import Dataset, Register, RetentionRule
from dataward.register.models.retention import Offset, Trigger


def covers_dataset(retention_rule: RetentionRule, dataset: Dataset) -> bool:
    """Whether a rule reaches a dataset: by name, by category or by subject group."""
    cov = retention_rule.covers
    if dataset.id in cov.except_datasets:
        return False
    if dataset.id in cov.datasets:
        return True
    groups = set(retention_rule.subject_groups)
    if groups and dataset.subject_groups and not groups & set(dataset.subject_groups):
        return False
    categories = set(cov.categories) - set(cov.except_categories)
    if categories & set(dataset.categories):
        return True
    return bool(set(cov.all_data_of_groups) & set(dataset.subject_groups))


def _rules_missing(register: Register, part: str, advice: str) -> Iterator[Hit]:
    """Rules whose ``part`` (trigger or offset) is absent or unspecified; never-stored data
    and data kept with no end date have neither, by definition, and data kept while a state
    lasts needs no offset (the action runs when the state ends)."""
    for i, retention_rule in enumerate(register.retention_rules):
        value = getattr(retention_rule, part)
        if retention_rule.action in ("never_stored", "no_end_date") or not is_missing(value):
            continue
        if part == "offset" and retention_rule.kept_while is not None and value is None:
            continue
        state = "is unspecified" if is_unspecified(value) else "is missing"
        yield Hit(
            ("retention_rules", i, part),
            f"the {part} of retention rule {retention_rule.id!r} {state}: {advice}",
        )


# RULES: RET-01 (the event that starts it)
@rule("DW014", "error", "Retention rule without a trigger event", "RET-01")
def rule_without_trigger(register: Register) -> Iterator[Hit]:
    yield from _rules_missing(
        register, "trigger", "name the event that starts the clock (trigger.any_of)"
    )


# RULES: RET-01 (the data it covers)
@rule("DW015", "error", "Retention rule that covers no data", "RET-01")
def rule_covering_nothing(register: Register) -> Iterator[Hit]:
    for i, retention_rule in enumerate(register.retention_rules):
        cov = retention_rule.covers
        if not (cov.datasets or cov.categories or cov.all_data_of_groups):
            yield Hit(
                ("retention_rules", i, "covers"),
                f"retention rule {retention_rule.id!r} covers no data: list the datasets, "
                "categories or subject groups it applies to",
            )


# RULES: RET-01 (every dataset needs a period)
@rule("DW016", "warning", "Dataset no retention rule covers", "RET-01")
def dataset_without_rule(register: Register) -> Iterator[Hit]:
    for i, dataset in enumerate(register.datasets):
        if not any(covers_dataset(r, dataset) for r in register.retention_rules):
            yield Hit(
                ("datasets", i),
                f"no retention rule covers dataset {dataset.id!r}: add one, or add the dataset "
                "to an existing rule's covers",
            )


# RULES: RET-01 (an offset)
@rule("DW017", "error", "Retention rule without an offset", "RET-01")
def rule_without_offset(register: Register) -> Iterator[Hit]:
    yield from _rules_missing(register, "offset", "say how long after the trigger the action runs")


# RULES: RET-02 (when the hold closes the rule restarts)
@rule("DW018", "warning", "Hold with no end (keep, unspecified or silent on close)", "RET-02")
def hold_without_end(register: Register) -> Iterator[Hit]:
    for i, hold in enumerate(register.holds):
        if hold.on_close == "keep" or is_missing(hold.on_close):
            yield Hit(
                ("holds", i, "on_close"),
                f"hold {hold.id!r} never lets the data go once it closes: say what happens on "
                "close (resume, restart_rule or restart_after)",
            )


def _uncounted(retention_rule: RetentionRule) -> str | None:
    """Why a rule's period has no end date an erasure plan could count, or None if it has.

    The same questions ``erasure/keeps.py`` asks: a trigger event and an offset of days,
    working days, months or years; without either every row is kept, never a date guessed.
    """
    if retention_rule.action == "no_end_date":
        return "the data is kept with no end date"
    trigger, offset = retention_rule.trigger, retention_rule.offset
    if not isinstance(trigger, Trigger):
        return f"its trigger {'is unspecified' if is_unspecified(trigger) else 'is missing'}"
    if offset is None and retention_rule.kept_while is not None:
        return f"it lasts while {retention_rule.kept_while.state}, with no offset after"
    if not isinstance(offset, Offset):
        return f"its offset {'is unspecified' if is_unspecified(offset) else 'is missing'}"
    counted = (offset.days, offset.working_days, offset.months, offset.years)
    if all(n is None for n in counted) and offset.end_of_year_plus_years is None:
        return "its offset is 'as soon as reasonably necessary'"
    return None


# RULES: ERA-02 (a legal obligation to keep, for the period the register gives)
@rule("DW058", "warning", "keeps_for over a period that cannot be counted", "ERA-02")
def keeps_for_uncounted_period(register: Register) -> Iterator[Hit]:
    for i, retention_rule in enumerate(register.retention_rules):
        if retention_rule.keeps_for is None:
            continue
        why = _uncounted(retention_rule)
        if why is not None:
            yield Hit(
                ("retention_rules", i, "keeps_for"),
                f"retention rule {retention_rule.id!r} keeps data for "
                f"{retention_rule.keeps_for.ground.replace('_', ' ')} but {why}: an erasure "
                "plan keeps every row of the datasets it covers, for good; give the trigger "
                "and the period the law sets, or leave keeps_for out",
            )
