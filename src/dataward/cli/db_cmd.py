"""``dataward db``: schema migrations of dataward's own database."""

from __future__ import annotations

from typing import Annotated

import typer

from dataward.config import get_settings
from dataward.migrate import upgrade
from dataward.runtime import encrypt_legacy_totp_secrets

app = typer.Typer(help="Manage dataward's own database.", no_args_is_help=True)


@app.command("upgrade")
def upgrade_cmd(
    url: Annotated[str | None, typer.Option(help="Database URL (default: settings).")] = None,
) -> None:
    """Apply every pending migration (SQLite file under ./var by default)."""
    settings = get_settings()
    target = url or settings.database_url
    upgrade(target)
    sealed, readable = encrypt_legacy_totp_secrets(
        settings.model_copy(update={"database_url": target}), actor="cli:db-upgrade"
    )
    if sealed:
        typer.echo(f"sealed {sealed} TOTP secrets stored readable by an older release")
    if readable:
        typer.echo(
            f"warning: {readable} TOTP secrets are still stored readable: set "
            "DATAWARD_SECRET_KEY and run `dataward db upgrade` again to seal them",
            err=True,
        )
    typer.echo("database is up to date")
