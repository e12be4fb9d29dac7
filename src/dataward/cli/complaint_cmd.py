"""``dataward complaint``: complaints (CMP-01) from a terminal.

Each command runs the service the console and the API run (``complaints.service``,
``complaints.steps``), so a caseworker at a terminal is held to the same rules. Terminals and
their scrollback get logged: the complainant's details and the caseworkers' notes are printed
(or exported) only when asked for with ``--with-complainant``. Bad input is one line,
``error [code]: message``, and exit code 2, with nothing changed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dataward.errors import DatawardError, ValidationFailed

app = typer.Typer(
    help="Complaints (CMP-01): the queue, each step to the outcome, and a record as JSON.",
    no_args_is_help=True,
)
out = Console(highlight=False, soft_wrap=True)
Org = Annotated[str, typer.Argument(help="Organisation id, as in its register.")]
Ref = Annotated[str, typer.Argument(help="The complaint's reference (c_...).")]
Actor = Annotated[str, typer.Option(help="Who is acting, for the audit chain.")]
On = Annotated[
    str | None,
    typer.Option("--on", help="The day the step took effect (YYYY-MM-DD; default: today, UK)."),
]


@contextmanager
def refused() -> Iterator[None]:
    """Bad input or a refused step: one line naming what and its code, exit 2."""
    from dataward.cli.app import report_error

    try:
        yield
    except DatawardError as error:
        raise typer.Exit(report_error(error)) from None


def parse_day(option: str, value: str, error: Callable[[str], ValidationFailed]) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise error(f"{option} must be a date like 2026-11-20 (got {value[:20]!r})") from None


def _invalid(message: str) -> ValidationFailed:
    from dataward.complaints.errors import ComplaintInvalid

    return ComplaintInvalid(message)


def _step_day(on: str | None, today: date) -> date:
    return parse_day("--on", on, _invalid) if on is not None else today


def _one_of(option: str, value: str | None, allowed: tuple[str, ...]) -> None:
    if value is not None and value not in allowed:
        raise _invalid(f"{option} must be one of {', '.join(allowed)}")


def _text(option: str, value: str | None, path: Path | None) -> str:
    """The words given inline, or read from a file ("-": standard input)."""
    if value is not None and path is not None:
        raise _invalid(f"give {option} or {option}-file, not both")
    if path is None:
        return value or ""
    if str(path) == "-":
        return typer.get_text_stream("stdin").read()
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        raise _invalid(f"{option}-file cannot be read as UTF-8 text") from None


@app.command("list")
def list_(
    org: Annotated[str | None, typer.Option("--org", help="Organisation id.")] = None,
    state: Annotated[
        str | None,
        typer.Option(help="received, acknowledged, investigating, closed, or open (any open)."),
    ] = None,
    urgency: Annotated[
        str | None,
        typer.Option(help="acknowledgement_overdue, outcome_overdue or on_time (open only)."),
    ] = None,
    theme: Annotated[str | None, typer.Option(help="Only complaints about this theme.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500)] = 100,
) -> None:
    """Complaints, the oldest received first, with CMP-01's days (no personal data).

    Example: dataward complaint list --org acme --urgency acknowledgement_overdue
    """
    from dataward.complaints.listing import ComplaintFilter, list_complaints
    from dataward.complaints.queue import counts
    from dataward.complaints.queue import urgency as urgency_of
    from dataward.complaints.service import today_of
    from dataward.runtime import open_runtime

    filters = ComplaintFilter(organisation=org, state=state, urgency=urgency, theme=theme)
    with refused(), open_runtime() as runtime, runtime.reader() as uow:
        page = list_complaints(uow, filters, limit=limit)
        today = today_of(uow)
        # Plain lines, not a table: no reference or day is cut short in a narrow terminal.
        lines = [
            f"{row.ref} {row.organisation}: {row.state}, {urgency_of(row, today)}; received "
            f"{row.received_on.isoformat()}, acknowledge by {row.acknowledge_by.isoformat()}"
            + (f", outcome by {row.outcome_target_on.isoformat()}" if row.outcome_target_on else "")
            + f"; theme {row.theme or '-'}"
            for row in page.rows
        ]
        found = counts(uow, org) if org else None
    for line in lines:
        out.print(line, markup=False)
    out.print(f"{len(lines)} complaint{'' if len(lines) == 1 else 's'}")
    if found is not None:
        out.print("open: " + ", ".join(f"{name}: {n}" for name, n in found.items()))
    if page.next_cursor:
        out.print(f"(more than {limit}: narrow the filters or raise --limit)")


@app.command("show")
def show(
    org: Org,
    ref: Ref,
    with_complainant: Annotated[
        bool,
        typer.Option(
            "--with-complainant",
            help="Also print the complainant's details and words, and the caseworkers' notes "
            "(personal data: terminals get logged).",
        ),
    ] = False,
) -> None:
    """One complaint: its clocks (CMP-01), links and history. The complainant's details are
    left out unless --with-complainant.

    Example: dataward complaint show acme c_0123456789abcdef
    """
    from dataward.clock import in_uk_time
    from dataward.complaints.listing import complaint_record
    from dataward.complaints.service import get_complaint
    from dataward.runtime import open_runtime

    with refused(), open_runtime() as runtime, runtime.reader() as uow:
        row = get_complaint(uow, org[:80], ref[:32])
        record = complaint_record(uow, row, sealed=with_complainant)
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold")
    facts.add_column()
    for name, key in (
        ("Complaint", "ref"),
        ("Organisation", "organisation"),
        ("State", "state"),
        ("Urgency", "urgency"),
        ("Channel", "channel"),
        ("Complainant", "complainant_kind"),
        ("Received", "received_on"),
        ("Acknowledge by (CMP-01)", "acknowledge_by"),
        ("Acknowledged", "acknowledged_on"),
        ("Outcome by", "outcome_target_on"),
        ("Outcome", "outcome"),
        ("Closed", "closed_on"),
        ("Theme", "theme"),
        ("Subject", "subject_ref"),
    ):
        facts.add_row(name, _shown(record[key]))
    facts.add_row("Requests", ", ".join(record["request_refs"]) or "-")
    out.print(facts)
    if record["complainant"] is not None:
        out.print("\nComplainant (personal data)", style="bold")
        for name, value in record["complainant"].items():
            if value:
                out.print(f"  {name.replace('_', ' ')}: {value}", markup=False)
    out.print("\nHistory", style="bold")
    for entry in record["history"]:
        out.print(
            f"  {entry['seq']}. {entry['on'].isoformat()} {entry['action']} "
            f"({entry['from_state'] or '-'} -> {entry['to_state']}) by {entry['actor']}, "
            f"entered {in_uk_time(entry['at']).strftime('%Y-%m-%d %H:%M')} UK",
            markup=False,
        )
        if entry["note"]:
            out.print(f"     note: {entry['note']}", markup=False)


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    return value.isoformat() if isinstance(value, date) else str(value)


@app.command("open")
def open_(
    org: Annotated[str, typer.Option("--org", help="Organisation id.")],
    received_on: Annotated[
        str,
        typer.Option("--received-on", help="The day it actually arrived (YYYY-MM-DD; CMP-01)."),
    ],
    channel: Annotated[
        str,
        typer.Option(help="portal, email, post, phone, in_person, social_media or api."),
    ],
    words: Annotated[
        str | None, typer.Option(help="The complaint in the complainant's own words.")
    ] = None,
    words_file: Annotated[
        Path | None,
        typer.Option("--words-file", help="Read the words from a file ('-': standard input)."),
    ] = None,
    name: Annotated[str, typer.Option(help="The complainant's name.")] = "",
    email: Annotated[str, typer.Option(help="Their email address.")] = "",
    phone: Annotated[str, typer.Option(help="Their phone number.")] = "",
    address: Annotated[str, typer.Option(help="Their postal address.")] = "",
    kind: Annotated[
        str,
        typer.Option(help="self, or who acts for the person (solicitor, relative, ...: SAR-10)."),
    ] = "self",
    on_behalf_of: Annotated[
        str, typer.Option("--on-behalf-of", help="Whom they act for (not with 'self').")
    ] = "",
    reply_by: Annotated[str, typer.Option("--reply-by", help="'post' to answer by post.")] = "",
    theme: Annotated[str | None, typer.Option(help="What it is about (e.g. disclosure).")] = None,
    subject: Annotated[
        str | None, typer.Option("--subject", help="The subject's ref (s_...), when known.")
    ] = None,
    request: Annotated[
        list[str] | None,
        typer.Option("--request", help="A rights request it is about (q_...); repeatable."),
    ] = None,
    actor: Actor = "cli",
) -> None:
    """Open a complaint on the day it arrived: its acknowledgement is due 30 days later
    (CMP-01). The details are sealed; only the reference and the days are printed.

    Example: dataward complaint open --org acme --channel post --received-on 2026-11-20
    --name "Ann Smith" --words-file letter.txt --request q_0123456789abcdef
    """
    from dataward.complaints.service import Complainant, NewComplaint, open_complaint
    from dataward.complaints.steps import link_request
    from dataward.runtime import open_runtime

    with refused():
        text = _text("--words", words, words_file)
        day = parse_day("--received-on", received_on, _invalid)
        who = Complainant(
            name=name,
            email=email,
            phone=phone,
            address=address,
            words=text,
            on_behalf_of=on_behalf_of,
            reply_by=reply_by,
        )
        if reply_by not in ("", "email", "post"):
            raise _invalid("--reply-by must be email or post")
        new = NewComplaint(org, channel, day, who, kind, subject, theme)
        with open_runtime() as runtime, runtime.uow() as uow:
            row = open_complaint(uow, new, actor=actor)
            for ref in dict.fromkeys(request or []):
                link_request(uow, row.organisation, row.ref, ref, actor=actor)
            uow.commit()
            ref, due, target = row.ref, row.acknowledge_by, row.outcome_target_on
    outcome = f", outcome by {target.isoformat()}" if target else ""
    out.print(f"{ref}: received, acknowledge by {due.isoformat()}{outcome}", markup=False)


def _run_step(
    org: str, ref: str, on: str | None, actor: str, take: Callable[[Any, Any], Any]
) -> None:
    """Run one step in a unit of work; print the complaint's new state."""
    from dataward.complaints.service import today_of
    from dataward.complaints.steps import Step
    from dataward.runtime import open_runtime

    with refused(), open_runtime() as runtime, runtime.uow() as uow:
        step = Step(actor, _step_day(on, today_of(uow)))
        row = take(uow, step)
        state, outcome = row.state, row.outcome
        uow.commit()
    out.print(f"{ref[:32]}: {state}" + (f" ({outcome})" if outcome else ""), markup=False)


