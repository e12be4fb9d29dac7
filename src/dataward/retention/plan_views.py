"""The retention plan as the console shows it (RET-01..03, RES-01): what falls due this week,
what is held and by what, what is overdue and why, what needs a decision, and one rule in
words beside its plan.

Reads only: it regroups a ``RetentionPlan`` (counts, days, hold labels) with the register's
names, and each table's last run from the runs' evidence (``RunHistory``), which makes
"overdue" precise (``evidence_views.standing_of``). Counts only, never a value of a row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from dataward.register.models import Register, RetentionRule
from dataward.register.models.retention import Trigger
from dataward.register.wording import (
    action_words,
    join_and,
    join_or,
    on_close_words,
    period_words,
    trigger_words,
    uk_date,
)
from dataward.retention.evidence_views import (
    LastRun,
    RunHistory,
    Standing,
    last_run_of,
    standing_of,
)
from dataward.retention.plan import (
    EVENT_PENDING,
    RESTRICTION,
    BindingPlan,
    RetentionPlan,
    RulePlan,
)

WEEK = 7
LEGAL_HOLD = "legal_hold:"
# A binding the plan left out because it binds none of the rule's triggers: not overdue,
# just not the table the rule is read on.
TRIGGER_NOT_BOUND = "trigger not bound"


@dataclass(frozen=True)
class HeldBy:
    """One hold keeping due rows, in words; ``hold_ref`` for a legal hold's own page."""

    label: str
    words: str
    rows: int
    hold_ref: str | None = None


@dataclass(frozen=True)
class BindingRow:
    """One rule on one table of one dataset: the plan's counts with the register's names."""

    rule: str
    rule_name: str
    dataset: str
    dataset_name: str
    where: str
    status: str
    reason: str
    due: int
    held_any: int
    to_act_on: int
    held_by: list[HeldBy]
    this_week: list[tuple[date, int]]
    notes: list[str]
    last_run: LastRun | None = None
    standing: Standing = field(default_factory=Standing)

    @property
    def counted(self) -> bool:
        return self.status == "planned"

    @property
    def overdue_why(self) -> str:
        """Why rows due and not held are still there (empty when none may be)."""
        if self.status in ("waits", "skipped", "unsupported"):
            return self.reason
        return self.standing.overdue if self.counted else ""

    @property
    def run_note(self) -> str:
        """Why rows to act on are not overdue: the day's run is still to come, say."""
        return self.standing.note if self.counted else ""


@dataclass(frozen=True)
class Undecided:
    """A rule or dataset the plan cannot count, with the reason in words."""

    rule: str
    rule_name: str
    dataset_name: str
    reason: str


@dataclass
class RetentionView:
    organisation: str
    as_of: date
    register_version: int
    sources_version: int
    rows: list[BindingRow] = field(default_factory=list)
    needs_decision: list[Undecided] = field(default_factory=list)
    not_bound: list[Undecided] = field(default_factory=list)
    nothing_due: list[Undecided] = field(default_factory=list)
    # Per rule (id, name, count): legal holds on a person in force, and people restricted.
    subject_holds: list[tuple[str, str, int]] = field(default_factory=list)
    restrictions: list[tuple[str, str, int]] = field(default_factory=list)
    # Every rule in register order: (id, name, when it makes rows due, in words).
    rules: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def due_this_week(self) -> list[BindingRow]:
        return [r for r in self.rows if r.counted and (r.to_act_on or r.this_week)]

    @property
    def held(self) -> list[BindingRow]:
        return [r for r in self.rows if r.counted and r.held_any]

    @property
    def overdue(self) -> list[BindingRow]:
        return [r for r in self.rows if r.overdue_why]

    @property
    def week_end(self) -> date:
        return self.as_of + timedelta(days=WEEK)


@dataclass(frozen=True)
class HoldWords:
    name: str
    on: str
    on_close: str


