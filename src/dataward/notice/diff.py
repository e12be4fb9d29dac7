"""What changed between two versions of a notice, and which changes are significant.

NTC-03: significant changes must reach subjects before they take effect. A change is
significant when it is a new purpose, a new recipient, a new transfer, longer retention, a
new category of data, a new source, a changed lawful basis, or the start of automated
decision-making or profiling (the reasons in ``REASONS``).
An element that starts to apply to another subject group counts as new for that group:
for those people it is. Where dataward cannot tell whether retention got longer (the
trigger changed, a rule was removed), it says so and counts it, since telling people too
much costs less than not telling them.

Everything else is listed too, so the diff reads as a complete change log per section.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel

from dataward.notice.diff_rules import SignificanceRule, notes_for, rules_for
from dataward.notice.errors import DiffRefused
from dataward.notice.labels import FIELD_LABELS, RIGHT_TITLES
from dataward.register.models import Offset, Register, Unspecified
from dataward.register.wording import offset_words, words

REASONS: dict[str, str] = {
    "new_purpose": "new purpose",
    "new_recipient": "new recipient",
    "new_transfer": "new transfer outside the UK",
    "longer_retention": "longer retention",
    "new_data_category": "new category of data",
    "new_source": "new source",
    "basis_changed": "lawful basis changed",
    "automated_decisions": "automated decision-making or profiling starts",
}
"""NTC-03 reasons, code -> words. Codes are stored with recorded changes: keep them stable."""

_SHORT = 160


@dataclass(frozen=True)
class Change:
    section: str
    action: Literal["added", "removed", "changed"]
    item: str
    details: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()

    @property
    def significant(self) -> bool:
        return bool(self.reasons)

    @property
    def headline(self) -> str:
        return f"{self.action.capitalize()}: {self.item}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "action": self.action,
            "item": self.item,
            "details": list(self.details),
            "significant": self.significant,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True)
class NoticeDiff:
    organisation: str
    changes: list[Change] = field(default_factory=list)

    @property
    def significant(self) -> list[Change]:
        return [c for c in self.changes if c.significant]

    def by_section(self) -> dict[str, list[Change]]:
        out: dict[str, list[Change]] = {}
        for change in self.changes:
            out.setdefault(change.section, []).append(change)
        return out

    def reasons(self) -> list[str]:
        seen = dict.fromkeys(r for c in self.changes for r in c.reasons)
        return [REASONS[r] for r in REASONS if r in seen]

    def summary(self) -> str:
        """One line, e.g. "5 changes, 2 significant (new purpose, new recipient)"."""
        if not self.changes:
            return "No changes to what the notice says"
        n = len(self.changes)
        text = f"{n} change" + ("" if n == 1 else "s")
        if not self.significant:
            return text + ", none significant"
        return f"{text}, {len(self.significant)} significant ({', '.join(self.reasons())})"


# -- what to compare ----------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One part of the register compared element by element."""

    section: str
    items: Callable[[Register], Sequence[Any]]
    key: Callable[[Any], str]
    name: Callable[[Any], str]
    kind: str
    skip: frozenset[str] = frozenset()


def _id(x: Any) -> str:
    return str(x.id)


def _name(x: Any) -> str:
    return str(getattr(x, "name", None) or getattr(x, "statement", None) or x.id)


def _one(getter: Callable[[Register], Any]) -> Callable[[Register], Sequence[Any]]:
    """A part that is one element, or none where the register is silent about it."""
    return lambda r: [] if getter(r) is None else [getter(r)]


def _fixed(label: str) -> Callable[[Any], str]:
    return lambda _x: label


