"""``dataward decide`` (campaign lists) and ``dataward tps import`` (the TPS/CTPS lists)."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

from dataward.consent.batch import Defaults, Tally, run_batch
from dataward.consent.policy import check_channel, policy_for
from dataward.consent.tps import LISTS, MODES, import_list
from dataward.errors import ValidationFailed
from dataward.runtime import open_runtime
from dataward.subjects.identities import IdentityKind

err = Console(stderr=True, highlight=False, soft_wrap=True)
tps_app = typer.Typer(
    help="The TPS and CTPS lists used to screen live calls.", no_args_is_help=True
)
_KINDS = [k.value for k in IdentityKind]


def _count_lines(path: Path) -> int:
    with path.open("rb") as handle:
        return sum(1 for _ in handle)


def _csv_lines(handle: TextIO) -> Iterator[str]:
    """Each CSV row as the JSON line the batch reads; the header names the columns."""
    reader = csv.DictReader(handle)
    columns = reader.fieldnames or []
    kinds = [c for c in columns if c in _KINDS]
    if "subject_ref" not in columns and not kinds:
        raise ValidationFailed(
            f"the CSV header needs a subject_ref column or an identity column ({', '.join(_KINDS)})"
        )
    yield ""  # the header is line 1, so data rows keep their line numbers in the file
    for row in reader:
        item: dict[str, object] = {}
        for name in ("purpose", "channel", "id", "consent_ref"):
            if row.get(name):
                item[name] = row[name]
        if row.get("subject_ref"):
            item["subject_ref"] = row["subject_ref"]
        else:
            filled = [k for k in kinds if row.get(k)]
            if filled:
                item["identity"] = {"kind": filled[0], "value": row[filled[0]]}
        yield json.dumps(item)


def decide(
    org: Annotated[str, typer.Option("--org", help="Organisation id, as in its register.")],
    file: Annotated[
        Path, typer.Option("--file", exists=True, dir_okay=False, help="CSV list with a header.")
    ],
    purpose: Annotated[str | None, typer.Option(help="Purpose id for every row.")] = None,
    channel: Annotated[str | None, typer.Option(help="Contact channel for every row.")] = None,
    out: Annotated[
        Path | None, typer.Option(help="Write JSON lines here instead of standard output.")
    ] = None,
) -> None:
    """Decide for every row of a campaign list; JSON lines out, a summary on stderr."""
    with open_runtime() as runtime:
        with runtime.uow() as uow:
            policy = policy_for(uow, org)
            if purpose:
                policy.purpose(purpose)
        check_channel(channel)
        total = max(_count_lines(file) - 1, 0)
        tally = Tally()
        target = out.open("w", encoding="utf-8") if out else sys.stdout
        progress = Progress(
            TextColumn("deciding"), BarColumn(), MofNCompleteColumn(), console=err, transient=True
        )
        try:
            with file.open(newline="", encoding="utf-8") as handle, progress:
                task = progress.add_task("decide", total=total)
                answers = run_batch(
                    runtime.reader, org, _csv_lines(handle), Defaults(purpose, channel), tally=tally
                )
                for answer in answers:
                    target.write(json.dumps(answer) + "\n")
                    progress.advance(task)
        finally:
            if out:
                target.close()
        summary = tally.as_dict()
        from dataward.cli.words import plural

        err.print(
            f"{plural(summary['lines'], 'row')}: {summary['allowed']} allowed, "
            f"{summary['refused']} refused, {plural(summary['errors'], 'error')}"
        )


@tps_app.command("import")
def tps_import(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV of numbers.")],
    list_name: Annotated[str, typer.Option("--list", help=f"One of {', '.join(LISTS)}.")] = "tps",
    mode: Annotated[
        str, typer.Option(help=f"{' or '.join(MODES)}: replace swaps the whole list.")
    ] = "replace",
    actor: Annotated[str, typer.Option(help="Who is acting, for the audit chain.")] = "cli",
) -> None:
    """Import a TPS or CTPS list (numbers in the first column), streamed in batches."""
    with open_runtime() as runtime:
        with runtime.uow() as uow, file.open(newline="", encoding="utf-8") as handle:
            with Progress(
                TextColumn("importing"), TextColumn("{task.completed} numbers"), console=err
            ) as progress:
                task = progress.add_task("tps")
                row = import_list(
                    uow,
                    list_name,
                    handle,
                    mode=mode,
                    progress=lambda n: progress.update(task, completed=n),
                    actor=actor,
                )
            uow.commit()
        from dataward.cli.words import plural

        typer.echo(f"{plural(row.numbers, 'number')} on the {list_name.upper()} list ({mode})")