@dataclass(frozen=True)
class RuleWords:
    """One retention rule in words (RET-01), as the register view shows it."""

    id: str
    name: str
    description: str
    period: str
    trigger: str
    action: str
    covers: list[str]
    holds: list[HoldWords]
    restriction: str
    reason: str


def _names(register: Register) -> dict[str, str]:
    return {d.id: d.name for d in register.datasets}


def _event_names(register: Register) -> dict[str, str]:
    return {e.id: e.name for e in register.events}


def _lower_first(text: str) -> str:
    """Mid-sentence: "Case returned" -> "case returned", but an acronym stays ("BWV")."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def due_words(rule_plan: RulePlan, register: Register) -> str:
    """When the rule makes a row due, in words: "BWV recording made on or before 7 September
    2026"; or why it makes none due ("needs decision: ...")."""
    if rule_plan.status != "planned" or rule_plan.cutoff is None:
        return f"{rule_plan.status.replace('_', ' ')}: {rule_plan.reason}"
    events = _event_names(register)
    names = join_or(_lower_first(events.get(e, e)) for e in rule_plan.triggers)
    latest = "the latest " if rule_plan.latest_of_entity else ""
    return f"due where {latest}{names} is on or before {uk_date(rule_plan.cutoff)}"


def held_words(label: str, register: Register, rule: RetentionRule | None) -> HeldBy:
    """A hold label of the plan in plain words (counted rows filled in by the caller)."""
    if label.startswith(LEGAL_HOLD):
        ref = label.removeprefix(LEGAL_HOLD)
        return HeldBy(label, f"legal hold {ref}", 0, ref)
    if label == RESTRICTION:
        return HeldBy(label, "the person has asked for restriction (RES-01)", 0)
    if label == EVENT_PENDING:
        events = _event_names(register)
        trigger = rule.trigger if rule is not None else None
        names = [events.get(e, e) for e in trigger.any_of] if isinstance(trigger, Trigger) else []
        what = join_or(_lower_first(n) for n in names) or "the starting event"
        return HeldBy(label, f"a later {what} is still to come (counted from the latest)", 0)
    hold = next((h for h in register.holds if h.id == label), None)
    name = hold.name if hold is not None else label.replace("_", " ")
    return HeldBy(label, f"{name} (open in the source)", 0)


def _row(
    plan_rule: str,
    rule_name: str,
    dataset: str,
    names: dict[str, str],
    b: BindingPlan,
    register: Register,
    rule: RetentionRule | None,
    as_of: date,
    history: RunHistory,
) -> BindingRow:
    held = []
    for label, rows in b.held.items():
        if rows:
            words = held_words(label, register, rule)
            held.append(HeldBy(label, words.words, rows, words.hold_ref))
    week_end = as_of + timedelta(days=WEEK)
    recorded = history.latest.get((plan_rule, dataset, b.connection, b.table))
    last = None
    if recorded is not None:
        last = last_run_of(
            *recorded,
            lambda label: held_words(label, register, rule).words,
            history.done.get(recorded[0].id),
        )
    standing = standing_of(b.to_act_on, last, as_of=as_of, today=history.today, org_day=history.day)
    return BindingRow(
        rule=plan_rule,
        rule_name=rule_name,
        dataset=dataset,
        dataset_name=names.get(dataset, dataset),
        where=f"{b.connection}.{b.table}",
        status=b.status,
        reason=b.reason,
        due=b.due,
        held_any=b.held_any,
        to_act_on=b.to_act_on,
        held_by=held,
        this_week=[(day, n) for day, n in b.next_due if as_of < day <= week_end],
        notes=list(b.notes),
        last_run=last,
        standing=standing,
    )


