"""The compliance linter: rules over a loaded register, each with an ID and a RULES ref.

A rule is a function ``(register) -> Iterable[Hit]`` registered with ``@rule``. Findings
carry the register path so the CLI can point at ``file:line``. Every rule is documented in
``docs/lint-rules.md`` (a test enforces it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

from dataward.register.models import Register

Severity = Literal["error", "warning", "info"]
PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class Hit:
    """One place a rule fires: where, and what to say about it."""

    path: PathKey
    message: str


@dataclass(frozen=True)
class LintRule:
    id: str
    severity: Severity
    title: str
    rules_ref: str
    check: Callable[[Register], Iterable[Hit]]


@dataclass(frozen=True)
class Finding:
    rule_id: str
    severity: Severity
    message: str
    path: PathKey
    rules_ref: str

    @property
    def dotted_path(self) -> str:
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
        return out


LINT_RULES: dict[str, LintRule] = {}


def rule(
    rule_id: str, severity: Severity, title: str, rules_ref: str
) -> Callable[[Callable[[Register], Iterable[Hit]]], Callable[[Register], Iterable[Hit]]]:
    def register_rule(
        check: Callable[[Register], Iterable[Hit]],
    ) -> Callable[[Register], Iterable[Hit]]:
        if rule_id in LINT_RULES:
            raise ValueError(f"lint rule {rule_id} defined twice")
        LINT_RULES[rule_id] = LintRule(rule_id, severity, title, rules_ref, check)
        return check

    return register_rule


def lint(register: Register) -> list[Finding]:
    _load_rules()
    findings: list[Finding] = []
    for lint_rule in LINT_RULES.values():
        for hit in lint_rule.check(register):
            findings.append(
                Finding(
                    lint_rule.id, lint_rule.severity, hit.message, hit.path, lint_rule.rules_ref
                )
            )
    return findings


def all_rules() -> list[LintRule]:
    _load_rules()
    return sorted(LINT_RULES.values(), key=lambda r: r.id)


def _load_rules() -> None:
    # Rule modules register themselves on import.
    from dataward.register import lint_rules  # noqa: F401


def iter_hits(items: Iterable[tuple[PathKey, str]]) -> Iterator[Hit]:
    for path, message in items:
        yield Hit(path, message)
