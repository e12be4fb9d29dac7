"""The CLI starts fast: `dataward --help` imports no command group (issue 15, item 7).

Each group is listed in ``cli.app.COMMANDS`` with its one-line help and imported only when
it runs; these tests hold the table to the modules and check what `--help` loads.
"""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest
import typer

from dataward.cli.app import COMMANDS, load_command

PROBE = """
import sys
from dataward.cli.app import app
try:
    app(["--help"])
except SystemExit:
    pass
loaded = sorted(m for m in sys.modules if m.startswith("dataward.cli.") or m == "sqlalchemy")
print("LOADED", loaded)
"""


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_each_line_of_the_table_is_the_commands_own_help(name: str) -> None:
    entry = COMMANDS[name]
    module = importlib.import_module(f"dataward.cli.{entry.module}")
    target = getattr(module, entry.attribute)
    if isinstance(target, typer.Typer):
        own = target.info.help
    else:
        own = (target.__doc__ or "").strip().splitlines()[0]
    assert entry.help == own
    assert load_command(name).name == name


def test_help_lists_every_command_and_imports_none_of_them() -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    for name in COMMANDS:
        assert f"  {name} " in done.stdout
    loaded = done.stdout.split("LOADED", 1)[1]
    assert "_cmd" not in loaded
    assert "sqlalchemy" not in loaded
