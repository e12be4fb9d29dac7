"""``dataward consent``: where a subject stands, and the staff actions on it, from a terminal.

The same services as the console's subject page, the portal and the API (issue 15, item 8):
record and withdraw consent, record objections and their outcome, restrict and lift. Each
change is one unit of work with its audit entry under ``--actor``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dataward.clock import in_uk_time
from dataward.consent.objections import (
    LI_OUTCOMES,
    RESTRICTION_GROUNDS,
    decide_objection,
    lift_restriction,
    object_to_marketing,
    object_to_processing,
    restrict,
    tell_before_lifting,
)
from dataward.consent.policy import METHODS
from dataward.consent.records import give_consent, withdraw_consent
from dataward.consent.standing import standing_of
from dataward.runtime import open_runtime

app = typer.Typer(
    help="A subject's consent, objections and restrictions: show them, record and change them.",
    no_args_is_help=True,
)
out = Console(highlight=False, soft_wrap=True)

Org = Annotated[str, typer.Option("--org", help="Organisation id, as in its register.")]
Ref = Annotated[str, typer.Argument(help="Subject reference (s_...).")]
Actor = Annotated[str, typer.Option(help="Who is acting, for the audit chain.")]
Method = Annotated[
    str,
    typer.Option(help=f"How it reached the organisation: {', '.join(METHODS)}."),
]
Channel = Annotated[
    str | None,
    typer.Option(help="Marketing channel (email, sms, live_call, post, ...), if any."),
]


def _when(value: object) -> str:
    if isinstance(value, datetime):
        local = in_uk_time(value)
        return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"
    return ""


@app.command("show")
def show(org: Org, ref: Ref) -> None:
    """Every decision for the subject now (with its reason and code) and what it rests on."""
    with open_runtime() as runtime, runtime.reader() as uow:
        standing = standing_of(uow, org, ref)
    decisions = Table("Purpose", "Channel", "Answer", "Code", "Why", title="Decisions now")
    for d in standing.decisions:
        answer = "yes" if d.allow else "no"
        decisions.add_row(d.purpose, d.channel or "", answer, d.code, d.reason)
    out.print(decisions)
    if standing.records:
        records = Table("Record", "Purpose", "Channel", "State", "Notice", "Since", title="Consent")
        for r in standing.records:
            since = _when(r.changed_at)
            records.add_row(r.ref, r.purpose, r.channel or "", r.state, r.notice_version, since)
        out.print(records)
    else:
        out.print("No consent or preference is recorded.")
    if standing.objections:
        objections = Table("Objection", "Kind", "To", "Received", "Outcome", title="Objections")
        for o in standing.objections:
            scope = ", ".join(o.channels if o.kind == "direct_marketing" else o.purposes)
            objections.add_row(o.ref, o.kind, scope or "all", _when(o.received_at), o.outcome)
        out.print(objections)
    else:
        out.print("No objection is recorded.")
    if standing.restrictions:
        restrictions = Table("Restriction", "Covers", "Ground", "Since", "Subject told")
        for x in standing.restrictions:
            covers = ", ".join(x.purposes) or "all processing"
            told = _when(x.subject_told_at) or "not yet"
            restrictions.add_row(x.ref, covers, x.ground, _when(x.started_at), told)
        out.print(restrictions)
    else:
        out.print("No restriction is in force.")


@app.command("give")
def give(
    org: Org,
    ref: Ref,
    purpose: Annotated[str, typer.Argument(help="Purpose id whose basis is consent.")],
    method: Method,
    evidence: Annotated[
        str, typer.Option(help="What the person said or signed, and where it is kept.")
    ],
    channel: Channel = None,
    actor: Actor = "cli",
) -> None:
    """Record consent, with the notice version in force now (LAW-05)."""
    with open_runtime() as runtime, runtime.uow() as uow:
        row = give_consent(
            uow, org, ref, purpose, method=method, evidence=evidence, channel=channel, actor=actor
        )
        uow.commit()
        typer.echo(f"consent recorded: {row.ref}")


@app.command("withdraw")
def withdraw(
    org: Org,
    ref: Ref,
    purpose: Annotated[str, typer.Argument(help="Purpose id.")],
    method: Method,
    channel: Channel = None,
    actor: Actor = "cli",
) -> None:
    """Withdraw consent at once; no reason is needed."""
    with open_runtime() as runtime, runtime.uow() as uow:
        withdraw_consent(uow, org, ref, purpose, method=method, channel=channel, actor=actor)
        uow.commit()
    typer.echo("consent withdrawn")


@app.command("object")
def object_(
    org: Org,
    ref: Ref,
    method: Method,
    marketing: Annotated[
        list[str] | None,
        typer.Option(help="Object to direct marketing on this channel ('any': all). Repeat."),
    ] = None,
    purpose: Annotated[
        list[str] | None,
        typer.Option(help="Object to processing for this purpose (OBJ-01). Repeat."),
    ] = None,
    all_purposes: Annotated[
        bool, typer.Option("--all-purposes", help="OBJ-01 objection to every purpose it fits.")
    ] = False,
    actor: Actor = "cli",
) -> None:
    """Record an objection: to direct marketing (absolute, OBJ-02) or to processing (OBJ-01)."""
    if bool(marketing) == bool(purpose or all_purposes):
        typer.echo(
            "say what the objection is to: --marketing CHANNEL, or --purpose ID / --all-purposes",
            err=True,
        )
        raise typer.Exit(2)
    with open_runtime() as runtime, runtime.uow() as uow:
        if marketing:
            row = object_to_marketing(uow, org, ref, marketing, method=method, actor=actor)
        else:
            row = object_to_processing(uow, org, ref, purpose or [], method=method, actor=actor)
        uow.commit()
        typer.echo(f"objection recorded: {row.ref} ({row.outcome})")


@app.command("decide-objection")
def decide(
    org: Org,
    objection: Annotated[str, typer.Argument(help="Objection reference (o_...).")],
    outcome: Annotated[str, typer.Option(help=f"One of: {', '.join(LI_OUTCOMES)}.")],
    reasons: Annotated[str, typer.Option(help="Why; sealed under the subject's key.")],
    actor: Actor = "cli",
) -> None:
    """Record the outcome of an objection to legitimate-interest processing."""
    with open_runtime() as runtime, runtime.uow() as uow:
        decide_objection(uow, org, objection, outcome, reasons, actor=actor)
        uow.commit()
    typer.echo(f"objection {objection}: {outcome}")


@app.command("restrict")
def restrict_(
    org: Org,
    ref: Ref,
    ground: Annotated[str, typer.Option(help=f"One of: {', '.join(RESTRICTION_GROUNDS)}.")],
    purpose: Annotated[
        list[str] | None,
        typer.Option(help="Restrict this purpose only. Repeat; none: all processing."),
    ] = None,
    actor: Actor = "cli",
) -> None:
    """Restrict processing (RES-01): the data is kept, decisions answer no."""
    with open_runtime() as runtime, runtime.uow() as uow:
        row = restrict(uow, org, ref, purpose or [], ground, actor=actor)
        uow.commit()
        typer.echo(f"restriction started: {row.ref}")


@app.command("told")
def told(
    org: Org,
    restriction: Annotated[str, typer.Argument(help="Restriction reference (r_...).")],
    actor: Actor = "cli",
) -> None:
    """Record that the subject was told the restriction will be lifted (Art 18(3))."""
    with open_runtime() as runtime, runtime.uow() as uow:
        tell_before_lifting(uow, org, restriction, actor=actor)
        uow.commit()
    typer.echo(f"recorded: the subject was told {restriction} will be lifted")


@app.command("lift")
def lift(
    org: Org,
    restriction: Annotated[str, typer.Argument(help="Restriction reference (r_...).")],
    yes: Annotated[bool, typer.Option("--yes", help="Confirm lifting the restriction.")] = False,
    actor: Actor = "cli",
) -> None:
    """Lift a restriction; the subject must have been told first."""
    if not yes:
        typer.echo("lifting lets processing start again: add --yes to confirm", err=True)
        raise typer.Exit(2)
    with open_runtime() as runtime, runtime.uow() as uow:
        lift_restriction(uow, org, restriction, actor=actor)
        uow.commit()
    typer.echo(f"lifted {restriction}")
