"""``dataward export``: the ICO record of processing spreadsheet, W3C DPV JSON-LD."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dataward.register.loader import load_register

app = typer.Typer(help="Export the register in other formats.", no_args_is_help=True)


@app.command("ropa")
def ropa(
    register: Annotated[Path, typer.Argument(help="Register YAML file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="XLSX file to write.")],
) -> None:
    """Write the ICO controller record of processing (ROP-01, ROP-02) as XLSX."""
    from dataward.register.exports.ropa import write_ropa

    write_ropa(load_register(register).register, output)
    typer.echo(f"wrote {output}")


@app.command("dpv")
def dpv(
    register: Annotated[Path, typer.Argument(help="Register YAML file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="JSON-LD file to write.")],
) -> None:
    """Write the register as W3C DPV 2.x JSON-LD with the @context inline (ROP-03)."""
    from dataward.register.exports.dpv import write_dpv

    write_dpv(load_register(register).register, output)
    typer.echo(f"wrote {output}")
