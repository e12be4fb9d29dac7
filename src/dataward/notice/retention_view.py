"""The retention half of ``NoticeView``: what data a rule covers, how long it is kept, from
which event, what happens at the end, and the holds that suspend it (RULES: RET-01, RET-02).
"""

from __future__ import annotations

from dataward.register.models import Coverage, Element, Hold, Register, RetentionRule, Trigger
from dataward.register.wording import (
    action_words,
    join_and,
    kept_while_words,
    offset_words,
    on_close_words,
    trigger_words,
    words,
)


class RetentionView:
    """Mixed into ``NoticeView``, which fills ``register`` and ``names``."""

    register: Register
    names: dict[str, dict[str, str]]

    def name_of(self, table: str, key: str) -> str:
        return self.names[table].get(key, words(key))

    def coverage(self, cov: Coverage) -> str:
        parts: list[str] = []
        if cov.all_data_of_groups:
            groups = [self.name_of("groups", g) for g in cov.all_data_of_groups]
            parts.append(f"All information about {join_and(groups)}")
        if cov.categories:
            parts.append(join_and(self.name_of("categories", c) for c in cov.categories))
        if cov.datasets:
            parts.append("Records: " + join_and(self.name_of("datasets", d) for d in cov.datasets))
        if cov.except_categories:
            names = [self.name_of("categories", c) for c in cov.except_categories]
            parts.append("except " + join_and(names))
        if cov.except_datasets:
            names = [self.name_of("datasets", d) for d in cov.except_datasets]
            parts.append("except records: " + join_and(names))
        return "; ".join(parts) or "Not stated in this notice: no data listed"

    def period(self, rule: RetentionRule) -> str:
        if rule.action == "never_stored":
            return "Not kept"
        if rule.action == "no_end_date":
            return "No end date"
        return kept_while_words(rule) or offset_words(rule.offset)

    def trigger(self, rule: RetentionRule) -> str:
        if rule.action in ("never_stored", "no_end_date") and rule.trigger is None:
            return "Not applicable"
        if rule.kept_while is not None and rule.trigger is None:
            return ""  # the state is the period; the notice names no event that ends it
        return trigger_words(rule.trigger, self.names["events"])

    def action(self, rule: RetentionRule) -> str:
        """What happens at the end; nothing where the register does not say (DW046)."""
        return action_words(rule.action) if rule.action is not None else ""

    def holds_of(self, rule: RetentionRule) -> list[Hold]:
        return [h for h in self.register.holds if h.id in rule.holds]

    def entities(self, hold: Hold) -> str:
        """ "case and customer": what the hold sits on, as the reader says it."""
        return join_and(words(entity).lower() for entity in hold.on)

    def on_close(self, hold: Hold) -> str:
        """What happens when the hold ends; empty where the register does not say."""
        return on_close_words(hold)

    def events_of(self, rule: RetentionRule) -> list[Element]:
        trigger = rule.trigger
        if not isinstance(trigger, Trigger):
            return []
        return [e for e in self.register.events if e.id in trigger.any_of]