PARTS: tuple[Part, ...] = (
    Part(
        "About us",
        _one(lambda r: r.controller),
        _fixed("controller"),
        _fixed("Controller"),
        "controller",
    ),
    Part(
        "About us", _one(lambda r: r.dpo), _fixed("dpo"), _fixed("Data protection officer"), "dpo"
    ),
    Part("Who this notice is for", lambda r: r.subject_groups, _id, _name, "subject_group"),
    Part("Information we hold", lambda r: r.data_categories, _id, _name, "data_category"),
    Part("Where information comes from", lambda r: r.sources, _id, _name, "source"),
    Part("How we use information", lambda r: r.purposes, _id, _name, "purpose"),
    Part(
        "How we use information",
        lambda r: r.purpose_policies,
        _id,
        lambda x: words(x.applies_to),
        "purpose_policy",
    ),
    Part("Sharing your information", lambda r: r.recipients, _id, _name, "recipient"),
    Part(
        "Sharing your information",
        lambda r: r.sharing_policies,
        _id,
        lambda x: words(x.rule),
        "sharing_policy",
    ),
    Part(
        "Sending information outside the UK",
        _one(lambda r: r.transfers.policy),
        _fixed("policy"),
        _fixed("Our approach to transfers"),
        "transfer_policy",
    ),
    Part(
        "Sending information outside the UK",
        lambda r: r.transfers.items,
        _id,
        lambda x: "Transfer to " + ", ".join(x.destinations),
        "transfer",
    ),
    Part(
        "Marketing and your choices",
        _one(lambda r: r.marketing),
        _fixed("marketing"),
        _fixed("Marketing"),
        "marketing",
        frozenset({"channels"}),
    ),
    Part(
        "Marketing and your choices",
        lambda r: r.marketing.channels,
        _id,
        lambda x: f"{words(x.channel)} ({x.id})",
        "marketing_channel",
    ),
    Part("Marketing and your choices", lambda r: r.preferences, _id, _name, "preference"),
    Part(
        "Cookies",
        _one(lambda r: r.cookies),
        _fixed("cookies"),
        _fixed("Cookies"),
        "cookie_policy",
        frozenset({"categories", "cookies"}),
    ),
    Part("Cookies", lambda r: r.cookies.categories, _id, _name, "cookie_category"),
    Part("Cookies", lambda r: r.cookies.cookies, lambda x: str(x.name), _name, "cookie"),
    Part(
        "Automated decisions and profiling",
        _one(lambda r: r.automated_decisions),
        _fixed("policy"),
        _fixed("Automated decisions"),
        "automated_decision_policy",
        frozenset({"items"}),
    ),
    Part(
        "Automated decisions and profiling",
        lambda r: r.automated_decisions.items,
        _id,
        _name,
        "automated_decision",
    ),
    Part("How long we keep information", lambda r: r.retention_rules, _id, _name, "retention_rule"),
    Part("How long we keep information", lambda r: r.holds, _id, _name, "hold"),
    Part("How long we keep information", lambda r: r.events, _id, _name, "event"),
    Part("How long we keep information", lambda r: r.datasets, _id, _name, "dataset"),
    Part(
        "How long we keep information",
        lambda r: r.retention_policies,
        lambda x: str(x.statement)[:80],
        lambda x: str(x.statement)[:80],
        "retention_policy",
    ),
    Part(
        "Your rights and how to use them",
        _one(lambda r: r.rights),
        _fixed("rights"),
        _fixed("How to use your rights"),
        "rights_policy",
        frozenset({"items", "complaints"}),
    ),
    Part(
        "Your rights and how to use them",
        lambda r: r.rights.items,
        lambda x: str(x.right.value),
        lambda x: RIGHT_TITLES.get(x.right.value, words(x.right)),
        "right",
    ),
    Part(
        "How to complain",
        _one(lambda r: r.rights.complaints),
        _fixed("complaints"),
        _fixed("Complaints"),
        "complaint_route",
    ),
    Part(
        "Keeping information secure",
        lambda r: r.security.measures,
        _id,
        lambda x: str(x.description)[:80],
        "security_measure",
    ),
    Part(
        "Keeping information secure",
        lambda r: [r.security.breach_procedure] if r.security.breach_procedure else [],
        _fixed("breach"),
        _fixed("If something goes wrong"),
        "breach_procedure",
    ),
    Part(
        "Our commitments",
        lambda r: r.commitments,
        _id,
        lambda x: str(x.statement)[:80],
        "lint_commitment",
    ),
    Part("Other information", lambda r: r.statements, _id, lambda x: str(x.text)[:80], "statement"),
    Part(
        "About this notice",
        _one(lambda r: r.notice),
        _fixed("notice"),
        _fixed("About this notice"),
        "notice",
    ),
)


def diff_registers(old: Register, new: Register) -> NoticeDiff:
    """Every change from ``old`` to ``new`` that a reader of the notice would see."""
    if old.organisation != new.organisation:
        raise DiffRefused(
            f"the registers belong to two organisations ({old.organisation!r} and "
            f"{new.organisation!r}); a diff compares two versions of one organisation's notice"
        )
    names = _Names(old, new)
    changes: list[Change] = []
    for part in PARTS:
        changes.extend(_diff_part(part, old, new, names))
    return NoticeDiff(new.organisation, changes)


