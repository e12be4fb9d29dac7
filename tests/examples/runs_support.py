"""Rule facts that run: tie each test to the facts it runs, and check the runs files.

Each example has a fact sheet (``examples/notices/facts-NNN-xxx.yaml``) and, beside it, a
runs file (``runs-NNN-xxx.yaml``) that gives every ``kind: rule`` fact of the sheet either
the test that runs it in an engine or what it waits for::

    purposes.p14: {runs: tests/examples/test_runs_jtr.py::test_it_needs_consent_for_...}
    rights.x9: {waits: "breaches"}

A test (in any ``tests/examples/test_*.py`` module of the example) says which facts it runs
with ``@runs("purposes.p14")``. ``runs_problems`` holds the file and the tests to each
other, so the count of rule facts that run cannot drift from the tests that run them:
``register coverage`` reads the same file.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import yaml

from dataward.publication.registers import store_register
from dataward.register.coverage import load_fact_sheet, plain_mapping
from dataward.register.loader import LoadedRegister, load_register
from dataward.register.models import Register
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
NOTICES = EXAMPLES / "notices"

# What a rule fact with no engine waits for: one name per capability, so the coverage
# report can group them. An engine that lands takes its facts off this list (docs/examples.md).
WAITS = frozenset(
    {
        "breaches",
        "explicit consent or a Schedule 1 condition the notice leaves unstated (LAW-03)",
        "a lawful basis the notice does not state (LAW-01 refuses the purpose)",
        "contact-method preferences",
        "legitimate interests assessments (no engine planned)",
        "processor checks and contracts (no engine planned)",
        "information requests about the organisation (no engine planned)",
        "notice review reminders (no engine planned)",
        "outside dataward (the visitor's browser)",
        # Checks on someone applying for a home (credit reference identity checks, a
        # photograph, right-to-rent documents): not a rights request; the purposes behind
        # them are in the register and the right-to-rent duty runs on its own.
        "applicant checks in the lettings process (no engine planned)",
    }
)

F = TypeVar("F", bound=Callable[..., Any])


def runs(*refs: str) -> Callable[[F], F]:
    """Mark a test as running these rule facts (``section.id``) of its module's example."""

    def mark(test: F) -> F:
        test.__dict__["runs_facts"] = tuple(refs)
        return test

    return mark


@dataclass(frozen=True)
class Example:
    register_file: str
    facts_file: str
    notices: Path = NOTICES

    @property
    def runs_file(self) -> Path:
        """Beside the fact sheet, ``facts-`` made ``runs-``: where ``register coverage`` looks."""
        return self.notices / self.facts_file.replace("facts-", "runs-", 1)

    @property
    def facts_path(self) -> Path:
        return self.notices / self.facts_file

    @property
    def register_path(self) -> Path:
        return EXAMPLES / self.register_file


JTR = Example("jtr-collections.yaml", "facts-000-jtr.yaml")
JJH = Example("johnnie-johnson-housing.yaml", "facts-001-jjh.yaml")
R3 = Example("r3-repairs.yaml", "facts-004-r3.yaml")


@cache
def _loaded(path: Path) -> LoadedRegister:
    return load_register(path)


def register_of(example: Example) -> Register:
    """The example's register as loaded from its file (read once per test run)."""
    return _loaded(example.register_path).register


def store_example(uow: UnitOfWork, example: Example) -> Register:
    """Store the example's own register, as ``dataward register load`` would."""
    loaded = _loaded(example.register_path)
    store_register(uow, loaded, actor="test")
    return loaded.register


def disclosures_logged(uow: UnitOfWork) -> tuple[int, int]:
    """How many disclosures the log holds and how many the audit chain records: a refused
    disclosure changes neither."""
    from sqlalchemy import func, select

    from dataward.audit.models import AuditEvent
    from dataward.disclosures.audit_actions import DISCLOSURE_RECORDED
    from dataward.disclosures.models import Disclosure

    rows = uow.session.scalar(select(func.count()).select_from(Disclosure))
    audited = uow.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == DISCLOSURE_RECORDED)
    )
    return int(rows or 0), int(audited or 0)


