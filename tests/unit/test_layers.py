"""The layers are a test: docs/architecture-parts.json names dataward's parts and the imports
that must never exist, RULES below adds finer rules per package, and this module holds the
code to both.

Every import of a ``dataward`` module counts, wherever it stands: at the top, inside a
function (the old way of dodging a cycle) or under ``TYPE_CHECKING`` (a type is still a
dependency on the package that defines it).
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
PACKAGE = SRC / "dataward"
PLAN = ROOT / "docs" / "architecture-parts.json"

# Rules finer than a part (the plan's format names whole parts): which files a package may
# import. Listed in docs/architecture.md.
RULES: list[dict[str, Any]] = [
    {
        "from": "src/dataward/calendar/",
        "may_only": ["src/dataward/calendar/", "src/dataward/errors.py", "src/dataward/clock.py"],
        "why": "Calendar may use errors.py and clock.py (base), nothing else of Core",
    },
    {
        "from": "src/dataward/jobs/",
        "may_not": ["Domains"],
        "except": ["src/dataward/jobs/", "src/dataward/audit/"],
        "why": "jobs/ keeps the due-row machinery; each domain exports its own handlers and "
        "the wiring hands them to the worker; jobs write the audit chain like every change",
    },
]


@dataclass(frozen=True)
class Import:
    source: str  # importing file, relative to the repository root
    target: str  # imported file, relative to the repository root
    line: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target}"


@cache
def plan() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(PLAN.read_text(encoding="utf-8"))
    return loaded


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def source_files() -> list[str]:
    return sorted(_relative(p) for p in PACKAGE.rglob("*.py"))


def part_of(path: str) -> str | None:
    for name, part in plan()["parts"].items():
        for member in part["is"]:
            if path == member or (member.endswith("/") and path.startswith(member)):
                return str(name)
    return None


def _module_file(module: str) -> str | None:
    """The file a dotted ``dataward`` module name lives in, or None if it names no file."""
    base = SRC.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return _relative(candidate)
    return None


def _targets(node: ast.AST, package: str) -> list[str]:
    """The ``dataward`` modules an import statement depends on, as dotted names.

    ``from dataward.x import y`` depends on the submodule ``dataward.x.y`` when there is
    one, otherwise on ``dataward.x`` (which defines y).
    """
    if isinstance(node, ast.Import):
        modules = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        if node.level:  # relative: resolve against this module's package
            parts = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join(parts + ([node.module] if node.module else []))
        else:
            base = node.module or ""
        modules = [
            f"{base}.{alias.name}" if _module_file(f"{base}.{alias.name}") else base
            for alias in node.names
        ]
    else:
        return []
    return [m for m in modules if m == "dataward" or m.startswith("dataward.")]


@cache
def imports() -> tuple[Import, ...]:
    found: list[Import] = []
    for path in source_files():
        tree = ast.parse((ROOT / path).read_text(encoding="utf-8"), filename=path)
        module = path.removeprefix("src/").removesuffix(".py").replace("/", ".")
        package = module.removesuffix(".__init__")
        if not path.endswith("__init__.py"):
            package = package.rsplit(".", 1)[0]
        for node in ast.walk(tree):
            targets = {_module_file(name) for name in _targets(node, package)}
            for target in sorted(t for t in targets if t is not None and t != path):
                found.append(Import(path, target, getattr(node, "lineno", 0)))
    return tuple(found)


def _broken(source_part: str, target_part: str) -> list[Import]:
    return [
        i
        for i in imports()
        if part_of(i.source) == source_part and part_of(i.target) == target_part
    ]


def test_it_places_every_source_file_on_a_part() -> None:
    unplaced = [p for p in source_files() if part_of(p) is None]
    assert not unplaced, (
        "files on no part of docs/architecture-parts.json (a new domain goes under Domains, "
        f"see docs/architecture.md): {unplaced}"
    )


def test_it_reads_the_imports_it_guards() -> None:
    # The checks below prove nothing if the reader misses imports: known arrows must show.
    pairs = {(part_of(i.source), part_of(i.target)) for i in imports()}
    assert ("Web", "Domains") in pairs
    assert ("Notice", "Register") in pairs
    assert ("CLI", "Wiring") in pairs


@pytest.mark.parametrize("never", plan()["never"], ids=[f"{a}->{b}" for a, b, _ in plan()["never"]])
def test_it_has_no_import_that_must_never_exist(never: list[str]) -> None:
    source_part, target_part, why = never
    broken = _broken(source_part, target_part)
    assert not broken, f"{why}: " + "; ".join(map(str, broken))


@pytest.mark.parametrize("rule", RULES, ids=[r["from"] for r in RULES])
def test_it_keeps_each_rule(rule: dict[str, Any]) -> None:
    def within(target: str, members: list[str]) -> bool:
        return any(target == m or (m.endswith("/") and target.startswith(m)) for m in members)

    broken: list[Import] = []
    for i in imports():
        if not i.source.startswith(rule["from"]):
            continue
        if "may_only" in rule and not within(i.target, rule["may_only"]):
            broken.append(i)
        forbidden = "may_not" in rule and part_of(i.target) in rule["may_not"]
        if forbidden and not within(i.target, rule.get("except", [])):
            broken.append(i)
    assert not broken, f"{rule['why']}: " + "; ".join(map(str, broken))


def test_it_sees_a_forbidden_import_when_there_is_one() -> None:
    # The reader itself: a function-level import under TYPE_CHECKING still counts.
    code = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from dataward.crypto.keystore import Vault\n"
        "def f():\n"
        "    from dataward.web import app\n"
    )
    tree = ast.parse(code)
    names = [n for node in ast.walk(tree) for n in _targets(node, "dataward")]
    assert "dataward.crypto.keystore" in names
    assert "dataward.web.app" in names
    assert _module_file("dataward.crypto.keystore") == "src/dataward/crypto/keystore.py"
    assert part_of("src/dataward/crypto/keystore.py") == "Domains"
    assert part_of("src/dataward/uow.py") == "Core"