@app.command("acknowledge")
def acknowledge(org: Org, ref: Ref, on: On = None, actor: Actor = "cli") -> None:
    """Record the acknowledgement (CMP-01: within 30 days of receipt).

    Example: dataward complaint acknowledge acme c_0123456789abcdef --on 2026-11-21
    """
    from dataward.complaints import steps

    _run_step(
        org, ref, on, actor, lambda uow, step: steps.acknowledge(uow, org[:80], ref[:32], step)
    )


@app.command("investigate")
def investigate(org: Org, ref: Ref, on: On = None, actor: Actor = "cli") -> None:
    """Start investigating an acknowledged complaint.

    Example: dataward complaint investigate acme c_0123456789abcdef
    """
    from dataward.complaints import steps

    _run_step(
        org, ref, on, actor, lambda uow, step: steps.investigate(uow, org[:80], ref[:32], step)
    )


@app.command("note")
def note(
    org: Org,
    ref: Ref,
    text: Annotated[str | None, typer.Option(help="The note (sealed with the complaint).")] = None,
    text_file: Annotated[
        Path | None,
        typer.Option("--text-file", help="Read the note from a file ('-': standard input)."),
    ] = None,
    on: On = None,
    actor: Actor = "cli",
) -> None:
    """Add an investigation note to an open complaint (its state is unchanged).

    Example: dataward complaint note acme c_0123456789abcdef --text "Called her back"
    """
    from dataward.complaints import steps

    with refused():
        words = _text("--text", text, text_file)
    _run_step(
        org, ref, on, actor, lambda uow, step: steps.add_note(uow, org[:80], ref[:32], words, step)
    )


