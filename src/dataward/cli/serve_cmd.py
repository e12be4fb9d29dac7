"""``dataward serve``: load the example registers and serve the web pages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def serve(
    examples: Annotated[
        Path | None, typer.Option(help="Folder of registers to load (default: settings).")
    ] = None,
    host: Annotated[str | None, typer.Option(help="Interface to bind.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Migrate, load the registers and serve dataward on http://HOST:PORT."""
    from dataward.web.serve import run_server

    run_server(examples=examples, host=host, port=port)
