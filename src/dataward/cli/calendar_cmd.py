"""``dataward deadline``: the statutory response date of a rights request."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from dataward.calendar import parse_nation, statutory_deadline
from dataward.errors import CalendarError


def deadline(
    received: Annotated[str, typer.Argument(help="Day the request was received, YYYY-MM-DD.")],
    nation: Annotated[
        str, typer.Option(help="Controller's nation for bank holidays: ENG, WLS, SCT or NIR.")
    ] = "ENG",
    extended: Annotated[
        bool, typer.Option("--extended", help="Three months (SAR-04) instead of one.")
    ] = False,
) -> None:
    """Print the date a response is due (RULES SAR-01..SAR-04)."""
    try:
        received_on = dt.date.fromisoformat(received)
    except ValueError:
        raise CalendarError(f"not a date: {received!r} (use YYYY-MM-DD)") from None
    due = statutory_deadline(received_on, parse_nation(nation), months=3 if extended else 1)
    typer.echo(due.isoformat())
