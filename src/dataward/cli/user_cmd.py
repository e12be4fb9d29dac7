"""``dataward user``: staff accounts. New passwords are printed once, never stored readable."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dataward.accounts.passwords import Passwords
from dataward.accounts.roles import DEFAULT_ROLE, ensure_not_last_admin
from dataward.accounts.service import (
    create_user,
    get_user,
    list_users,
    reset_password,
    set_disabled,
    set_totp_secret,
    totp_uri,
)
from dataward.accounts.totp_secrets import totp_sealer
from dataward.config import get_settings
from dataward.runtime import open_runtime

app = typer.Typer(
    help="Staff accounts: create, disable, enable, reset, list.", no_args_is_help=True
)
out = Console(highlight=False, soft_wrap=True)

Username = Annotated[str, typer.Argument(help="Username (an email address works).")]
Actor = Annotated[str, typer.Option(help="Who is acting, for the audit chain.")]
PasswordStdin = Annotated[
    bool,
    typer.Option("--password-stdin", help="Read the password from standard input instead."),
]


def _password(from_stdin: bool) -> str | None:
    return sys.stdin.readline().rstrip("\n") if from_stdin else None


@app.command("create")
def create(
    username: Username,
    role: Annotated[
        str,
        typer.Option(
            help="auditor (the default, least privilege: registers and the audit log, no "
            "personal data), caseworker, dpo or admin."
        ),
    ] = DEFAULT_ROLE.value,
    totp: Annotated[bool, typer.Option("--totp", help="Also set up TOTP; prints its key.")] = False,
    password_stdin: PasswordStdin = False,
    actor: Actor = "cli",
) -> None:
    """Create a user; prints the generated password (and TOTP key) once."""
    settings = get_settings()
    with open_runtime(settings, with_keys=False) as runtime, runtime.uow() as uow:
        user, password = create_user(
            uow,
            Passwords(settings),
            username,
            role,
            password=_password(password_stdin),
            actor=actor,
        )
        secret = set_totp_secret(uow, user, totp_sealer(settings), actor=actor) if totp else None
        uow.commit()
    out.print(f"created {user.username} ({user.role}), ref {user.ref}", markup=False)
    if not password_stdin:
        out.print(f"password: {password}", markup=False)
    if secret:
        out.print(f"TOTP key: {secret}", markup=False)
        out.print(f"TOTP link: {totp_uri(secret, user.username)}", markup=False)
    out.print("These are shown only now.", markup=False)


@app.command("disable")
def disable(username: Username, actor: Actor = "cli") -> None:
    """Disable a user: their sessions end and their API tokens stop working."""
    _set_disabled(username, True, actor)


@app.command("enable")
def enable(username: Username, actor: Actor = "cli") -> None:
    """Enable a disabled user again."""
    _set_disabled(username, False, actor)


def _set_disabled(username: str, disabled: bool, actor: str) -> None:
    with open_runtime(with_keys=False) as runtime, runtime.uow() as uow:
        user = get_user(uow, username)
        if disabled:
            ensure_not_last_admin(uow, user, "disabled")
        set_disabled(uow, user, disabled, actor=actor)
        uow.commit()
        name = user.username
    typer.echo(f"{name} is {'disabled' if disabled else 'enabled'}")


@app.command("reset")
def reset(
    username: Username,
    clear_totp: Annotated[
        bool, typer.Option("--clear-totp", help="Also remove TOTP (a lost phone).")
    ] = False,
    password_stdin: PasswordStdin = False,
    actor: Actor = "cli",
) -> None:
    """New password (printed once), lockout lifted, every session of the user ended."""
    settings = get_settings()
    with open_runtime(settings, with_keys=False) as runtime, runtime.uow() as uow:
        user = get_user(uow, username)
        password = reset_password(
            uow,
            Passwords(settings),
            user,
            password=_password(password_stdin),
            clear_totp=clear_totp,
            actor=actor,
        )
        uow.commit()
        name = user.username
    out.print(f"reset {name}", markup=False)
    if not password_stdin:
        out.print(f"password: {password}", markup=False)
        out.print("It is shown only now.", markup=False)


@app.command("list")
def list_command() -> None:
    """List users with their role, TOTP and state."""
    table = Table()
    # The ref is what the audit log and the console name: a narrow terminal never cuts it.
    table.add_column("Username", overflow="fold")
    table.add_column("Role")
    table.add_column("Ref", no_wrap=True, min_width=len("u_0123456789ab"))
    table.add_column("TOTP")
    table.add_column("State")
    # Read inside: leaving the unit expires the rows.
    with open_runtime(with_keys=False) as runtime, runtime.uow() as uow:
        for user in list_users(uow):
            state = "disabled" if user.disabled_at else "active"
            totp = "on" if user.totp_secret else "off"
            table.add_row(user.username, user.role, user.ref, totp, state)
    out.print(table)
