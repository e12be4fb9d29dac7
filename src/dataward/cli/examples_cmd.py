"""``dataward examples``: the shared examples' own operational data."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dataward.clock import SystemClock
from dataward.config import get_settings
from dataward.demo.example_data import (
    DEFAULT_OUT,
    DEFAULT_PEOPLE,
    ExampleDataOptions,
    build_example_data,
)
from dataward.errors import ValidationFailed

app = typer.Typer(
    help="The shared examples' own operational data: a database, files and a sources file.",
    no_args_is_help=True,
)
out = Console(highlight=False, soft_wrap=True)


def _day(value: str | None) -> date:
    if value is None:
        return SystemClock().today()
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationFailed(f"--today must be a date like 2026-06-01, not {value!r}") from None


@app.command("data")
def data(
    org: Annotated[
        str,
        typer.Option("--org", help="jjh (Johnnie Johnson Housing) or r3 (R3 Repairs), or its id."),
    ],
    people: Annotated[
        int, typer.Option(help="Tenants (jjh) or customers (r3); the rest scales with it.")
    ] = DEFAULT_PEOPLE,
    seed: Annotated[int, typer.Option(help="Same seed and --today, same rows.")] = 1,
    today: Annotated[
        str | None,
        typer.Option(help="The day the dates are spread around (default: today)."),
    ] = None,
    out_dir: Annotated[
        Path, typer.Option("--out", help="Folder for the database, files and sources file.")
    ] = DEFAULT_OUT,
    replace: Annotated[
        bool, typer.Option("--replace", help="Rebuild a database already written there.")
    ] = False,
) -> None:
    """Write an example's operational SQLite database, its files and a sources file.

    The sources file is the example's own (examples/sources/) with what retention needs added.

    It names the database by environment variable: set the ones printed at the end, then run
    `dataward sources check FILE --register REGISTER --connect` and `dataward sources load FILE`.

    Nothing is written to dataward's own database.
    """
    options = ExampleDataOptions(
        org=org,
        today=_day(today),
        examples_dir=get_settings().examples_dir,
        people=people,
        seed=seed,
        out=out_dir,
        replace=replace,
    )
    result = build_example_data(options)
    table = Table("Table", "Rows", title=f"{result.organisation} operational database")
    for name, count in sorted(result.tables.items()):
        table.add_row(name, f"{count:,}")
    out.print(table)
    out.print(f"database written to {result.database} in {result.seconds:.1f} s", markup=False)
    if result.files is not None:
        out.print(f"files written to {result.files}", markup=False)
    out.print(f"sources file written to {result.sources}; set before using it:", markup=False)
    for name, value in result.env.items():
        out.print(f"  export {name}={value}", markup=False)
