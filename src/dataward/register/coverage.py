"""Fact coverage: does a register express every fact of its reference notice?

A fact sheet lists facts by section (``controller``, ``purposes``, ...) with ids unique
within the section; an element **claims** the facts it expresses as ``section.id``. A
claim is accepted only when the element is of a kind that can carry the fact:

* a kind that belongs to the fact's section (``SECTION_KINDS``), free-text ``statement``
  elements only for ``other`` and ``security`` facts;
* a reference to a fact that is not in the sheet is rejected.

A fact is **covered** only through an accepted claim, and a ``kind: rule`` fact only
through an accepted claim of a machine-readable rule kind (``RULE_KINDS``): a rejected
claim never counts, however many there are. When the rendered notice is given, a
``kind: notice`` fact must also be shown in it (a ``data-facts`` attribute names it).
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
"""Fact section -> the element kinds whose claims on its facts are accepted."""

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
"""Element kinds that are machine-readable rules: only they can cover a ``kind: rule`` fact."""

FREE_TEXT_KINDS = frozenset({"statement"})
FREE_TEXT_SECTIONS = frozenset({"other", "security"})
FACT_KINDS = ("notice", "rule")
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


@dataclass(frozen=True)
class Claim:
    """One element saying it expresses one fact; ``rejection`` says why it cannot."""

    ref: str
    located: Located
    rejection: str | None = None

    @property
    def accepted(self) -> bool:
        return self.rejection is None

    @property
    def where(self) -> str:
        return ".".join(str(p) for p in self.located.path) or "(register)"

    @property
    def kind(self) -> str:
        return self.located.kind

    def __str__(self) -> str:
        return f"{self.where}: {self.rejection}" if self.rejection else f"{self.where}: {self.ref}"


@dataclass
class CoverageReport:
    facts: list[Fact]
    claims: list[Claim]
    problems: list[str] = field(default_factory=list)
    shown_refs: frozenset[str] | None = None
    why_not_covered: dict[str, str] = field(default_factory=dict)
    """Fact ref -> why no accepted claim covers it."""
    not_shown: list[str] = field(default_factory=list)
    """Covered notice facts missing from the rendered notice."""

    @property
    def rendered_checked(self) -> bool:
        return self.shown_refs is not None

    @property
    def mapped(self) -> dict[str, list[Located]]:
        """Every element that claims a fact of the sheet, accepted or not."""
        out: dict[str, list[Located]] = defaultdict(list)
        for claim in self.claims:
            out[claim.ref].append(claim.located)
        return dict(out)

    @property
    def accepted(self) -> dict[str, list[Located]]:
        out: dict[str, list[Located]] = defaultdict(list)
        for claim in self.claims:
            if claim.accepted:
                out[claim.ref].append(claim.located)
        return dict(out)

    @property
    def rejected(self) -> list[Claim]:
        return [c for c in self.claims if not c.accepted]

    @property
    def covered_refs(self) -> frozenset[str]:
        accepted = self.accepted
        return frozenset(f.ref for f in self.facts if _covers(f, accepted.get(f.ref, [])))

    @property
    def uncovered(self) -> list[Fact]:
        covered = self.covered_refs
        return [f for f in self.facts if f.ref not in covered]

    @property
    def total(self) -> int:
        return len(self.facts)

    @property
    def covered(self) -> int:
        return len(self.covered_refs)

    @property
    def notice_facts(self) -> list[Fact]:
        return [f for f in self.facts if f.kind == "notice"]

    @property
    def rule_facts(self) -> list[Fact]:
        return [f for f in self.facts if f.kind == "rule"]

    @property
    def shown(self) -> int | None:
        """Notice facts that are covered and shown in the rendered notice (None: not checked)."""
        if self.shown_refs is None:
            return None
        covered = self.covered_refs
        return sum(1 for f in self.notice_facts if f.ref in covered and f.ref in self.shown_refs)

    def by_section(self) -> dict[str, tuple[int, int]]:
        """Section -> (covered, facts), in the sheet's order."""
        covered = self.covered_refs
        out: dict[str, tuple[int, int]] = {}
        for fact in self.facts:
            done, total = out.get(fact.section, (0, 0))
            out[fact.section] = (done + (fact.ref in covered), total + 1)
        return out

    @property
    def complete(self) -> bool:
        """Every fact covered, and every notice fact shown when the notice was checked.

        A rejected claim alone does not make a report incomplete: it counts for nothing,
        so it cannot inflate the figure; it is listed for the author to fix.
        """
        return self.covered == self.total and not self.not_shown

    @property
    def ok(self) -> bool:
        """Complete, and nothing to fix: no rejected claim either."""
        return not self.problems and self.complete


def _covers(fact: Fact, accepted: list[Located]) -> bool:
    if fact.kind == "rule":
        return any(e.kind in RULE_KINDS for e in accepted)
    return bool(accepted)


