"""``dataward audit``: prove the audit chain is intact."""

from __future__ import annotations

from typing import Annotated

import typer

from dataward.audit.service import verify
from dataward.config import get_settings
from dataward.db import make_engine, make_session_factory

app = typer.Typer(help="Verify the hash-chained audit log.", no_args_is_help=True)

Url = Annotated[str | None, typer.Option(help="Database URL (default: settings).")]


@app.command("verify")
def verify_cmd(
    url: Url = None,
    anchor: Annotated[
        str | None,
        typer.Option(
            help="SEQ:HASH printed earlier by `dataward audit head`; also proves "
            "that no row after it was cut from the end."
        ),
    ] = None,
) -> None:
    """Exit 0 when the chain is intact; 1 naming the first broken row otherwise."""
    engine = make_engine(url or get_settings().database_url)
    try:
        with make_session_factory(engine)() as session:
            result = verify(session)
    finally:
        engine.dispose()
    if result.first_break is not None:
        brk = result.first_break
        typer.echo(f"audit chain BROKEN at seq {brk.seq} (row id {brk.row_id}): {brk.reason}")
        raise typer.Exit(1)
    if anchor is not None:
        seq_text, _, hash_text = anchor.partition(":")
        if not seq_text.isdigit() or len(hash_text) != 64:
            typer.echo("anchor must be SEQ:HASH as printed by `dataward audit head`", err=True)
            raise typer.Exit(2)
        if result.head_seq < int(seq_text):
            typer.echo(
                f"audit chain TRUNCATED: head is seq {result.head_seq}, "
                f"the anchor is seq {seq_text}"
            )
            raise typer.Exit(1)
    typer.echo(f"audit chain intact: {result.rows} rows, head {result.head_seq}:{result.head_hash}")


@app.command("head")
def head_cmd(url: Url = None) -> None:
    """Print SEQ:HASH of the newest row: keep it elsewhere as an anchor against truncation."""
    engine = make_engine(url or get_settings().database_url)
    try:
        with make_session_factory(engine)() as session:
            result = verify(session)
    finally:
        engine.dispose()
    typer.echo(f"{result.head_seq}:{result.head_hash}")
