"""``dataward notice``: render the public notice from a register."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dataward.register.loader import load_register

app = typer.Typer(help="Render the privacy notice.", no_args_is_help=True)


@app.command("render")
def render(
    register: Annotated[Path, typer.Argument(help="Register YAML file.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="HTML file to write.")],
) -> None:
    """Render the notice as one accessible HTML page (NTC-01)."""
    from dataward.notice.render import render_html

    html = render_html(load_register(register).register)
    output.write_text(html, encoding="utf-8")
    typer.echo(f"wrote {output}")
