"""``dataward audit``: prove the audit chain is intact, and sign its head."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dataward.audit.head_service import (
    EMAIL,
    HeadSettings,
    check_heads,
    deliver,
    public_keys,
    queue_deliveries,
    reason_of,
    sign_head,
)
from dataward.audit.heads import HeadLine, read_heads
from dataward.audit.service import Anchor, verify
from dataward.clock import SystemClock
from dataward.config import get_settings
from dataward.db import make_engine, make_session_factory
from dataward.errors import DatawardError
from dataward.uow import UnitOfWork

app = typer.Typer(help="Verify the hash-chained audit log and sign its head.", no_args_is_help=True)

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
    heads: Annotated[
        list[Path] | None,
        typer.Option(
            "--heads",
            help="A file of signed heads, one JSON line each, as the workers append them to "
            "DATAWARD_AUDIT_HEAD_FILE or the head emails carry them (repeat for several "
            "files). Each line must carry a good signature and name a row still in the "
            "chain with the hash it signed. Default: DATAWARD_AUDIT_HEAD_FILE, once a head "
            "was written there.",
        ),
    ] = None,
    public_key: Annotated[
        list[str] | None,
        typer.Option(
            "--public-key",
            help="Public key (base64) that checks the heads' signatures (repeat for keys "
            "used before a change of key). Default: DATAWARD_AUDIT_HEAD_PUBLIC_KEY, else "
            "the one that goes with DATAWARD_AUDIT_HEAD_KEY.",
        ),
    ] = None,
) -> None:
    """Exit 0 when the chain is intact and agrees with every anchor and signed head; 1
    naming each problem (the first broken row, each bad head line) otherwise; 2 when an
    anchor, a heads file or a key cannot be read."""
    settings = get_settings()
    lines: list[HeadLine] = []
    if not heads and settings.audit_head_file is not None and settings.audit_head_file.exists():
        heads = [settings.audit_head_file]  # the heads this installation exported
    try:
        anchors = [Anchor.parse(text) for text in anchor or []]
        keys = public_keys(public_key or [], settings) if heads else []
        for path in heads or []:
            found = read_heads(path)
            lines += found or [HeadLine(str(path), None, "the file holds no head")]
    except DatawardError as error:
        typer.echo(error.message, err=True)
        raise typer.Exit(2) from None
    engine = make_engine(url or settings.database_url)
    try:
        with make_session_factory(engine)() as session:
            checked = check_heads(session, lines, keys)
            result = verify(session, anchors=[*anchors, *checked.anchors])
    finally:
        engine.dispose()
    for problem in checked.problems:
        typer.echo(f"signed head REFUSED: {problem}")
    if result.first_break is not None:
        brk = result.first_break
        if brk.truncated:
            typer.echo(f"audit chain TRUNCATED: {brk.reason}")
        else:
            where = f"seq {brk.seq} (row id {brk.row_id})"
            typer.echo(f"audit chain BROKEN at {where}: {brk.reason}")
    if result.first_break is not None or checked.problems:
        raise typer.Exit(1)
    from dataward.cli.words import plural

    matched = f", {plural(len(anchors), 'anchor')} matched" if anchors else ""
    if heads:
        matched += f", {plural(len(checked.anchors), 'signed head')} matched"
    typer.echo(
        f"audit chain intact: {plural(result.rows, 'row')}, "
        f"head {result.head_seq}:{result.head_hash}"
        f"{matched}"
    )


@app.command("head")
def head_cmd(url: Url = None) -> None:
    """Sign the newest row now and send the head where the settings say.

    With DATAWARD_AUDIT_HEAD_KEY set: signs SEQ:HASH of the newest row, records that in the
    chain, appends it to DATAWARD_AUDIT_HEAD_FILE, POSTs it to DATAWARD_AUDIT_HEAD_URL,
    queues it for DATAWARD_AUDIT_HEAD_EMAIL (sent by a worker), and prints the signed line.
    A destination that fails is queued for the workers to retry, and the command exits 1.
    Without the key: prints SEQ:HASH, unsigned, for you to keep where dataward's database
    administrators cannot change it.
    """
    settings = get_settings()
    config = HeadSettings.from_settings(settings)
    engine = make_engine(url or settings.database_url)
    try:
        if config.key is None:
            with make_session_factory(engine)() as session:
                result = verify(session)
            typer.echo(f"{result.head_seq}:{result.head_hash}")
            return
        failed: list[str] = []
        with UnitOfWork(make_session_factory(engine), SystemClock(), None) as uow:
            head = sign_head(uow, config.key, actor="cli", destinations=config.destinations)
            if head is None:
                typer.echo("the audit chain is empty: there is no row to sign yet", err=True)
                raise typer.Exit(1)
            for kind in config.destinations:
                if kind == EMAIL:
                    typer.echo("email: queued; a worker sends it", err=True)
                    continue
                try:
                    deliver(head, kind, config)
                except Exception as error:  # each destination alone; the others still go
                    failed.append(kind)
                    typer.echo(
                        f"{kind}: not delivered ({reason_of(error)}); a worker retries it",
                        err=True,
                    )
                else:
                    typer.echo(f"{kind}: delivered", err=True)
            queue_deliveries(
                uow, head, [k for k in config.destinations if k == EMAIL or k in failed]
            )
            uow.commit()
    finally:
        engine.dispose()
    typer.echo(head.line())
    if failed:
        raise typer.Exit(1)
