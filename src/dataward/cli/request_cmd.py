"""``dataward request``: the rights request queue and its clock, from a terminal.

``show``, ``step`` and ``export`` run the services the console runs (``transitions.take_step``,
``request_logs.full_request_log``), so a caseworker at a terminal is held to the same rules.
Terminals and their scrollback get logged: the requester's details and the caseworkers'
notes (personal data, sealed at rest) are printed only when asked for.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Column, Table

from dataward.config import get_settings
from dataward.errors import DatawardError
from dataward.outbox.config import get_mail_settings
from dataward.requests.errors import RemindersInvalid, RequestInvalid
from dataward.requests.jobs import run_reminders
from dataward.requests.queue import URGENCIES, QueueFilter, queue, urgency
from dataward.requests.reminders import recompute_and_tell, reminder_days
from dataward.runtime import open_runtime

app = typer.Typer(help="Rights requests: the queue and the clock.", no_args_is_help=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)
out = Console(highlight=False, soft_wrap=True)
Actor = Annotated[str, typer.Option(help="Who is acting, for the audit chain.")]


@app.command("list")
def list_(
    org: Annotated[str | None, typer.Option("--org", help="Organisation id.")] = None,
    due: Annotated[str | None, typer.Option(help=f"Only these: {', '.join(URGENCIES)}.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10_000)] = 100,
) -> None:
    """Open requests, the most urgent first (no personal data is printed)."""
    if due is not None and due not in URGENCIES:
        typer.echo(f"--due must be one of {', '.join(URGENCIES)}", err=True)
        raise typer.Exit(2)
    with open_runtime() as runtime, runtime.reader() as uow:
        page = queue(uow, QueueFilter(organisation=org, urgency=due), limit=limit)
        today = uow.clock.today()
        # The reference and the day are never cut short: they are what gets copied.
        table = Table(
            Column("Request", no_wrap=True),
            "Organisation",
            "Rights",
            "State",
            Column("Due", no_wrap=True),
            "Urgency",
        )
        for row in page.rows:
            table.add_row(
                row.ref,
                row.organisation,
                ", ".join(row.rights),
                row.state,
                row.due_on.isoformat() if row.due_on else "-",
                urgency(row, today),
            )
    out.print(table)
    out.print(", ".join(f"{name}: {page.counts[name]}" for name in URGENCIES))


@app.command("recompute")
def recompute(
    actor: Actor = "cli",
    quiet: Annotated[
        bool, typer.Option("--quiet", help="Do not tell the assignees of moved requests.")
    ] = False,
) -> None:
    """Recompute every open request's due date after the bank holidays changed (a new
    `holidays` release or a new bank holiday): moved dates are updated and audited, and
    each moved request's assignee is told (unless --quiet)."""
    with open_runtime() as runtime, runtime.uow() as uow:
        result, told = recompute_and_tell(
            uow, mail=get_mail_settings(), actor=actor, tell=not quiet
        )
        uow.commit()
    for ref, old, new in result.moved:
        typer.echo(f"{ref}: due {old or '-'} -> {new or '-'}")
    typer.echo(f"{result.checked} open requests checked, {len(result.moved)} moved")
    if not quiet:
        typer.echo(f"{told.total} told, {told.undeliverable} with nobody to tell")


@app.command("remind")
def remind(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="The day to remind as of (YYYY-MM-DD).")
    ] = None,
    actor: Actor = "cli",
) -> None:
    """Send the reminders and the DPO's digests due today, once (for cron, without a
    worker); what a worker sent already is not sent again."""
    settings = get_settings()
    days = reminder_days(settings.request_reminder_days)
    with open_runtime() as runtime, runtime.uow() as uow:
        today = uow.clock.today()
        day = _day(as_of, today)
        run = run_reminders(uow, today=day, days=days, mail=get_mail_settings(), actor=actor)
        uow.commit()
    for kind, count in sorted(run.reminders.by_kind.items()):
        typer.echo(f"{kind}: {count}")
    typer.echo(
        f"{run.reminders.total} reminders ({run.reminders.undeliverable} with nobody to "
        f"tell), {run.digests} digests"
    )


