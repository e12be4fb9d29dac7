"""Rule facts that run: which test runs each ``kind: rule`` fact, or what it waits for.

Beside a fact sheet ``facts-NNN-xxx.yaml`` a runs file ``runs-NNN-xxx.yaml`` names, for
every rule fact of the sheet (by ``section.id``), either the test that runs the example's
rule in an engine or the capability the fact waits for::

    retention.r4: {runs: tests/examples/test_runs_jtr.py::test_it_deletes_video_after_90_days}
    rights.r1: {waits: "rights requests engine (issue 16)"}

A rule fact in neither list, a key that is not a rule fact of the sheet, an entry with
neither or both keys, and a ``runs:`` naming a test that does not exist are problems, each
with the runs file's name and line. This module reads files and runs nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from dataward.register.coverage import Fact, plain_mapping, read_yaml_mapping

FACTS_PREFIX = "facts-"
RUNS_PREFIX = "runs-"
_KEYS = frozenset({"runs", "waits"})


@dataclass
class RunsReport:
    """What one runs file says about the rule facts of its sheet."""

    file: str
    rule_facts: list[str]
    runs: dict[str, str] = field(default_factory=dict)
    waits: dict[str, str] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def run(self) -> int:
        return len(self.runs)

    def waiting(self) -> dict[str, list[str]]:
        """Capability -> the rule facts that wait for it, the largest group first."""
        groups: dict[str, list[str]] = defaultdict(list)
        for ref, capability in self.waits.items():
            groups[capability].append(ref)
        return dict(sorted(groups.items(), key=lambda item: (-len(item[1]), item[0])))


def runs_file_for(fact_sheet: Path) -> Path | None:
    """``runs-NNN-xxx.yaml`` beside ``facts-NNN-xxx.yaml``; None for a sheet named otherwise."""
    if not fact_sheet.name.startswith(FACTS_PREFIX):
        return None
    return fact_sheet.with_name(RUNS_PREFIX + fact_sheet.name.removeprefix(FACTS_PREFIX))


def load_runs(path: Path, facts: list[Fact], *, check_tests: bool = True) -> RunsReport:
    """Read a runs file against its sheet's facts.

    Unreadable or malformed YAML is ``RegisterInvalid`` (file:line); everything else is a
    problem in the report. With ``check_tests`` each ``runs:`` must name a test function
    that exists, in a file found under a folder above the runs file (the project root).
    """
    file = str(path)
    kinds = {f.ref: f.kind for f in facts}
    report = RunsReport(file, [f.ref for f in facts if f.kind == "rule"])
    root = read_yaml_mapping(path, "a runs file")
    seen: set[str] = set()
    for key, value in root.value if root is not None else []:
        ref = str(key.value)
        judged = "listed twice" if ref in seen else _judge(ref, kinds, value, path, check_tests)
        seen.add(ref)
        if isinstance(judged, str):
            report.problems.append(f"{file}:{key.start_mark.line + 1}: {ref}: {judged}")
        elif judged[0] == "runs":
            report.runs[ref] = judged[1]
        else:
            report.waits[ref] = judged[1]
    for ref in report.rule_facts:
        if ref not in seen:
            report.problems.append(f"{file}: rule fact {ref} is in neither list (runs or waits)")
    return report


def _judge(
    ref: str, kinds: dict[str, str], value: yaml.Node, path: Path, check_tests: bool
) -> tuple[str, str] | str:
    """``("runs", test)`` or ``("waits", capability)``, or the problem with the entry."""
    if ref not in kinds:
        return "is not a fact of the fact sheet"
    if kinds[ref] != "rule":
        return f"is a {kinds[ref]} fact, not a rule fact"
    entry = _entry(value)
    if entry is None:
        return 'give {runs: "tests/...py::test_name"} or {waits: "capability"}'
    unknown = sorted(set(entry) - _KEYS)
    if unknown:
        return f"unknown key {unknown[0]!r} (runs or waits)"
    if len(entry) != 1:
        return "give either runs or waits, not both" if entry else "give runs or waits"
    if "runs" in entry and check_tests:
        trouble = _test_trouble(path, entry["runs"])
        if trouble:
            return trouble
    [(which, what)] = entry.items()
    return which, what


def _entry(node: yaml.Node) -> dict[str, str] | None:
    """A flat mapping of non-empty strings, or None."""
    out = plain_mapping(node)
    if out is None or not all(value.strip() for value in out.values()):
        return None
    return {key: value.strip() for key, value in out.items()}


def _test_trouble(runs_file: Path, test_id: str) -> str | None:
    """Why ``path/to/test_x.py::test_name`` does not name a test, or None when it does."""
    test_path, sep, names = test_id.partition("::")
    if not sep or not test_path.endswith(".py") or not names:
        return f"runs names a test as path/to/test_file.py::test_name, got {test_id!r}"
    found = next(
        (
            folder / test_path
            for folder in runs_file.resolve().parents
            if (folder / test_path).is_file()
        ),
        None,
    )
    if found is None:
        return f"the test file {test_path} is not in any folder above {runs_file.name}"
    name = re.sub(r"\[.*\]$", "", names.split("::")[-1])
    source = found.read_text(encoding="utf-8", errors="replace")
    if not re.search(rf"^\s*(?:async\s+)?def {re.escape(name)}\(", source, re.MULTILINE):
        return f"{test_path} has no test {name}"
    return None
