"""``dataward retention``: the retention engine from a terminal (RET-01..03).

``plan`` is a dry run: per rule and dataset, the rows due today, those held and by what, the
next days rows fall due and a sample of key digests. Nothing changes in any source. Output
is codes, counts, dates and digests: never a value of a row. Bad input is one line,
``error [code]: message``, and exit code 2.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from dataward.cli.access_cmd import refused

if TYPE_CHECKING:
    from dataward.clock import FixedClock
    from dataward.retention.plan import BindingPlan, RetentionPlan

app = typer.Typer(
    help="Retention (RET-01..03): the plan of what each retention rule makes due and what "
    "holds keep, and the run that deletes it.",
    no_args_is_help=True,
)
out = Console(highlight=False, soft_wrap=True)


def clock_of(as_of: str | None) -> FixedClock | None:
    """A clock fixed on ``--as-of`` (None: the real clock). Noon UTC is the same day in UK
    time, winter and summer. A value that is not a date is refused (exit 2)."""
    from dataward.clock import FixedClock
    from dataward.retention.errors import RetentionInvalid

    if as_of is None:
        return None
    try:
        day = date.fromisoformat(as_of)
    except ValueError:
        raise RetentionInvalid("--as-of must be a date like 2026-12-05") from None
    return FixedClock(datetime(day.year, day.month, day.day, 12, tzinfo=UTC))


@app.command("plan")
def plan(
    org: Annotated[
        str | None,
        typer.Option("--org", help="Organisation id (default: the only one with a register)."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Plan as of this day (YYYY-MM-DD); today if not set."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
) -> None:
    """A dry run of every retention rule of the register on the organisation's sources:
    per rule and dataset, rows due, held (by which hold), the next days rows fall due and a
    sample of key digests. Nothing is deleted; a rule whose period is vague is listed as
    needing a decision, data bound to no source as such, a source that cannot be reached
    as waiting.

    Example: dataward retention plan --org jtr_collections --as-of 2026-12-05
    """
    from dataward.retention.plan import organisation_of, plan_retention
    from dataward.runtime import open_runtime

    with refused():
        clock = clock_of(as_of)
        with open_runtime(with_keys=False, clock=clock) as runtime, runtime.reader() as uow:
            made = plan_retention(uow, organisation_of(uow, org))
    if as_json:
        out.print(json.dumps(plan_document(made), indent=2), markup=False)
        return
    for line in plan_text(made):
        out.print(line, markup=False)


def plan_document(made: RetentionPlan) -> dict[str, Any]:
    """The plan as plain data (the ``--json`` output a runner or a reader consumes)."""

    def binding(b: BindingPlan) -> dict[str, Any]:
        return {
            "connection": b.connection,
            "table": b.table,
            "status": b.status,
            "reason": b.reason,
            "due": b.due,
            "held": b.held,
            "held_any": b.held_any,
            "to_act_on": b.to_act_on,
            "next_due": [{"day": d.isoformat(), "rows": n} for d, n in b.next_due],
            "sample_key_digests": b.sample,
            "unreadable": b.unreadable,
            "notes": b.notes,
            "due_sql": b.due_sql,
            "held_sql": b.held_sql,
        }

    return {
        "organisation": made.organisation,
        "as_of": made.as_of.isoformat(),
        "register_version": made.register_version,
        "sources_version": made.sources_version,
        "rules": [
            {
                "rule": r.rule,
                "action": r.action,
                "status": r.status,
                "reason": r.reason,
                "cutoff": r.cutoff.isoformat() if r.cutoff else None,
                "triggers": r.triggers,
                "latest_of_entity": r.latest_of_entity,
                "subject_holds": r.subject_holds,
                "restrictions_held": r.restrictions,
                "datasets": [
                    {
                        "dataset": d.dataset,
                        "status": d.status,
                        "reason": d.reason,
                        "bindings": [binding(b) for b in d.bindings],
                    }
                    for d in r.datasets
                ],
            }
            for r in made.rules
        ],
    }


def plan_text(made: RetentionPlan) -> list[str]:
    """The readable plan: a block per rule, a line per dataset binding."""
    lines = [
        f"Retention plan for {made.organisation} as of {made.as_of.isoformat()} "
        f"(register v{made.register_version}, sources v{made.sources_version}): a dry run."
    ]
    for rule in made.rules:
        lines.append("")
        head = f"{rule.rule} ({rule.action or 'no action stated'})"
        if rule.status != "planned":
            lines.append(f"{head}: {rule.status.replace('_', ' ')}: {rule.reason}")
            continue
        first = "latest " if rule.latest_of_entity else ""
        lines.append(
            f"{head}: due where {first}{' or '.join(rule.triggers)} on or before "
            f"{rule.cutoff.isoformat() if rule.cutoff else '?'}"
        )
        if rule.subject_holds:
            lines.append(
                f"  {rule.subject_holds} subject hold(s) in force: matched to rows by the "
                "subjects' identities (legal_hold:<ref> below)"
            )
        if rule.restrictions:
            lines.append(
                f"  {rule.restrictions} subject(s) with a restriction in force: their rows are "
                "held (restriction, RES-01)"
            )
        for dataset in rule.datasets:
            if not dataset.bindings:
                lines.append(f"  {dataset.dataset}: {dataset.reason}")
                continue
            for b in dataset.bindings:
                where = f"  {dataset.dataset} [{b.connection}.{b.table}]"
                if b.status != "planned":
                    lines.append(f"{where}: {b.status}: {b.reason}")
                    continue
                held = ", ".join(f"{label} {n}" for label, n in b.held.items() if n)
                lines.append(
                    f"{where}: due {b.due}, held {b.held_any}"
                    + (f" ({held})" if held else "")
                    + f", to act on {b.to_act_on}"
                )
                if b.next_due:
                    days = ", ".join(f"{d.isoformat()} {n}" for d, n in b.next_due)
                    lines.append(f"    next due: {days}")
                if b.sample:
                    lines.append(f"    sample keys (digests): {', '.join(b.sample)}")
                lines.extend(f"    note: {note}" for note in b.notes)
    return lines


@app.command("run")
def run(
    org: Annotated[
        str | None,
        typer.Option("--org", help="Organisation id (default: the only one with a register)."),
    ] = None,
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Run as of this day (YYYY-MM-DD); today if not set. Never a day "
            "before the last run.",
        ),
    ] = None,
    batch_size: Annotated[
        int,
        typer.Option(
            "--batch-size", min=1, max=50_000, help="Rows acted on per source transaction."
        ),
    ] = 20_000,  # retention.run.BATCH (not imported: the CLI starts without the services)
    as_json: Annotated[bool, typer.Option("--json", help="Print the evidence as JSON.")] = False,
) -> None:
    """Run every retention rule of the register on the organisation's sources: rows due and
    not held are deleted (or anonymised, or flagged for review, as the rule says) in their
    source, in batches, and their files removed after the rows commit. One evidence record
    per rule, dataset and binding says what was done, held or skipped, with counts and a
    digest of the keys (RET-03). Safe to stop and run again: it resumes where it stopped;
    a second run the same day reports the first. The worker runs this daily. The progress
    bar counts the rows acted on; a table's rows held or to act on are counted when its
    record finishes, so the total is known at the end.

    Example: dataward retention run --org jtr_collections
    """
    from rich.progress import Progress

    from dataward.errors import ConfigurationError
    from dataward.retention.plan import organisation_of
    from dataward.retention.run import evidence_of, run_step, what_each_did
    from dataward.runtime import open_runtime

    with refused():
        clock = clock_of(as_of)
        try:
            runtime = open_runtime(with_keys=True, clock=clock)
        except ConfigurationError:
            # Without the key store a subject hold cannot be matched; the run says so.
            runtime = open_runtime(with_keys=False, clock=clock)
        with runtime, Progress(console=out, disable=not out.is_terminal) as bar:
            task = bar.add_task("retention run", total=None)
            while True:
                with runtime.uow() as uow:
                    organisation = organisation_of(uow, org)
                    step = run_step(uow, organisation, worker="cli", batch_size=batch_size)
                    uow.commit()
                # A database binding's rows are counted when its record finishes, so the
                # total grows as the run goes: known (and shown) only at the end.
                total = step.to_act_on if step.finished else None
                bar.update(task, total=total or None, completed=step.rows)
                if step.finished:
                    break
            with runtime.reader() as uow:
                records = evidence_of(uow, step.run_id)
                did = what_each_did(uow, step.run_id)
                document = {
                    "organisation": organisation,
                    "run": step.run_id,
                    "as_of": step.as_of.isoformat(),
                    "already_ran": step.did == "already_done",
                    "rows": step.rows,
                    "files": step.files,
                    "evidence": [
                        {
                            "rule": r.rule,
                            "dataset": r.dataset,
                            "connection": r.connection,
                            "table": r.table,
                            "action": r.action,
                            "did": did.get(r.id, r.action),
                            "status": r.status,
                            "reason": r.reason,
                            "rows": r.rows,
                            "files": r.files,
                            "held": r.held,
                            "keys_digest": r.keys_digest,
                            "resumed": r.resumed,
                        }
                        for r in records
                    ],
                }
    if as_json:
        out.print(json.dumps(document, indent=2), markup=False)
        return
    for line in run_text(document):
        out.print(line, markup=False)


def run_text(document: dict[str, Any]) -> list[str]:
    """The readable evidence of a run: a line per rule, dataset and binding."""
    head = (
        f"Retention run for {document['organisation']} as of {document['as_of']}: "
        f"{document['rows']} row(s) acted on, {document['files']} file(s) deleted."
    )
    lines = [head]
    if document["already_ran"]:
        lines.append("It already ran today: this is what it did.")
    for r in document["evidence"]:
        where = r["rule"] + (f" / {r['dataset']}" if r["dataset"] else "")
        if r["connection"]:
            where += f" [{r['connection']}.{r['table']}]"
        held = ", ".join(f"{label} {n}" for label, n in r["held"].items() if n)
        if r["status"] in ("done", "flagged"):
            line = f"  {where}: {r['did']} {r['rows']} row(s)"
            if r["files"]:
                line += f", {r['files']} file(s) deleted"
            if held:
                line += f"; held {held}"
            if r["resumed"]:
                line += " (resumed)"
        else:
            line = f"  {where}: {r['status'].replace('_', ' ')}: {r['reason']}"
        lines.append(line)
    return lines


# dataward's own data (issue 20): the plan and, with --apply, the sweep in committed batches.
@app.command("own")
def own(
    apply: Annotated[
        bool, typer.Option("--apply", help="Sweep what is due (default: only plan).")
    ] = False,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="As of this day (YYYY-MM-DD); today if not set."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Retention of dataward's own data: finished requests (crypto-shredded), their access
    packages and unchecked ID documents, sent message bodies, cookie choices, expired
    sessions, API tokens and one-time codes, each kept as long as its DATAWARD_OWN_*
    setting says. Without --apply, a dry run: per kind the cutoff, rows and files due and
    the next day something falls due. With --apply, swept in batches, each committed
    before its files are removed, until nothing due is left; one audit entry per kind and
    batch, with counts only.

    Example: dataward retention own --apply
    """
    from dataward.config import get_settings
    from dataward.retention.own import own_periods, own_plan, remove_swept_files, sweep_own
    from dataward.runtime import open_runtime

    with refused():
        settings = get_settings()
        own_periods(settings)  # a bad period is refused before any store is opened
        clock = clock_of(as_of)
        if not apply:
            with open_runtime(with_keys=False, clock=clock) as runtime, runtime.reader() as uow:
                plan = own_plan(uow, settings)
            rows: list[dict[str, Any]] = [
                {
                    "kind": d.kind,
                    "setting": d.setting,
                    "period": d.period,
                    "cutoff": d.cutoff.isoformat(),
                    "rows_due": d.rows_due,
                    "files_due": d.files_due,
                    "next_due": d.next_due.isoformat() if d.next_due else None,
                }
                for d in plan
            ]
            if as_json:
                out.print(json.dumps({"dry_run": True, "kinds": rows}, indent=2), markup=False)
                return
            out.print("dataward's own data: a dry run (--apply sweeps).", markup=False)
            for r in rows:
                out.print(
                    f"{r['kind']} ({r['period']}, {r['setting']}): due {r['rows_due']} rows, "
                    f"{r['files_due']} files; cutoff {r['cutoff']}; "
                    f"next due {r['next_due'] or '-'}",
                    markup=False,
                )
            return
        totals: dict[str, dict[str, int]] = {}
        with open_runtime(clock=clock) as runtime:
            more = True
            while more:
                with runtime.uow() as uow:
                    swept = sweep_own(uow, settings, worker="cli")
                    uow.commit()
                remove_swept_files(swept)  # only once the rows that name them are committed
                for s in swept:
                    done = totals.setdefault(s.kind, {"rows": 0, "files": 0})
                    done["rows"] += s.rows
                    done["files"] += s.files
                more = any(s.more for s in swept)
    if as_json:
        out.print(json.dumps({"dry_run": False, "swept": totals}, indent=2), markup=False)
        return
    for kind, done in totals.items():
        out.print(f"{kind}: {done['rows']} rows swept, {done['files']} files removed", markup=False)