def _day(value: str | None, today: date) -> date:
    if value is None:
        return today
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise RemindersInvalid("--as-of must be a date like 2026-12-05") from None
    if day > today:
        # Reminders sent early would be recorded as sent, and not sent on the day.
        raise RemindersInvalid("--as-of cannot be after today")
    return day


@app.command("show")
def show(
    org: Annotated[str, typer.Argument(help="Organisation id.")],
    ref: Annotated[str, typer.Argument(help="The request's reference (q_...).")],
    with_requester: Annotated[
        bool,
        typer.Option(
            "--with-requester",
            help="Also print the requester's name, contact details and words, and the "
            "caseworkers' notes (personal data: terminals get logged).",
        ),
    ] = False,
) -> None:
    """One request: its clock, state, rights, tasks, letters and history. The requester's
    details are left out unless --with-requester."""
    from dataward.cli.app import report_error
    from dataward.cli.request_show import print_request

    try:
        with open_runtime() as runtime, runtime.reader() as uow:
            print_request(out, uow, org[:80], ref[:32], with_requester=with_requester)
    except DatawardError as error:  # an unknown reference: said plainly, no traceback
        raise typer.Exit(report_error(error)) from None


@app.command("step")
def step(
    org: Annotated[str, typer.Argument(help="Organisation id.")],
    ref: Annotated[str, typer.Argument(help="The request's reference (q_...).")],
    name: Annotated[
        str,
        typer.Argument(
            metavar="STEP",
            help="ask_identity, verify_identity, ask_fee, fee_received, ask_clarification, "
            "clarification_received, extend, ready_for_review, respond, refuse, withdraw, "
            "close, deceased or assign.",
        ),
    ],
    on: Annotated[
        str | None,
        typer.Option("--on", help="The day the step took effect (YYYY-MM-DD; default: today)."),
    ] = None,
    note: Annotated[
        str | None,
        typer.Option(
            help="Why, in your words (sealed; extend, refuse, ask_fee, ask_clarification "
            "and deceased need one; respond puts it in the letter)."
        ),
    ] = None,
    method: Annotated[
        str | None,
        typer.Option(
            help="verify_identity only: email_code, knowledge_check, document, "
            "known_to_staff or not_needed."
        ),
    ] = None,
    assignee: Annotated[
        str | None,
        typer.Option(help="assign only: the user reference (user:u_...); empty: nobody."),
    ] = None,
    reason: Annotated[
        str | None,
        typer.Option(
            help="refuse only, and required there: the legal reason's code, e.g. "
            "manifestly_excessive, legal_obligation_to_keep, legal_claims, "
            "dpa_research_statistics (`dataward request refusal-reasons` lists them)."
        ),
    ] = None,
    actor: Actor = "cli",
) -> None:
    """Take one step on a request, as the console does: the rules may refuse it (printed
    with its code, exit 2), and its letter goes out in the same transaction."""
    from dataward.requests.transitions import Step, take_step
    from dataward.requests.wording import STATE_WORDS

    try:
        details = _details(name, method, assignee, reason)
        with open_runtime() as runtime, runtime.uow() as uow:
            day = _step_day(on, uow.clock.today())
            row = take_step(uow, org[:80], ref[:32], name, Step(actor, day, note or None), details)
            state, due_on = row.state, row.due_on
            uow.commit()
    except DatawardError as error:
        # One line a script can read: what was refused and its stable code.
        err.print(f"refused [{error.code}]: {error.message}", markup=False)
        raise typer.Exit(2) from None
    due = f", due {due_on.isoformat()}" if due_on else ""
    out.print(f"{ref}: {state} ({STATE_WORDS.get(state, state)}){due}", markup=False)


@app.command("refusal-reasons")
def refusal_reasons() -> None:
    """List the legal reasons a request may be refused for (`step refuse --reason CODE`):
    the code, the law, and the rights it can refuse (any, or erasure only)."""
    from dataward.requests.refusal_reasons import LEGACY, REFUSAL_REASONS

    for reason in REFUSAL_REASONS:
        if reason.code == LEGACY:
            continue
        rights = ", ".join(reason.rights) or "any right"
        out.print(f"{reason.code}\t{reason.law}\t{rights}\t{reason.because}", markup=False)


