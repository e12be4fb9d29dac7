"""Fact coverage: does a register express every fact of its reference notice?

A fact sheet lists facts by section (``controller``, ``purposes``, ...) with ids unique
within the section; an element states the facts it expresses as ``section.id``. The
checks, each a finding of its own:

* every fact of the sheet is mapped by at least one element;
* every reference names a fact that exists;
* the element is of a typed kind that belongs to the fact's section (free-text
  ``statement`` elements only for ``other`` and ``security`` facts);
* a ``kind: rule`` fact is mapped to at least one machine-readable rule element;
* a ``kind: notice`` fact is shown in the rendered notice (checked when HTML is given).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from dataward.errors import RegisterInvalid, SourceProblem
from dataward.register.elements import Located, iter_elements
from dataward.register.models import Register

FACT_SHEETS: dict[str, str] = {
    "jtr_collections": "facts-000-jtr.yaml",
    "johnnie_johnson_housing": "facts-001-jjh.yaml",
    "r3_repairs": "facts-004-r3.yaml",
}
"""Organisation id -> fact sheet of its reference notice, in ``<examples>/notices/``."""

SECTION_KINDS: dict[str, frozenset[str]] = {
    "controller": frozenset({"controller", "dpo", "related_organisation", "notice"}),
    "subject_groups": frozenset({"subject_group"}),
    "data": frozenset({"data_category"}),
    "sources": frozenset({"source"}),
    "purposes": frozenset({"purpose", "purpose_policy", "lint_commitment"}),
    "special_category": frozenset({"data_category", "purpose", "lint_commitment"}),
    "recipients": frozenset({"recipient", "sharing_policy"}),
    "transfers": frozenset({"transfer", "transfer_policy"}),
    "marketing": frozenset({"marketing", "marketing_channel", "preference", "sharing_policy"}),
    "retention": frozenset({"retention_rule", "hold", "retention_policy"}),
    "rights": frozenset({"right", "rights_policy", "complaint_route", "automated_decision_policy"}),
    "security": frozenset(
        {
            "security_measure",
            "breach_procedure",
            "statement",
            "rights_policy",
            "lint_commitment",
            "sharing_policy",
        }
    ),
    "cookies": frozenset({"cookie_policy", "cookie_category", "cookie"}),
    "other": frozenset(
        {
            "statement",
            "notice",
            "controller",
            "purpose_policy",
            "automated_decision_policy",
            "rights_policy",
            "right",
            "lint_commitment",
            "data_category",
        }
    ),
}

RULE_KINDS: frozenset[str] = frozenset(
    {
        "retention_rule",
        "hold",
        "marketing",
        "marketing_channel",
        "preference",
        "right",
        "rights_policy",
        "lint_commitment",
        "purpose",
        "recipient",
        "transfer_policy",
        "breach_procedure",
        "automated_decision_policy",
        "notice",
        "cookie_category",
        "cookie_policy",
        "sharing_policy",
    }
)

FREE_TEXT_KINDS = frozenset({"statement"})
FREE_TEXT_SECTIONS = frozenset({"other", "security"})
_FACTS_ATTR = re.compile(r'data-facts="([^"]*)"')


@dataclass(frozen=True)
class Fact:
    section: str
    id: str
    kind: str
    text: str

    @property
    def ref(self) -> str:
        return f"{self.section}.{self.id}"


@dataclass
class CoverageReport:
    facts: list[Fact]
    mapped: dict[str, list[Located]]
    problems: list[str] = field(default_factory=list)
    rendered_checked: bool = False

    @property
    def total(self) -> int:
        return len(self.facts)

    @property
    def covered(self) -> int:
        return sum(1 for f in self.facts if self.mapped.get(f.ref))

    def by_section(self) -> dict[str, tuple[int, int]]:
        out: dict[str, tuple[int, int]] = {}
        for fact in self.facts:
            done, total = out.get(fact.section, (0, 0))
            out[fact.section] = (done + (1 if self.mapped.get(fact.ref) else 0), total + 1)
        return out

    @property
    def ok(self) -> bool:
        return not self.problems and self.covered == self.total


def load_fact_sheet(path: Path) -> list[Fact]:
    file = str(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    except (OSError, UnicodeDecodeError) as exc:
        raise RegisterInvalid([SourceProblem(file, 1, 1, "", f"cannot read: {exc}")]) from None
    except yaml.YAMLError as exc:
        raise RegisterInvalid([SourceProblem(file, 1, 1, "", f"YAML syntax: {exc}")]) from None
    if not isinstance(data, dict):
        raise RegisterInvalid([SourceProblem(file, 1, 1, "", "a fact sheet is a mapping")])
    facts: list[Fact] = []
    for section, items in data.items():
        for item in items or []:
            facts.append(Fact(str(section), str(item["id"]), str(item["kind"]), str(item["fact"])))
    return facts


def measure_coverage(
    register: Register, facts: list[Fact], rendered_html: str | None = None
) -> CoverageReport:
    known = {f.ref: f for f in facts}
    mapped: dict[str, list[Located]] = defaultdict(list)
    problems: list[str] = []
    for located in iter_elements(register):
        where = ".".join(str(p) for p in located.path) or "(register)"
        for ref in located.element.facts:
            fact = known.get(ref)
            if fact is None:
                problems.append(f"{where}: fact {ref} is not in the fact sheet")
                continue
            mapped[ref].append(located)
            allowed = SECTION_KINDS.get(fact.section, frozenset())
            if located.kind not in allowed:
                problems.append(f"{where}: {located.kind} cannot express {fact.section} fact {ref}")
            if located.kind in FREE_TEXT_KINDS and fact.section not in FREE_TEXT_SECTIONS:
                problems.append(f"{where}: free text cannot express {ref}")
    for fact in facts:
        elements = mapped.get(fact.ref, [])
        if not elements:
            problems.append(f"{fact.ref}: not expressed by any register element")
        elif fact.kind == "rule" and not any(e.kind in RULE_KINDS for e in elements):
            problems.append(f"{fact.ref}: a rule fact needs a machine-readable rule element")
    report = CoverageReport(facts, dict(mapped), problems)
    if rendered_html is not None:
        shown: set[str] = set()
        for match in _FACTS_ATTR.finditer(rendered_html):
            shown.update(match.group(1).split())
        for fact in facts:
            if fact.kind == "notice" and fact.ref not in shown and mapped.get(fact.ref):
                problems.append(f"{fact.ref}: not shown in the rendered notice")
        report.rendered_checked = True
    return report