def _diff_part(part: Part, old: Register, new: Register, names: _Names) -> Iterable[Change]:
    before = {part.key(x): x for x in part.items(old)}
    after = {part.key(x): x for x in part.items(new)}
    rules = rules_for(part.kind)
    for key, element in after.items():
        if key not in before:
            reasons = _reasons(rules, None, element, old, new)
            notes = notes_for(reasons, new)
            yield Change(part.section, "added", part.name(element), notes, reasons)
    for key, element in before.items():
        if key not in after:
            reasons = _reasons(rules, element, None, old, new)
            yield Change(part.section, "removed", part.name(element), (), reasons)
    for key, element in after.items():
        earlier = before.get(key)
        if earlier is None or _dump(earlier) == _dump(element):
            continue
        details = tuple(field_changes(earlier, element, names, part.skip))
        if not details:
            continue
        reasons = _reasons(rules, earlier, element, old, new)
        details += notes_for(reasons, new)
        yield Change(part.section, "changed", part.name(element), details, reasons)


def _reasons(
    rules: Sequence[SignificanceRule], old: Any, new: Any, old_r: Register, new_r: Register
) -> tuple[str, ...]:
    found: list[str] = []
    for rule in rules:
        reason = rule(old, new, old_r, new_r)
        if reason and reason not in found:
            found.append(reason)
    return tuple(found)


# -- field-level words ---------------------------------------------------------------------


class _Names:
    """Ids -> names over both versions, so a removed recipient is still named."""

    def __init__(self, old: Register, new: Register) -> None:
        self.table: dict[str, str] = {}
        for register in (old, new):
            for items in (
                register.subject_groups,
                register.data_categories,
                register.purposes,
                register.recipients,
                register.datasets,
                register.holds,
                register.events,
                register.cookies.categories,
            ):
                for x in items:
                    self.table.setdefault(x.id, x.name)

    def of(self, key: str) -> str:
        return self.table.get(key, words(key))


_ID_LISTS = frozenset(
    {
        "subject_groups",
        "all_data_of_groups",
        "categories",
        "except_categories",
        "purposes",
        "recipients",
        "datasets",
        "except_datasets",
        "holds",
        "any_of",
    }
)


def _dump(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", exclude={"facts"} & set(type(value).model_fields))
    if isinstance(value, list):
        return [_dump(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    return value


def field_changes(
    old: BaseModel, new: BaseModel, names: _Names, skip: frozenset[str] = frozenset()
) -> Iterable[str]:
    """ "Label: before → after" for each field that differs; id lists as added/removed."""
    for name in type(new).model_fields:
        if name == "facts" or name in skip:
            continue
        before, after = getattr(old, name), getattr(new, name)
        if _dump(before) == _dump(after):
            continue
        label = FIELD_LABELS.get(name) or words(name)
        if name in _ID_LISTS and isinstance(after, list) and isinstance(before, list):
            added = [names.of(x) for x in after if x not in before]
            removed = [names.of(x) for x in before if x not in after]
            parts = []
            if added:
                parts.append("added " + ", ".join(added))
            if removed:
                parts.append("removed " + ", ".join(removed))
            yield f"{label}: " + ("; ".join(parts) if parts else "order changed")
            continue
        if (
            isinstance(before, BaseModel)
            and isinstance(after, BaseModel)
            and not isinstance(after, Offset)
        ):
            for inner in field_changes(before, after, names):
                yield f"{label}, {inner[:1].lower()}{inner[1:]}"
            continue
        yield f"{label}: {text(before, names)} → {text(after, names)}"


def text(value: Any, names: _Names | None = None) -> str:
    """A short reading of any register value, for a line of the diff."""
    out = _text(value, names)
    return out if len(out) <= _SHORT else out[: _SHORT - 1] + "…"


def _text(value: Any, names: _Names | None) -> str:
    if value is None:
        return "silent"  # the register leaves it out: the notice says nothing
    if value == []:
        return "none"
    if isinstance(value, Unspecified):
        return "not stated"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Enum):
        return words(value)
    if isinstance(value, Offset):
        return offset_words(value)
    if isinstance(value, str):
        if value.replace("_", "").isalnum() and value.islower() and "_" in value:
            return words(value)
        return f"“{value}”"
    if isinstance(value, list):
        return "; ".join(_text(v, names) for v in value)
    if isinstance(value, BaseModel):
        parts: list[tuple[str, str]] = []
        for name in type(value).model_fields:
            inner = getattr(value, name)
            if name == "facts" or inner is None or inner == [] or inner is False:
                continue
            parts.append((FIELD_LABELS.get(name) or words(name), _text(inner, names)))
        if len(parts) == 1:
            return parts[0][1]  # "Contract", not "Basis Contract"
        return ", ".join(f"{label} {value}" for label, value in parts) or "none"
    return str(value)