def retention_view(
    plan: RetentionPlan, register: Register, history: RunHistory | None = None
) -> RetentionView:
    """The plan regrouped for the console, every rule in register order, each table with
    its last run (none given: no run yet, today being the plan's day)."""
    history = history or RunHistory({}, None, plan.as_of)
    names = _names(register)
    rules = {r.id: r for r in register.retention_rules}
    view = RetentionView(plan.organisation, plan.as_of, plan.register_version, plan.sources_version)
    for rule_plan in plan.rules:
        rule = rules.get(rule_plan.rule)
        view.rules.append((rule_plan.rule, rule_plan.name, due_words(rule_plan, register)))
        if rule_plan.status == "needs_decision":
            view.needs_decision.append(
                Undecided(rule_plan.rule, rule_plan.name, "", rule_plan.reason)
            )
            continue
        if rule_plan.status != "planned":
            view.nothing_due.append(Undecided(rule_plan.rule, rule_plan.name, "", rule_plan.reason))
            continue
        if rule_plan.subject_holds:
            view.subject_holds.append((rule_plan.rule, rule_plan.name, rule_plan.subject_holds))
        if rule_plan.restrictions:
            view.restrictions.append((rule_plan.rule, rule_plan.name, rule_plan.restrictions))
        for dataset in rule_plan.datasets:
            dataset_name = names.get(dataset.dataset, dataset.dataset)
            if not dataset.bindings:
                view.not_bound.append(
                    Undecided(rule_plan.rule, rule_plan.name, dataset_name, dataset.reason)
                )
                continue
            for b in dataset.bindings:
                if b.status == "skipped" and b.reason == TRIGGER_NOT_BOUND:
                    reason = f"{TRIGGER_NOT_BOUND} on {b.connection}.{b.table}"
                    view.not_bound.append(
                        Undecided(rule_plan.rule, rule_plan.name, dataset_name, reason)
                    )
                    continue
                view.rows.append(
                    _row(
                        rule_plan.rule,
                        rule_plan.name,
                        dataset.dataset,
                        names,
                        b,
                        register,
                        rule,
                        plan.as_of,
                        history,
                    )
                )
    return view


def _coverage(rule: RetentionRule, register: Register) -> list[str]:
    names = _names(register)
    groups = {g.id: g.name for g in register.subject_groups}
    categories = {c.id: c.name for c in register.data_categories}
    cov = rule.covers
    parts: list[str] = []
    if cov.all_data_of_groups:
        parts.append("All data of " + join_and(groups.get(g, g) for g in cov.all_data_of_groups))
    if cov.categories:
        parts.append("Categories: " + join_and(categories.get(c, c) for c in cov.categories))
    if cov.datasets:
        parts.append("Datasets: " + join_and(names.get(d, d) for d in cov.datasets))
    if cov.except_categories:
        parts.append("Except " + join_and(categories.get(c, c) for c in cov.except_categories))
    if cov.except_datasets:
        parts.append("Except " + join_and(names.get(d, d) for d in cov.except_datasets))
    return parts or ["No data listed"]


def rule_words(rule: RetentionRule, register: Register) -> RuleWords:
    """The rule as the register says it (RET-01, RET-02, RES-01), in words."""
    events = _event_names(register)
    holds = [
        HoldWords(h.name, join_and(h.on), _lower_first(on_close_words(h)) or "not stated")
        for h in register.holds
        if h.id in rule.holds
    ]
    if rule.restriction_is_hold is True:
        restriction = "Yes: a restriction in force keeps the person's data (RES-01)"
    elif rule.restriction_is_hold is False:
        restriction = "No: a restriction does not stop this rule"
    else:
        restriction = "Not stated: a restriction does not stop this rule"
    return RuleWords(
        id=rule.id,
        name=rule.name,
        description=rule.description or "",
        period=period_words(rule, events),
        trigger=trigger_words(rule.trigger, events),
        action=action_words(rule.action) if rule.action else "Not stated in the register",
        covers=_coverage(rule, register),
        holds=holds,
        restriction=restriction,
        reason=rule.reason or "",
    )
