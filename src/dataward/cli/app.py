"""The ``dataward`` command. Each command group lives in its own module."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape

from dataward.cli import (
    audit_cmd,
    calendar_cmd,
    consent_cmd,
    db_cmd,
    decide_cmd,
    demo_cmd,
    export_cmd,
    keys_cmd,
    notice_cmd,
    notify_cmd,
    register_cmd,
    serve_cmd,
    subject_cmd,
    token_cmd,
    user_cmd,
    worker_cmd,
)
from dataward.errors import DatawardError
from dataward.localkeys import load_local_keys

app = typer.Typer(
    name="dataward",
    help="Run your privacy notice: every promise enforced, every request on time.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def load_keys(ctx: typer.Context) -> None:
    """Run your privacy notice: every promise enforced, every request on time."""
    # Every command but `serve` reads the keys `make run` made on this machine (never makes
    # any); `serve` decides for itself, as it may be bound beyond loopback by --host.
    if ctx.invoked_subcommand != "serve":
        load_local_keys()


app.add_typer(register_cmd.app, name="register")
app.add_typer(notice_cmd.app, name="notice")
app.add_typer(export_cmd.app, name="export")
app.add_typer(db_cmd.app, name="db")
app.add_typer(audit_cmd.app, name="audit")
app.add_typer(subject_cmd.app, name="subject")
app.add_typer(keys_cmd.app, name="keys")
app.add_typer(demo_cmd.app, name="demo")
app.add_typer(user_cmd.app, name="user")
app.add_typer(token_cmd.app, name="token")
app.add_typer(consent_cmd.app, name="consent")
app.add_typer(notify_cmd.app, name="notify")
app.command("deadline")(calendar_cmd.deadline)
app.command("decide")(decide_cmd.decide)
app.add_typer(decide_cmd.tps_app, name="tps")
app.command("serve")(serve_cmd.serve)
app.command("worker")(worker_cmd.worker)
app.add_typer(worker_cmd.app, name="jobs")
notice_cmd.app.command("notify")(notify_cmd.notify)

err = Console(stderr=True, highlight=False, soft_wrap=True)


def report_error(error: DatawardError) -> int:
    """Print an error as a user should read it; return its exit code."""
    err.print(f"[bold red]error[/] {escape(f'[{error.code}]')}: {escape(error.message)}")
    for detail in error.details:
        err.print(detail, markup=False)
    return error.exit_code


def main() -> None:
    try:
        app()
    except DatawardError as error:
        sys.exit(report_error(error))
    except KeyboardInterrupt:
        sys.exit(130)
