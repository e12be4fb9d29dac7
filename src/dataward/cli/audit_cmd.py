"""``dataward audit``: prove the audit chain is intact."""

from __future__ import annotations

from typing import Annotated

import typer

from dataward.audit.service import Anchor, verify
from dataward.config import get_settings
from dataward.db import make_engine, make_session_factory
from dataward.errors import DatawardError

app = typer.Typer(help="Verify the hash-chained audit log.", no_args_is_help=True)

Url = Annotated[str | None, typer.Option(help="Database URL (default: settings).")]


@app.command("verify")
def verify_cmd(
    url: Url = None,
    anchor: Annotated[
        list[str] | None,
        typer.Option(
            help="SEQ:HASH printed earlier by `dataward audit head` and kept elsewhere (repeat "
            "for several): the row must still be there with that hash, which proves the "
            "history up to it was not rewritten and no row after it was cut from the end."
        ),
    ] = None,
) -> None:
    """Exit 0 when the chain is intact; 1 naming the first broken row otherwise."""
    try:
        anchors = [Anchor.parse(text) for text in anchor or []]
    except DatawardError as error:
        typer.echo(error.message, err=True)
        raise typer.Exit(2) from None
    engine = make_engine(url or get_settings().database_url)
    try:
        with make_session_factory(engine)() as session:
            result = verify(session, anchors=anchors)
    finally:
        engine.dispose()
    if result.first_break is not None:
        brk = result.first_break
        if brk.truncated:
            typer.echo(f"audit chain TRUNCATED: {brk.reason}")
        else:
            where = f"seq {brk.seq} (row id {brk.row_id})"
            typer.echo(f"audit chain BROKEN at {where}: {brk.reason}")
        raise typer.Exit(1)
    from dataward.cli.words import plural

    checked = f", {plural(len(anchors), 'anchor')} matched" if anchors else ""
    typer.echo(
        f"audit chain intact: {plural(result.rows, 'row')}, "
        f"head {result.head_seq}:{result.head_hash}"
        f"{checked}"
    )


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