@app.command("close")
def close(
    org: Org,
    ref: Ref,
    outcome: Annotated[str, typer.Option(help="upheld, partly_upheld, not_upheld or withdrawn.")],
    explanation: Annotated[
        str | None, typer.Option(help="The outcome explained, as the complainant is told it.")
    ] = None,
    explanation_file: Annotated[
        Path | None,
        typer.Option("--explanation-file", help="Read it from a file ('-': standard input)."),
    ] = None,
    on: On = None,
    actor: Actor = "cli",
) -> None:
    """Close the complaint with its outcome and explanation (CMP-01).

    Example: dataward complaint close acme c_0123456789abcdef --outcome upheld
    --explanation "We sent your letter to the wrong address; we have changed how we check."
    """
    from dataward.complaints import steps

    with refused():
        words = _text("--explanation", explanation, explanation_file)
    _run_step(
        org,
        ref,
        on,
        actor,
        lambda uow, step: steps.close(uow, org[:80], ref[:32], outcome, words, step),
    )


@app.command("export")
def export(
    org: Org,
    ref: Ref,
    output: Annotated[
        Path | None,
        typer.Option("--out", help="Write to this file (made readable by you only)."),
    ] = None,
    with_complainant: Annotated[
        bool,
        typer.Option(
            "--with-complainant",
            help="Include the complainant's details and the caseworkers' notes (personal data).",
        ),
    ] = False,
) -> None:
    """Write the complaint's record as JSON (the API's shape): its clocks, links and
    history; the complainant's details and notes only with --with-complainant.

    Example: dataward complaint export acme c_0123456789abcdef --with-complainant --out c.json
    """
    from dataward.complaints.listing import complaint_record
    from dataward.complaints.service import get_complaint
    from dataward.runtime import open_runtime

    with refused(), open_runtime() as runtime, runtime.reader() as uow:
        row = get_complaint(uow, org[:80], ref[:32])
        record = complaint_record(uow, row, sealed=with_complainant)
    text = json.dumps(record, indent=2, default=_iso, ensure_ascii=False) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
    except OSError as error:
        typer.echo(f"error [export_failed]: cannot write {output}: {error.strerror}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"{ref[:32]}: written to {output}", err=True)


def _iso(value: object) -> str:
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(type(value).__name__)