@app.command("search")
def search(
    org: Annotated[str, typer.Argument(help="Organisation id.")],
    ref: Annotated[str, typer.Argument(help="The request's reference (q_...).")],
    actor: Actor = "cli",
) -> None:
    """Search the request's subject in the organisation's bound sources (issue 18, SAR-07).

    Every dataset the stored sources file binds is searched for the subject's identities
    (merged subjects' too); each one's search task is recorded with its row and file counts.
    Datasets no source binds stay open, to search by hand. Connection URLs come from the
    environment or settings, never printed. A refusal (no subject linked, identity not
    proven, no stored sources, a source unavailable) changes nothing: one line, exit 2.

    Example: dataward request search jtr_collections q_4f1a2b3c4d5e6f70 --actor user:u_ann
    """
    from dataward.requests.source_search import search_sources

    try:
        with open_runtime() as runtime, runtime.uow() as uow:
            result = search_sources(uow, org[:80], ref[:32], actor=actor)
            uow.commit()
    except DatawardError as error:
        err.print(f"refused [{error.code}]: {error.message}", markup=False)
        raise typer.Exit(2) from None
    # Plain lines (dataset, rows, files): copied into notes and read by scripts.
    out.print(f"{result.ref}: searched in sources v{result.version}", markup=False)
    for dataset in sorted(result.searched):
        count = result.searched[dataset]
        out.print(f"  {dataset}: {count.rows} rows, {count.files} files", markup=False)
    if result.not_bound:
        out.print(
            f"left to search by hand (no source binds them): {', '.join(result.not_bound)}",
            markup=False,
        )


@app.command("rectify")
def rectify(
    org: Annotated[str, typer.Argument(help="Organisation id.")],
    ref: Annotated[str, typer.Argument(help="The request's reference (q_...).")],
    dataset: Annotated[str, typer.Option(help="The register's dataset holding the column.")],
    column: Annotated[str, typer.Option(help="The column the sources file binds.")],
    value: Annotated[str, typer.Option(help="The corrected value (sealed with the request).")],
    not_made: Annotated[
        str | None,
        typer.Option(
            "--not-made", help="Record why it is not made instead: opinion, accurate or other."
        ),
    ] = None,
    why: Annotated[str | None, typer.Option(help="With --not-made: why, in words.")] = None,
    statement: Annotated[
        str | None,
        typer.Option(help="With --not-made: the subject's supplementary statement."),
    ] = None,
    accuracy_check: Annotated[
        str | None,
        typer.Option(
            "--accuracy-check",
            help="How the new value's accuracy was checked: document_seen, records_checked "
            "or confirmed_by_subject (required where the register says it verifies accuracy).",
        ),
    ] = None,
    actor: Actor = "cli",
) -> None:
    """Correct the subject's data in the source (REC-01), then tell the recipients (NOT-01).

    The column must be one the sources file binds, through a read_write connection. With
    --not-made the correction is recorded as not made, with why and the subject's
    statement. A refusal changes nothing, in dataward or the source: one line, exit 2.

    Example: dataward request rectify acme q_4f1a2b3c4d5e6f70 --dataset customers
    --column phone --value 07700900124
    """
    from dataward.disclosures.rectification import Correction, record_not_rectified
    from dataward.disclosures.rectification import rectify as apply_correction

    correction = Correction(dataset[:80], column[:80], value)
    try:
        with open_runtime() as runtime, runtime.uow() as uow:
            if not_made is None:
                rect = apply_correction(
                    uow, org[:80], ref[:32], correction, actor=actor, accuracy_check=accuracy_check
                )
            else:
                rect = record_not_rectified(
                    uow,
                    org[:80],
                    ref[:32],
                    correction,
                    reason=not_made,
                    why=why or "",
                    statement=statement or "",
                    actor=actor,
                )
            uow.commit()
            done, rows = rect.outcome, rect.rows
    except DatawardError as error:
        err.print(f"refused [{error.code}]: {error.message}", markup=False)
        raise typer.Exit(2) from None
    if done == "applied":
        out.print(f"{ref[:32]}: {dataset}.{column} corrected in {rows} rows", markup=False)
    else:
        out.print(f"{ref[:32]}: {dataset}.{column} not corrected ({not_made})", markup=False)


