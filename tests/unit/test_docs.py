"""Documentation the tests keep honest: every CLI command, register section and audit action
is documented."""

from __future__ import annotations

import importlib
import pkgutil
import typing
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel

import dataward
from dataward.cli.app import app
from dataward.register.models import Register

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _commands(command: Any, prefix: str) -> list[str]:
    # Typer ships its own copy of click, so walk by shape rather than by class; the top
    # group loads its commands when asked (cli.app.LazyGroup), so ask rather than read.
    lister = getattr(command, "list_commands", None)
    names = lister(None) if lister is not None else []
    if names:
        out: list[str] = []
        for name in names:
            out.extend(_commands(command.get_command(None, name), f"{prefix} {name}"))
        return out
    return [prefix]


def test_it_documents_every_cli_command() -> None:
    commands = _commands(typer.main.get_command(app), "dataward")
    assert "dataward register check" in commands
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = [c for c in commands if f"### `{c}`" not in text]
    assert not missing, f"docs/cli.md lacks: {missing}"


def test_it_documents_no_command_that_does_not_exist() -> None:
    commands = set(_commands(typer.main.get_command(app), "dataward"))
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    documented = {
        line.removeprefix("### `").removesuffix("`")
        for line in text.splitlines()
        if line.startswith("### `dataward")
    }
    assert documented - commands == set()


def test_it_documents_every_register_section() -> None:
    text = (DOCS / "register.md").read_text(encoding="utf-8")
    missing = [name for name in Register.model_fields if f"`{name}`" not in text]
    assert not missing, f"docs/register.md lacks sections: {missing}"


def _models(model: type[BaseModel], seen: dict[str, type[BaseModel]]) -> None:
    """Every pydantic model reachable from ``model``, by name."""
    if model.__name__ in seen:
        return
    seen[model.__name__] = model
    for info in model.model_fields.values():
        for inner in _model_types(info.annotation):
            _models(inner, seen)


def _model_types(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in typing.get_args(annotation) for m in _model_types(arg)]


def test_it_documents_every_field_of_every_register_element() -> None:
    # Silence is a value (issue 13): each field is listed with what silence renders.
    text = (DOCS / "register.md").read_text(encoding="utf-8")
    every = text.split("\n## Every field\n", 1)[1]
    models: dict[str, type[BaseModel]] = {}
    _models(Register, models)
    assert {"Register", "Controller", "ResponseCommitment", "Offset"} <= set(models)
    missing = []
    for name, model in models.items():
        parts = every.split(f"\n### `{name}`\n", 1)
        if len(parts) == 1:
            missing.append(name)
            continue
        section = parts[1].split("\n### ", 1)[0]
        rows = {
            line.split("|")[1].strip().strip("`")
            for line in section.splitlines()
            if line.startswith("| `")
        }
        missing += [f"{name}.{field}" for field in model.model_fields if field not in rows]
        missing += [f"{name}.{row} (no such field)" for row in rows - set(model.model_fields)]
    assert not missing, f"docs/register.md, Every field, lacks: {missing}"


def _audit_actions() -> dict[str, list[str]]:
    """Every action constant of every ``dataward.*.audit_actions`` module: value -> where."""
    found: dict[str, list[str]] = {}
    for info in pkgutil.walk_packages(dataward.__path__, "dataward."):
        if not info.name.endswith(".audit_actions"):
            continue
        module = importlib.import_module(info.name)
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str):
                found.setdefault(value, []).append(f"{info.name}.{name}")
    return found


def _documented_actions() -> set[str]:
    text = (DOCS / "audit.md").read_text(encoding="utf-8")
    section = text.split("\n## Actions\n", 1)[1].split("\n## ", 1)[0]
    return {
        line.removeprefix("- `").split("`", 1)[0]
        for line in section.splitlines()
        if line.startswith("- `")
    }


