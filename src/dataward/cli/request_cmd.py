"""``dataward request``: the rights request queue and its clock, from a terminal."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dataward.requests.queue import URGENCIES, QueueFilter, queue, urgency
from dataward.requests.recompute import recompute_due_dates
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
def recompute(actor: Actor = "cli") -> None:
    """Recompute every open request's due date after the bank holidays changed (a new
    `holidays` release or a new bank holiday): moved dates are updated and audited."""
    with open_runtime() as runtime, runtime.uow() as uow:
        result = recompute_due_dates(uow, actor=actor)
        uow.commit()
    for ref, old, new in result.moved:
        typer.echo(f"{ref}: due {old or '-'} -> {new or '-'}")
    typer.echo(f"{result.checked} open requests checked, {len(result.moved)} moved")
