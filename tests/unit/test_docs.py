"""Documentation the tests keep honest: every CLI command and register section is documented."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from dataward.cli.app import app
from dataward.register.models import Register

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _commands(command: Any, prefix: str) -> list[str]:
    # Typer ships its own copy of click, so walk by shape rather than by class.
    subcommands = getattr(command, "commands", None)
    if subcommands:
        out: list[str] = []
        for name, sub in subcommands.items():
            out.extend(_commands(sub, f"{prefix} {name}"))
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
