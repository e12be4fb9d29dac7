"""``dataward hold``: legal holds (RET-02, ERA-02) from a terminal: list, place, review,
close.

The same service as the console and the API (``holds.service``). A hold holds no personal
data: subjects are named by their refs, cases and records by the organisation's own
references. Bad input is one line, ``error [code]: message``, and exit code 2, with nothing
changed.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from dataward.cli.complaint_cmd import parse_day, refused
from dataward.errors import ValidationFailed

app = typer.Typer(
    help="Legal holds (RET-02): what the retention engine must not delete, and their reviews.",
    no_args_is_help=True,
)
out = Console(highlight=False, soft_wrap=True)
Org = Annotated[str, typer.Argument(help="Organisation id, as in its register.")]
Ref = Annotated[str, typer.Argument(help="The hold's reference (h_...).")]
Actor = Annotated[str, typer.Option(help="Who is acting, for the audit chain.")]


def _invalid(message: str) -> ValidationFailed:
    from dataward.holds.errors import HoldInvalid

    return HoldInvalid(message)


@app.command("list")
def list_(
    org: Annotated[str | None, typer.Option("--org", help="Organisation id.")] = None,
    open_only: Annotated[
        bool | None,
        typer.Option("--open/--closed", help="Open holds only, or closed ones only."),
    ] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", help="Holds on this subject (s_...; needs --org).")
    ] = None,
    case: Annotated[str | None, typer.Option("--case", help="Holds on this case.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
) -> None:
    """Holds, open ones first, the next review first.

    Example: dataward hold list --org acme --open
    """
    from dataward.holds.listing import HoldFilter, list_holds, subject_ref_of
    from dataward.runtime import open_runtime

    filters = HoldFilter(organisation=org, open=open_only, subject_ref=subject, case_ref=case)
    # Plain lines, not a table: no reference is cut short in a narrow terminal or a log.
    lines = []
    with refused(), open_runtime() as runtime, runtime.reader() as uow:
        for row in list_holds(uow, filters, limit=limit):
            held = subject_ref_of(uow, row) or row.case_ref or row.record_ref or "-"
            closed = f"closed {row.closed_on.isoformat()}" if row.closed_on else "open"
            lines.append(
                f"{row.ref} {row.organisation}: {row.reason} on {row.scope} {held}; "
                f"datasets {', '.join(row.datasets)}; review {row.review_on.isoformat()} by "
                f"{row.owner}; {closed}"
            )
    for line in lines:
        out.print(line, markup=False)
    out.print(f"{len(lines)} hold{'' if len(lines) == 1 else 's'}")


@app.command("place")
def place(
    org: Annotated[str, typer.Option("--org", help="Organisation id.")],
    scope: Annotated[str, typer.Option(help="subject, case or record: what the hold sits on.")],
    owner: Annotated[str, typer.Option(help="Who reviews it (a staff email).")],
    review_on: Annotated[
        str, typer.Option("--review-on", help="When the owner reviews it (YYYY-MM-DD).")
    ],
    hold_id: Annotated[
        str | None,
        typer.Option("--hold-id", help="A hold of the register (its reason and datasets)."),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option(help="complaint, investigation, litigation, ..., other (or --hold-id)."),
    ] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="The subject (s_...).")] = None,
    case: Annotated[str | None, typer.Option("--case", help="The case reference.")] = None,
    record: Annotated[str | None, typer.Option("--record", help="The record reference.")] = None,
    dataset: Annotated[
        list[str] | None,
        typer.Option("--dataset", help="A dataset id of the register; repeatable."),
    ] = None,
    complaint: Annotated[
        str | None,
        typer.Option(
            "--complaint", help="The complaint placing it (c_...): closing it closes this."
        ),
    ] = None,
    actor: Actor = "cli",
) -> None:
    """Place a hold from today: the datasets it names are kept from deletion until it closes.

    Example: dataward hold place --org acme --scope case --case CLAIM-2026-041
    --reason litigation --dataset crm --owner dpo@acme.example --review-on 2027-02-01
    """
    from dataward.holds.listing import complaint_id_of
    from dataward.holds.service import NewHold, place_hold
    from dataward.runtime import open_runtime

    with refused():
        day = parse_day("--review-on", review_on, _invalid)
        with open_runtime() as runtime, runtime.uow() as uow:
            complaint_id = complaint_id_of(uow, org, complaint) if complaint else None
            new = NewHold(
                organisation=org,
                scope=scope,
                owner=owner,
                review_on=day,
                hold_id=hold_id,
                reason=reason,
                subject_ref=subject,
                case_ref=case,
                record_ref=record,
                datasets=tuple(dataset or ()),
                complaint_id=complaint_id,
            )
            row = place_hold(uow, new, actor=actor)
            uow.commit()
            ref, datasets = row.ref, ", ".join(row.datasets)
    out.print(f"{ref}: placed on {datasets}, review by {day.isoformat()}", markup=False)


@app.command("review")
def review(
    org: Org,
    ref: Ref,
    review_on: Annotated[
        str, typer.Option("--review-on", help="The next review (YYYY-MM-DD, after today).")
    ],
    actor: Actor = "cli",
) -> None:
    """The owner looked again: keep the hold until the next review.

    Example: dataward hold review acme h_0123456789abcdef --review-on 2027-05-01
    """
    from dataward.holds.service import review_hold
    from dataward.runtime import open_runtime

    with refused():
        day = parse_day("--review-on", review_on, _invalid)
        with open_runtime() as runtime, runtime.uow() as uow:
            review_hold(uow, org[:80], ref[:32], day, actor=actor)
            uow.commit()
    out.print(f"{ref[:32]}: next review {day.isoformat()}", markup=False)


@app.command("close")
def close(
    org: Org,
    ref: Ref,
    yes: Annotated[
        bool, typer.Option("--yes", help="Do not ask: the held data may then be deleted.")
    ] = False,
    actor: Actor = "cli",
) -> None:
    """Close the hold today: what it kept goes back to its retention rule (after the wait
    the register's hold says, if any). Asks first unless --yes.

    Example: dataward hold close acme h_0123456789abcdef --yes
    """
    from dataward.holds.service import close_hold
    from dataward.runtime import open_runtime

    if not yes and not typer.confirm(
        f"Close {ref[:32]}? What it holds may then be deleted under its retention rule."
    ):
        typer.echo("nothing closed", err=True)
        raise typer.Exit(1)
    with refused(), open_runtime() as runtime, runtime.uow() as uow:
        row = close_hold(uow, org[:80], ref[:32], actor=actor)
        release = row.release_on
        uow.commit()
    after = f"; its data may be deleted from {release.isoformat()}" if release else ""
    out.print(f"{ref[:32]}: closed{after}", markup=False)