def test_it_documents_every_audit_action() -> None:
    actions = _audit_actions()
    assert "subject.created" in actions
    documented = _documented_actions()
    missing = sorted(
        f"{value} ({where[0]})" for value, where in actions.items() if value not in documented
    )
    assert not missing, f"docs/audit.md lacks actions: {missing}"
    # One package owns each action, so the list above has one home for it.
    twice = {value: where for value, where in actions.items() if len(where) > 1}
    assert not twice, f"actions defined more than once: {twice}"


def test_it_documents_no_audit_action_that_does_not_exist() -> None:
    documented = _documented_actions()
    assert "subject.created" in documented
    assert documented - set(_audit_actions()) == set()


# docs/coverage.md: which element kinds carry which facts, both ways.


def _kinds_tables() -> tuple[list[list[str]], list[list[str]]]:
    """The two tables between the kinds markers of docs/coverage.md, as rows of cells."""
    text = (DOCS / "coverage.md").read_text(encoding="utf-8")
    block = text.split("<!-- kinds:start -->", 1)[1].split("<!-- kinds:end -->", 1)[0]
    tables: list[list[list[str]]] = [[]]
    for line in block.strip().splitlines():
        if not line.strip():
            tables.append([])
        elif line.startswith("| `"):
            tables[-1].append([cell.strip() for cell in line.strip().strip("|").split("|")])
    assert len(tables) == 2, "docs/coverage.md holds two tables between the kinds markers"
    return tables[0], tables[1]


def _codes(cell: str) -> set[str]:
    return set() if cell == "none" else {c.strip().strip("`") for c in cell.split(",")}


def test_it_documents_which_element_kinds_carry_which_fact_sections() -> None:
    from dataward.register.coverage import RULE_KINDS, SECTION_KINDS
    from dataward.register.coverage_kinds import kinds_markdown

    sections, _ = _kinds_tables()
    documented = {row[0].strip("`"): (_codes(row[1]), _codes(row[2])) for row in sections}
    in_code = {s: (set(k), set(k & RULE_KINDS)) for s, k in SECTION_KINDS.items()}
    assert documented == in_code, f"paste into docs/coverage.md:\n{kinds_markdown()}"


def test_it_documents_where_every_element_kind_sits_and_whether_it_is_a_rule() -> None:
    from dataward.register.coverage import RULE_KINDS, SECTION_KINDS
    from dataward.register.coverage_kinds import element_homes, kinds_markdown

    _, kinds = _kinds_tables()
    documented = {
        row[0].strip("`"): (_codes(row[1]), _codes(row[2]), row[3] == "yes") for row in kinds
    }
    in_code = {
        kind: (
            set(homes),
            {s for s, allowed in SECTION_KINDS.items() if kind in allowed},
            kind in RULE_KINDS,
        )
        for kind, homes in element_homes().items()
    }
    assert "retention_rule" in in_code
    assert documented == in_code, f"paste into docs/coverage.md:\n{kinds_markdown()}"
    # Every kind the coverage rules name is a kind some element of the register has.
    named = set(RULE_KINDS).union(*SECTION_KINDS.values())
    assert named - set(in_code) == set()


# docs/getting-started.md: every setting, by the environment variable that sets it.


def _settings_classes() -> list[type[Any]]:
    from pydantic_settings import BaseSettings

    found: list[type[Any]] = []
    for info in pkgutil.walk_packages(dataward.__path__, "dataward."):
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, BaseSettings)
                and value is not BaseSettings
                and value.__module__ == info.name
            ):
                found.append(value)
    return found


def test_it_documents_every_setting_in_getting_started() -> None:
    classes = _settings_classes()
    names = {c.__name__ for c in classes}
    assert {"Settings", "MailSettings"} <= names
    text = (DOCS / "getting-started.md").read_text(encoding="utf-8")
    missing = sorted(
        f"{cls.model_config.get('env_prefix', '')}{field}".upper() + f" ({cls.__name__})"
        for cls in classes
        for field in cls.model_fields
        if f"`{cls.model_config.get('env_prefix', '')}{field}`".upper() not in text.upper()
    )
    assert not missing, f"docs/getting-started.md lacks settings: {missing}"
