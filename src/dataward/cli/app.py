"""The ``dataward`` command. Each command group lives in its own module, loaded when used.

Importing every group (and with them SQLAlchemy, the services and the web stack) made each
command take over a second to start; ``dataward --help`` and ``dataward deadline`` should
answer at once (issue 15, item 7). So the groups are listed here with their one-line help
and imported only when a command of theirs runs (``tests/unit/test_cli_lazy.py`` holds each
line here to the module's own help and checks ``--help`` imports no group).
"""

from __future__ import annotations

import importlib
import sys
from dataclasses import dataclass
from typing import Any

import typer
from typer._click.core import Command, Context  # Typer's own click, which it runs
from typer._click.formatting import HelpFormatter
from typer.core import TyperGroup

from dataward.errors import DatawardError


@dataclass(frozen=True)
class Entry:
    module: str
    attribute: str  # a Typer app (a group) or a function (a single command)
    help: str


# name -> where it lives; the help is the first line `dataward --help` shows.
COMMANDS: dict[str, Entry] = {
    "access": Entry(
        "access_cmd",
        "app",
        "Access packages (ACC-01): queue a request's package, follow it, download it for a "
        "requester answered by post, delete expired ones.",
    ),
    "audit": Entry("audit_cmd", "app", "Verify the hash-chained audit log and sign its head."),
    "complaint": Entry(
        "complaint_cmd",
        "app",
        "Complaints (CMP-01): the queue, each step to the outcome, and a record as JSON.",
    ),
    "consent": Entry(
        "consent_cmd",
        "app",
        "A subject's consent, objections and restrictions: show them, record and change them.",
    ),
    "db": Entry("db_cmd", "app", "Manage dataward's own database."),
    "disclosure": Entry(
        "disclosure_cmd",
        "app",
        "The disclosure log (NOT-01): whose data went to which recipient, why and when.",
    ),
    "deadline": Entry(
        "calendar_cmd", "deadline", "Print the date a response is due (RULES SAR-01..SAR-04)."
    ),
    "decide": Entry(
        "decide_cmd",
        "decide",
        "Decide for every row of a campaign list; JSON lines out, a summary on stderr.",
    ),
    "demo": Entry("demo_cmd", "app", "A synthetic organisation to try dataward on."),
    "erasure": Entry(
        "erasure_cmd",
        "app",
        "Erasure (ERA-01..03): record the ground, plan as a dry run, approve (DPO), run, "
        "and show the plan and its evidence.",
    ),
    "examples": Entry(
        "examples_cmd",
        "app",
        "The shared examples' own operational data: a database, files and a sources file.",
    ),
    "export": Entry("export_cmd", "app", "Export the register in other formats."),
    "hold": Entry(
        "hold_cmd",
        "app",
        "Legal holds (RET-02): what the retention engine must not delete, and their reviews.",
    ),
    "jobs": Entry("worker_cmd", "app", "Due work: parked jobs and retries."),
    "keys": Entry("keys_cmd", "app", "Key material of the key store."),
    "notice": Entry("notice_cmd", "app", "Render the privacy notice and compare its versions."),
    "notify": Entry(
        "notify_cmd",
        "app",
        "Notice-change campaigns: list them; approve, pause, resume or cancel one.",
    ),
    "register": Entry(
        "register_cmd",
        "app",
        "Check, load and store registers, list lint rules, measure fact coverage.",
    ),
    "request": Entry("request_cmd", "app", "Rights requests: the queue and the clock."),
    "retention": Entry(
        "retention_cmd",
        "app",
        "Retention (RET-01..03): the plan of what each retention rule makes due and what "
        "holds keep, and the run that deletes it.",
    ),
    "serve": Entry(
        "serve_cmd", "serve", "Migrate, load the registers and serve dataward on http://HOST:PORT."
    ),
    "sources": Entry(
        "sources_cmd",
        "app",
        "Sources files: check one against its register, store it as a version, print the schema.",
    ),
    "subject": Entry(
        "subject_cmd", "app", "Data subjects and their identities (stored encrypted)."
    ),
    "token": Entry("token_cmd", "app", "API tokens: create, list, revoke."),
    "tps": Entry("decide_cmd", "tps_app", "The TPS and CTPS lists used to screen live calls."),
    "user": Entry("user_cmd", "app", "Staff accounts: create, disable, enable, reset, list."),
    "worker": Entry(
        "worker_cmd",
        "worker",
        "Claim due rows and do them (send outbox messages, queue campaign batches).",
    ),
}


def load_command(name: str) -> Command:
    """Import one command's module and build its click command."""
    entry = COMMANDS[name]
    module = importlib.import_module(f"dataward.cli.{entry.module}")
    target: Any = getattr(module, entry.attribute)
    if isinstance(target, typer.Typer):
        command: Command = typer.main.get_group(target)
    else:
        single = typer.Typer()
        single.command(name)(target)
        command = typer.main.get_command(single)
    command.name = name
    return command


class LazyGroup(TyperGroup):
    """The top-level group: lists every command from ``COMMANDS``, imports one when used."""

    def list_commands(self, ctx: Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in COMMANDS:
            return None
        if cmd_name not in self.commands:
            self.commands[cmd_name] = load_command(cmd_name)
        return self.commands[cmd_name]

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        # The help lines from the table: listing commands imports none of them.
        rows = [(name, COMMANDS[name].help) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


app = typer.Typer(
    name="dataward",
    help="Run your privacy notice: every promise enforced, every request on time.",
    cls=LazyGroup,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback()
def load_keys(ctx: typer.Context) -> None:
    """Run your privacy notice: every promise enforced, every request on time."""
    # Every command but `serve` reads the keys `make run` made on this machine (never makes
    # any); `serve` decides for itself, as it may be bound beyond loopback by --host. The
    # calendar needs no keys, so `deadline` skips the settings and the key file entirely.
    if ctx.invoked_subcommand not in ("serve", "deadline"):
        from dataward.localkeys import load_local_keys

        load_local_keys()


def report_error(error: DatawardError) -> int:
    """Print an error as a user should read it; return its exit code."""
    from rich.console import Console
    from rich.markup import escape

    err = Console(stderr=True, highlight=False, soft_wrap=True)
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
