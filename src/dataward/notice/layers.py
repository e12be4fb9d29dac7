"""Layered notices: a short first layer per subject group, and one group's notice alone.

The ICO recommends a layered approach: a few lines that tell each kind of reader what
matters to them, linking to the full text (RULES: NTC-01). ``summaries`` builds those
lines from the register; ``for_group`` narrows a register to what one group needs to read.
A line never says more than the full section under it: where the register is silent the
line says "Not stated in this notice", never "we do not share it" or "nothing else".
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from dataward.notice.errors import UnknownSubjectGroup
from dataward.register.models import (
    LawfulBasis,
    Register,
    RetentionRule,
    SubjectGroup,
    Trigger,
)
from dataward.register.wording import (
    NOT_STATED,
    approximate_days,
    join_and,
    offset_words,
    words,
)

SHOWN = 5
"""Names listed in a first-layer line before "and N more": the layer must stay short."""


@dataclass(frozen=True)
class GroupSummary:
    """The first layer for one subject group: a handful of plain sentences."""

    group: SubjectGroup
    holds: str
    uses: str
    bases: str
    shares: str
    abroad: str | None
    keeps: str


def short_list(names: Sequence[str], none: str) -> str:
    if not names:
        return none
    if len(names) <= SHOWN:
        return join_and(names)
    return f"{', '.join(names[:SHOWN])} and {len(names) - SHOWN} more"


def summaries(register: Register) -> list[GroupSummary]:
    return [summary(register, group) for group in register.subject_groups]


def summary(register: Register, group: SubjectGroup) -> GroupSummary:
    from dataward.notice.render import group_content

    content = group_content(register, group)
    categories = [c.name for c in content.categories if c.held]
    everyone = [c.name for c in register.data_categories if not c.subject_groups and c.held]
    bases = _distinct(
        words(use.basis)
        for purpose in content.purposes
        for use in purpose.bases
        if isinstance(use.basis, LawfulBasis)
    )
    recipients = _distinct(x.name for x in content.recipients if x.role != "none")
    # "We share it with no one" only where the register lists a recipient of role none for
    # this group (the notice said so); no recipient at all is silence.
    no_one = any(x.role == "none" for x in content.recipients)
    destinations = _distinct(d for t in content.transfers for d in t.destinations)
    return GroupSummary(
        group=group,
        holds=short_list(_distinct(categories + everyone), NOT_STATED),
        uses=short_list([p.name for p in content.purposes], NOT_STATED),
        bases=short_list(bases, NOT_STATED),
        shares=short_list(
            recipients, "We do not share it with anyone else" if no_one else NOT_STATED
        ),
        # The destinations the register lists; how often is the full section's to say.
        abroad=join_and(destinations) if destinations else None,
        keeps=retention_range(content.rules, general=bool(register.retention_policies)),
    )


def _distinct(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def retention_range(rules: Sequence[RetentionRule], *, general: bool = False) -> str:
    """ "From 2 working days to 6 years, depending on the information".

    ``general``: the register states retention policies for everyone, so a group with no
    rule of its own is pointed at them; without them, the line says the notice is silent.
    """
    timed = [
        (days, offset_words(rule.offset))
        for rule in rules
        if rule.action != "never_stored" and (days := approximate_days(rule.offset)) is not None
    ]
    if not timed:
        if rules:
            return "For as long as each rule in the full notice says"
        return "The full notice says how long we keep information" if general else NOT_STATED
    timed.sort(key=lambda pair: pair[0])
    shortest, longest = timed[0][1], timed[-1][1]
    if shortest == longest:
        return f"{shortest[:1].upper()}{shortest[1:]}, counted from an event the full notice names"
    return f"From {shortest} to {longest}, depending on the information"


def for_group(register: Register, group_id: str) -> Register:
    """The register narrowed to one subject group, for that group's notice alone.

    Elements that name no group (information about everyone, general policies) stay; the
    element objects are the same, so anchors and names resolve as in the full notice.
    """
    ids = [g.id for g in register.subject_groups]
    if group_id not in ids:
        raise UnknownSubjectGroup(
            f"no subject group {group_id[:80]!r} in this register",
            details=[f"subject groups: {', '.join(ids)}"],
        )
    from dataward.notice.render import group_content

    group = register.group(group_id)
    content = group_content(register, group)

    def mine(items: Sequence[object], groups_of: str = "subject_groups") -> list[object]:
        return [x for x in items if not getattr(x, groups_of) or group_id in getattr(x, groups_of)]

    cookies = register.cookies
    if group_id in cookies.subject_groups:
        # Cookies are explained in this group's own section; others' sections are absent.
        cookies = cookies.model_copy(update={"subject_groups": [group_id]})
    decisions = register.automated_decisions
    update: dict[str, object] = {
        "subject_groups": [group],
        "data_categories": mine(register.data_categories),
        "sources": mine(register.sources),
        "purposes": content.purposes,
        "recipients": content.recipients,
        "datasets": mine(register.datasets),
        "retention_rules": content.rules,
        "preferences": mine(register.preferences),
        "transfers": register.transfers.model_copy(update={"items": content.transfers}),
        "marketing": register.marketing.model_copy(
            update={"channels": mine(register.marketing.channels)}
        ),
        "cookies": cookies,
        "automated_decisions": decisions.model_copy(update={"items": mine(decisions.items)}),
    }
    rule_holds = {h for rule in content.rules for h in rule.holds}
    update["holds"] = [h for h in register.holds if h.id in rule_holds]
    triggers = {
        e for r in content.rules if isinstance(r.trigger, Trigger) for e in r.trigger.any_of
    }
    update["events"] = [e for e in register.events if e.id in triggers]
    return register.model_copy(update=update)
