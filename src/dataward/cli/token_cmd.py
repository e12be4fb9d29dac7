"""``dataward token``: API tokens with scopes and an expiry, printed once."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dataward.accounts.permissions import TOKEN_SCOPES
from dataward.accounts.service import get_user
from dataward.accounts.tokens import create_token, list_tokens, revoke_token
from dataward.config import get_settings
from dataward.runtime import open_runtime

app = typer.Typer(help="API tokens: create, list, revoke.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
Actor = Annotated[str, typer.Option(help="Who is acting, for the audit chain.")]
REF_EXAMPLE = "t_0123456789ab"


@app.command("create")
def create(
    name: Annotated[str, typer.Argument(help="What uses the token, e.g. 'crm sync'.")],
    user: Annotated[str, typer.Option("--user", help="Username the token acts for.")],
    scope: Annotated[
        list[str],
        typer.Option("--scope", help="Repeat; one of: " + ", ".join(s.value for s in TOKEN_SCOPES)),
    ],
    days: Annotated[int, typer.Option(help="Days until it expires.")] = 90,
    actor: Actor = "cli",
) -> None:
    """Create a token; prints it once (dataward keeps only its hash)."""
    settings = get_settings()
    with open_runtime(settings, with_keys=False) as runtime, runtime.uow() as uow:
        owner = get_user(uow, user)
        secret, token = create_token(
            uow, owner, name, scope, days, max_days=settings.token_max_days, actor=actor
        )
        uow.commit()
    out.print(f"token {token.ref} ({', '.join(token.scopes)}), expires {token.expires_at:%Y-%m-%d}")
    out.print(secret, markup=False)
    out.print("It is shown only now.", markup=False)


@app.command("list")
def list_command() -> None:
    """List tokens: name, owner, scopes, expiry, last use."""
    table = Table()
    # The ref is pasted into `token revoke`: a narrow terminal folds other columns, never it.
    table.add_column("Ref", no_wrap=True, min_width=len(REF_EXAMPLE))
    for name in ("Name", "Owner", "Scopes", "Expires", "Revoked"):
        table.add_column(name, overflow="fold")
    # Read inside: leaving the unit expires the rows.
    with open_runtime(with_keys=False) as runtime, runtime.uow() as uow:
        for token, owner in list_tokens(uow):
            table.add_row(
                token.ref,
                token.name,
                owner.username,
                " ".join(token.scopes),
                f"{token.expires_at:%Y-%m-%d}",
                "yes" if token.revoked_at else "",
            )
    out.print(table)


@app.command("revoke")
def revoke(
    ref: Annotated[str, typer.Argument(help="Token reference (t_...).")], actor: Actor = "cli"
) -> None:
    """Revoke a token at once."""
    with open_runtime(with_keys=False) as runtime, runtime.uow() as uow:
        revoke_token(uow, ref, actor=actor)
        uow.commit()
    typer.echo(f"revoked {ref}")
