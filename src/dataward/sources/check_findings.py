"""What ``sources check --connect`` finds: each finding at the sources file's ``file:line``,
with the statement a DBA could run under a warning (``check``, ``check_files``)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

from dataward.errors import SourceProblem
from dataward.sources.models import SourcesFile

PathKey = tuple[str | int, ...]
Level = Literal["error", "warning"]


class Located(Protocol):
    """A loaded sources file that can say where a field is (``sources.loader``)."""

    @property
    def sources(self) -> SourcesFile: ...

    def problem(self, path: PathKey, message: str) -> SourceProblem: ...


@dataclass(frozen=True)
class Finding:
    level: Level
    problem: SourceProblem
    fix: str | None = None
    """A statement a DBA could run (``CREATE INDEX ...``); dataward never runs it."""

    def lines(self) -> list[str]:
        p = self.problem
        head = f"{p.file}:{p.line}:{p.column}: {self.level}: {p.path}: {p.message}"
        return [head] if self.fix is None else [head, f"    {self.fix}"]


@dataclass
class ConnectedCheck:
    findings: list[Finding] = field(default_factory=list)
    connected: list[str] = field(default_factory=list)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0


def describe_findings(check: ConnectedCheck) -> Iterator[str]:
    """The lines the CLI prints: one per finding, the DBA's statement under a warning."""
    for finding in check.findings:
        yield from finding.lines()