def person(uow: UnitOfWork, register: Register, group: str, email: str, **more: str) -> str:
    """A subject of one of the example's own groups; returns the subject ref."""
    assert group in {g.id for g in register.subject_groups}, f"{group} is not a group here"
    identities = [("email", email), *more.items()]
    return add_subject(uow, register.organisation, [group], identities, actor="test").ref


# -- the runs file and the tests, held to each other ----------------------------------------


@dataclass(frozen=True)
class Entry:
    ref: str
    line: int
    runs: str | None
    waits: str | None


def read_runs_file(path: Path) -> tuple[list[Entry], list[str]]:
    """The entries of a runs file with their lines, and what is wrong with its shape."""
    name = path.name
    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    except (OSError, yaml.YAMLError) as exc:
        return [], [f"{name}: cannot read: {exc}"]
    if root is None:
        return [], []
    if not isinstance(root, yaml.MappingNode):
        return [], [f"{name}:{root.start_mark.line + 1}: a runs file is a mapping of fact refs"]
    entries: list[Entry] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for key, value in root.value:
        line = key.start_mark.line + 1
        ref = str(key.value)
        if ref in seen:
            problems.append(f"{name}:{line}: {ref} is listed twice (first on line {seen[ref]})")
            continue
        seen[ref] = line
        fields = plain_mapping(value)
        if fields is None or set(fields) not in ({"runs"}, {"waits"}):
            problems.append(f"{name}:{line}: {ref} needs exactly one of runs: or waits:")
            continue
        text = next(iter(fields.values()))
        if not text.strip():
            problems.append(f"{name}:{line}: {ref} has an empty {next(iter(fields))}:")
            continue
        entries.append(Entry(ref, line, fields.get("runs"), fields.get("waits")))
    return entries, problems


def tests_of(module: ModuleType) -> dict[str, tuple[str, ...]]:
    """Test name -> the facts it says it runs, for every test function of the module."""
    return {
        name: tuple(getattr(func, "runs_facts", ()))
        for name, func in inspect.getmembers(module, inspect.isfunction)
        if name.startswith("test_") and func.__module__ == module.__name__
    }


def _path_of(module: ModuleType) -> str:
    path = Path(str(module.__file__)).resolve().relative_to(ROOT).as_posix()
    assert path.startswith("tests/examples/test_"), path
    assert path.endswith(".py"), path
    return path


def runs_problems(example: Example, *modules: ModuleType) -> list[str]:
    """Everything that keeps the runs file and the tests of the example's modules (any
    ``tests/examples/test_*.py``, the runs module first) from telling one story."""
    tests = {_path_of(module): tests_of(module) for module in modules}
    rule_facts = {f.ref for f in load_fact_sheet(example.facts_path) if f.kind == "rule"}
    entries, problems = read_runs_file(example.runs_file)
    name = example.runs_file.name
    listed: dict[str, str] = {}
    for entry in entries:
        where = f"{name}:{entry.line}: {entry.ref}"
        if entry.ref not in rule_facts:
            problems.append(f"{where} is not a rule fact of {example.facts_file}")
        if entry.waits is not None and entry.waits not in WAITS:
            problems.append(f"{where} waits for {entry.waits!r}, not one of runs_support.WAITS")
        if entry.runs is None:
            continue
        path, _, test = entry.runs.partition("::")
        if test not in tests.get(path, {}):
            problems.append(f"{where} runs {entry.runs}, which is no test of {' or '.join(tests)}")
            continue
        if entry.ref not in tests[path][test]:
            problems.append(f"{where} runs {test}, which does not say @runs({entry.ref!r})")
        listed[entry.ref] = entry.runs
    named = {e.ref for e in entries}
    for ref in sorted(rule_facts - named):
        problems.append(f"{name}: rule fact {ref} is in neither runs: nor waits:")
    for path, found in tests.items():
        for test, refs in sorted(found.items()):
            for ref in refs:
                if listed.get(ref) != f"{path}::{test}":
                    problems.append(f"{path}::{test} runs {ref}, not listed as runs: there")
    return problems
