"""``dataward subject``: add, find, show, merge and shred data subjects."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dataward.runtime import open_runtime
from dataward.subjects.service import (
    SHRED_REASONS,
    add_subject,
    find_subjects,
    merge_subjects,
    show_subject,
    shred_subject,
)

app = typer.Typer(
    help="Data subjects and their identities (stored encrypted).", no_args_is_help=True
)
out = Console(highlight=False, soft_wrap=True)

Org = Annotated[str, typer.Option("--org", help="Organisation id, as in its register.")]
Actor = Annotated[str, typer.Option(help="Who is acting, for the audit chain.")]


def _pairs(values: list[str]) -> list[tuple[str, str]]:
    pairs = []
    for item in values:
        kind, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"identities are KIND=VALUE, e.g. email=a@b.uk (got {kind!r})")
        pairs.append((kind.strip(), value))
    return pairs


@app.command("add")
def add(
    org: Org,
    identity: Annotated[
        list[str],
        typer.Option(
            "--identity",
            "-i",
            help="KIND=VALUE; kinds: email, phone, postcode, "
            "address, customer_ref, ni_number, date_of_birth, name. Repeat.",
        ),
    ],
    group: Annotated[list[str], typer.Option("--group", "-g", help="Subject group id.")],
    actor: Actor = "cli",
) -> None:
    """Add a subject; prints its pseudonymous reference."""
    with open_runtime() as runtime, runtime.uow() as uow:
        subject = add_subject(uow, org, group, _pairs(identity), actor=actor)
        uow.commit()
        typer.echo(subject.ref)


@app.command("find")
def find(
    org: Org,
    kind: Annotated[str, typer.Argument(help="Identity kind, e.g. email.")],
    value: Annotated[str, typer.Argument(help="Value, written any way (it is normalised).")],
) -> None:
    """Find subjects by one identity (through the blind index); prints their references."""
    with open_runtime() as runtime, runtime.uow() as uow:
        found = find_subjects(uow, org, kind, value)
        for subject in found:
            typer.echo(subject.ref)
    if not found:
        # Say so: an empty output is easy to mistake for a command that did nothing.
        typer.echo(f"no subject of {org} holds this {kind.replace('_', ' ')}", err=True)
        raise typer.Exit(1)


@app.command("show")
def show(org: Org, ref: Annotated[str, typer.Argument(help="Subject reference.")]) -> None:
    """Show a subject with its identities decrypted."""
    with open_runtime() as runtime, runtime.uow() as uow:
        view = show_subject(uow, org, ref)
    out.print(
        f"{view.ref}  organisation {view.organisation}  groups {', '.join(view.groups)}",
        markup=False,
    )
    table = Table("Kind", "Value", "Merged from")
    for identity in view.identities:
        table.add_row(identity.kind, identity.value, identity.merged_from or "")
    out.print(table)


@app.command("merge")
def merge(
    org: Org,
    keep: Annotated[str, typer.Argument(help="Reference of the subject that remains.")],
    other: Annotated[str, typer.Argument(help="Reference of the subject folded into it.")],
    actor: Actor = "cli",
) -> None:
    """Merge two records of the same person; the merged one stays as history."""
    with open_runtime() as runtime, runtime.uow() as uow:
        merge_subjects(uow, org, keep, other, actor=actor)
        uow.commit()
    typer.echo(f"merged {other} into {keep}")


@app.command("shred")
def shred(
    org: Org,
    ref: Annotated[str, typer.Argument(help="Subject reference.")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm: this cannot be undone.")] = False,
    reason: Annotated[
        str | None,
        typer.Option(help=f"Why, for the record: {', '.join(SHRED_REASONS)}."),
    ] = None,
    actor: Actor = "cli",
) -> None:
    """Crypto-shred a subject: its key and index entries are destroyed, backups included."""
    if not yes:
        typer.echo("shredding cannot be undone: add --yes to confirm", err=True)
        raise typer.Exit(2)
    with open_runtime() as runtime, runtime.uow() as uow:
        shred_subject(uow, org, ref, actor=actor, reason=reason)
        uow.commit()
    typer.echo(f"shredded {ref}")
