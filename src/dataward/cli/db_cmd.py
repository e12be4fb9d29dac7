"""``dataward db``: schema migrations of dataward's own database."""

from __future__ import annotations

from typing import Annotated

import typer

from dataward.config import get_settings
from dataward.migrate import upgrade

app = typer.Typer(help="Manage dataward's own database.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd(
    url: Annotated[str | None, typer.Option(help="Database URL (default: settings).")] = None,
) -> None:
    """Apply every pending migration (SQLite file under ./var by default)."""
    target = url or get_settings().database_url
    upgrade(target)
    typer.echo("database is up to date")