@app.command("lift-restriction")
def lift_restriction(
    org: Annotated[str, typer.Argument(help="Organisation id.")],
    ref: Annotated[str, typer.Argument(help="The request's reference (q_...).")],
    restriction: Annotated[str, typer.Argument(help="The restriction's reference (r_...).")],
    warn: Annotated[
        bool,
        typer.Option("--warn", help="Tell the requester it will be lifted (Art 18(3))."),
    ] = False,
    lift: Annotated[
        bool, typer.Option("--lift", help="Lift it (refused until the requester was told).")
    ] = False,
    actor: Actor = "cli",
) -> None:
    """Lift a restriction on the request's subject (RES-01): first --warn, which queues the
    message telling the requester it will be lifted and records that they were told, then
    --lift. Lifting before the warning, or a restriction not on the request's subject, is
    refused and changes nothing: one line, exit 2.

    Example: dataward request lift-restriction acme q_4f1a2b3c4d5e6f70 r_0123456789abcdef --warn
    """
    from dataward.requests.rights_applied import lift_from_request, warn_before_lifting

    if warn == lift:
        err.print("give exactly one of --warn or --lift", markup=False)
        raise typer.Exit(2)
    step = warn_before_lifting if warn else lift_from_request
    try:
        with open_runtime() as runtime, runtime.uow() as uow:
            row = step(uow, org[:80], ref[:32], restriction[:32], actor=actor)
            uow.commit()
    except DatawardError as error:
        err.print(f"refused [{error.code}]: {error.message}", markup=False)
        raise typer.Exit(2) from None
    done = "the requester was told it will be lifted" if warn else "lifted"
    out.print(f"{row.ref}: {done}", markup=False)


@app.command("export")
def export(
    org: Annotated[
        str | None, typer.Option("--org", help="Organisation id (default: all).")
    ] = None,
    month: Annotated[
        str | None,
        typer.Option(help="Only requests received in this month (YYYY-MM)."),
    ] = None,
) -> None:
    """Write the request log an ICO audit asks for, as CSV on standard output (the
    console's export): every request, oldest first, with dates and outcome, and nothing
    about the requester but whether they acted for someone."""
    from dataward.cli.app import report_error
    from dataward.clock import in_uk_time
    from dataward.request_logs import full_request_log
    from dataward.requests.dashboard import parse_month

    try:
        with open_runtime() as runtime, runtime.reader() as uow:
            within = None
            if month is not None:
                within = parse_month(month.strip(), in_uk_time(uow.clock.now()).date())
            for chunk in full_request_log(uow, org, within):
                typer.echo(chunk.encode("utf-8"), nl=False)  # bytes: CRLF kept as written
    except DatawardError as error:  # a month that is not YYYY-MM
        raise typer.Exit(report_error(error)) from None


def _details(
    name: str, method: str | None, assignee: str | None, reason: str | None = None
) -> str | None:
    """The one extra value a step takes, checked against the step it belongs to."""
    if reason is not None and name != "refuse":
        raise RequestInvalid("--reason goes with refuse only")
    if name == "refuse":
        return reason
    if method is not None and name != "verify_identity":
        raise RequestInvalid("--method goes with verify_identity only")
    if assignee is not None and name != "assign":
        raise RequestInvalid("--assignee goes with assign only")
    if name == "verify_identity" and not method:
        raise RequestInvalid("verify_identity needs --method (how the identity was checked)")
    return method if name == "verify_identity" else (assignee or "").strip() or None


def _step_day(value: str | None, today: date) -> date:
    if value is None:
        return today
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RequestInvalid("--on must be a date like 2026-12-05") from None