def rejection(fact: Fact, kind: str) -> str | None:
    """Why an element of ``kind`` cannot carry ``fact``, or None when it can."""
    if kind in FREE_TEXT_KINDS and fact.section not in FREE_TEXT_SECTIONS:
        return f"free text cannot express {fact.ref} (only {', '.join(sorted(FREE_TEXT_SECTIONS))})"
    if kind not in SECTION_KINDS.get(fact.section, frozenset()):
        return f"{kind} cannot express {fact.section} fact {fact.ref}"
    return None


def read_yaml_mapping(path: Path, what: str) -> yaml.MappingNode | None:
    """The top-level mapping node of a YAML file (nodes keep their line numbers); None when
    the file holds no document (only comments)."""
    file = str(path)
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    except (OSError, UnicodeDecodeError) as exc:
        raise RegisterInvalid([SourceProblem(file, 1, 1, "", f"cannot read: {exc}")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = f"YAML syntax: {exc.problem or exc.context}"
        raise RegisterInvalid([SourceProblem(file, line, col, "", message)]) from None
    except yaml.YAMLError as exc:
        raise RegisterInvalid([SourceProblem(file, 1, 1, "", f"YAML syntax: {exc}")]) from None
    if root is None:
        return None
    if not isinstance(root, yaml.MappingNode):
        line = root.start_mark.line + 1
        raise RegisterInvalid([SourceProblem(file, line, 1, "", f"{what} is a mapping")])
    return root


def load_fact_sheet(path: Path) -> list[Fact]:
    """Every fact of a sheet; a malformed entry is a ``file:line`` error, not a traceback."""
    file = str(path)
    root = read_yaml_mapping(path, "a fact sheet")
    facts: list[Fact] = []
    problems: list[SourceProblem] = []
    for key, items in root.value if root is not None else []:
        section = str(key.value)
        if isinstance(items, yaml.ScalarNode) and items.value in ("", "~", "null"):
            continue
        if not isinstance(items, yaml.SequenceNode):
            problems.append(_at(file, items, section, "a section is a list of facts"))
            continue
        for i, item in enumerate(items.value):
            path_text = f"{section}[{i}]"
            entry = plain_mapping(item)
            if entry is None:
                problems.append(_at(file, item, path_text, "a fact is {id, kind, fact}"))
                continue
            missing = [k for k in ("id", "kind", "fact") if not entry.get(k)]
            if missing:
                problems.append(_at(file, item, path_text, f"missing {', '.join(missing)}"))
            elif entry["kind"] not in FACT_KINDS:
                message = f"kind is notice or rule, got {entry['kind']!r}"
                problems.append(_at(file, item, path_text, message))
            else:
                facts.append(Fact(section, entry["id"], entry["kind"], entry["fact"]))
    if problems:
        raise RegisterInvalid(problems)
    return facts


def plain_mapping(node: yaml.Node) -> dict[str, str] | None:
    """A YAML mapping of scalars as strings, or None when the node is anything else."""
    if not isinstance(node, yaml.MappingNode):
        return None
    out: dict[str, str] = {}
    for key, value in node.value:
        if not isinstance(value, yaml.ScalarNode):
            return None
        out[str(key.value)] = str(value.value)
    return out


def _at(file: str, node: yaml.Node, path: str, message: str) -> SourceProblem:
    return SourceProblem(file, node.start_mark.line + 1, node.start_mark.column + 1, path, message)


def measure_coverage(
    register: Register, facts: list[Fact], rendered_html: str | None = None
) -> CoverageReport:
    known = {f.ref: f for f in facts}
    claims: list[Claim] = []
    problems: list[str] = []
    for located in iter_elements(register):
        for ref in located.element.facts:
            fact = known.get(ref)
            if fact is None:
                claim = Claim(ref, located, f"fact {ref} is not in the fact sheet")
            else:
                claim = Claim(ref, located, rejection(fact, located.kind))
            claims.append(claim)
            if not claim.accepted:
                problems.append(str(claim))
    report = CoverageReport(facts, claims, problems)
    accepted = report.accepted
    for fact in facts:
        mine = accepted.get(fact.ref, [])
        if not mine and any(c.ref == fact.ref for c in claims):
            why = "not covered: its only claims are rejected"
        elif not mine:
            why = "not expressed by any register element"
        elif not _covers(fact, mine):
            why = "a rule fact needs a machine-readable rule element"
        else:
            continue
        report.why_not_covered[fact.ref] = why
        problems.append(f"{fact.ref}: {why}")
    if rendered_html is not None:
        shown: set[str] = set()
        for match in _FACTS_ATTR.finditer(rendered_html):
            shown.update(match.group(1).split())
        report.shown_refs = frozenset(shown)
        covered = report.covered_refs
        for fact in report.notice_facts:
            if fact.ref in covered and fact.ref not in shown:
                report.not_shown.append(fact.ref)
                problems.append(f"{fact.ref}: not shown in the rendered notice")
    return report
