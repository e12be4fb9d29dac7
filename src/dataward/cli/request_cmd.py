"""``dataward request``: the rights request queue and its clock, from a terminal."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dataward.config import get_settings
from dataward.outbox.config import get_mail_settings
from dataward.requests.errors import RemindersInvalid
from dataward.requests.jobs import run_reminders
from dataward.requests.queue import URGENCIES, QueueFilter, queue, urgency
from dataward.requests.reminders import recompute_and_tell, reminder_days
from dataward.runtime import open_runtime

app = typer.Typer(help="Rights requests: the queue and the clock.", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
Actor = Annotated[str, typer.Option(help="Who is acting, for the audit chain.")]


@app.command("list")
def list_(
    org: Annotated[str | None, typer.Option("--org", help="Organisation id.")] = None,
    due: Annotated[str | None, typer.Option(help=f"Only these: {', '.join(URGENCIES)}.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
) -> None:
    """Open requests, the most urgent first (no personal data is printed)."""
    if due is not None and due not in URGENCIES:
        typer.echo(f"--due must be one of {', '.join(URGENCIES)}", err=True)
        raise typer.Exit(2)
    with open_runtime() as runtime, runtime.reader() as uow:
        page = queue(uow, QueueFilter(organisation=org, urgency=due), limit=limit)
        today = uow.clock.today()
        table = Table("Request", "Organisation", "Rights", "State", "Due", "Urgency")
        for row in page.rows:
            table.add_row(
                row.ref,
                row.organisation,
                ", ".join(row.rights),
                row.state,
                row.due_on.isoformat() if row.due_on else "-",
                urgency(row, today),
            )
    out.print(table)
    out.print(", ".join(f"{name}: {page.counts[name]}" for name in URGENCIES))


@app.command("recompute")
def recompute(
    actor: Actor = "cli",
    quiet: Annotated[
        bool, typer.Option("--quiet", help="Do not tell the assignees of moved requests.")
    ] = False,
) -> None:
    """Recompute every open request's due date after the bank holidays changed (a new
    `holidays` release or a new bank holiday): moved dates are updated and audited, and
    each moved request's assignee is told (unless --quiet)."""
    with open_runtime() as runtime, runtime.uow() as uow:
        result, told = recompute_and_tell(
            uow, mail=get_mail_settings(), actor=actor, tell=not quiet
        )
        uow.commit()
    for ref, old, new in result.moved:
        typer.echo(f"{ref}: due {old or '-'} -> {new or '-'}")
    typer.echo(f"{result.checked} open requests checked, {len(result.moved)} moved")
    if not quiet:
        typer.echo(f"{told.total} told, {told.undeliverable} with nobody to tell")


@app.command("remind")
def remind(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The day to remind as of (YYYY-MM-DD).")
    ] = None,
    actor: Actor = "cli",
) -> None:
    """Send the reminders and the DPO's digests due today, once (for cron, without a
    worker); what a worker sent already is not sent again."""
    settings = get_settings()
    days = reminder_days(settings.request_reminder_days)
    with open_runtime() as runtime, runtime.uow() as uow:
        today = uow.clock.today()
        day = _day(as_of, today)
        run = run_reminders(uow, today=day, days=days, mail=get_mail_settings(), actor=actor)
        uow.commit()
    for kind, count in sorted(run.reminders.by_kind.items()):
        typer.echo(f"{kind}: {count}")
    typer.echo(
        f"{run.reminders.total} reminders ({run.reminders.undeliverable} with nobody to "
        f"tell), {run.digests} digests"
    )


def _day(value: str | None, today: date) -> date:
    if value is None:
        return today
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise RemindersInvalid("--as-of must be a date like 2026-12-05") from None
    if day > today:
        # Reminders sent early would be recorded as sent, and not sent on the day.
        raise RemindersInvalid("--as-of cannot be after today")
    return day
