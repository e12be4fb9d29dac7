"""``dataward register``: check, load, lint, measure coverage and print the JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from dataward.errors import ConfigurationError, RegisterInvalid
from dataward.register.coverage import CoverageReport, load_fact_sheet, measure_coverage
from dataward.register.lint import all_rules, lint
from dataward.register.loader import LoadedRegister, load_register
from dataward.register.models import Register
from dataward.register.runs import RunsReport, load_runs, runs_file_for
from dataward.uow import UnitOfWork

app = typer.Typer(
    help="Check, load and store registers, list lint rules, measure fact coverage.",
    no_args_is_help=True,
)
out = Console(highlight=False, soft_wrap=True)

Files = Annotated[list[Path], typer.Argument(help="Register YAML files.", show_default=False)]


@app.command("check")
def check(
    files: Files,
    sources: Annotated[
        Path | None,
        typer.Option(
            "--sources",
            help="Then check this sources file against the register and connect to every "
            "source it names (read-only): tables, columns, relations, types, indexes.",
        ),
    ] = None,
) -> None:
    """Load and lint registers; with --sources, check the organisation's data against one.

    Exit 0: valid, no lint errors. 1: valid, with lint errors. 2: invalid (every problem is
    printed as FILE:LINE:COL: field.path: message).

    With --sources (one register only) the sources file is then checked as `sources check
    --connect` does: on its own, against the register, and against what each connection
    holds, each problem at the sources file's FILE:LINE:COL and a missing index with the
    CREATE INDEX a DBA could run. A problem there exits 1 (2 when the sources file itself is
    invalid); nothing is ever changed.

    Example: dataward register check examples/jtr-collections.yaml --sources var/demo-sources.yaml
    """
    if sources is not None and len(files) != 1:
        out.print(
            f"--sources checks one register against its sources file; {len(files)} registers "
            "were given",
            markup=False,
        )
        raise typer.Exit(2)
    worst = 0
    checked: LoadedRegister | None = None
    for file in files:
        try:
            loaded = load_register(file)
        except RegisterInvalid as error:
            for problem in error.problems:
                out.print(str(problem), markup=False)
            worst = 2
            continue
        checked = loaded
        if _print_lint(file, loaded):
            worst = max(worst, 1)
    if sources is not None and checked is None:
        out.print(f"{sources}: not checked: the register is invalid", markup=False)
    elif sources is not None and checked is not None:
        from dataward.cli.sources_cmd import check_sources_file

        code = check_sources_file(sources, checked.register, str(files[0]), connect=True)
        worst = max(worst, code)
    raise typer.Exit(worst)


def _print_lint(file: Path, loaded: LoadedRegister) -> int:
    """Print every lint finding as FILE:LINE:COL and a summary; return the lint errors."""
    findings = lint(loaded.register)
    for f in findings:
        line, col = loaded.line_of(f.path)
        out.print(
            f"{file}:{line}:{col}: {f.rule_id} {f.severity}: {f.message} [{f.rules_ref}]",
            markup=False,
        )
    from dataward.cli.words import plural

    errors = sum(1 for f in findings if f.severity == "error")
    others = plural(len(findings) - errors, "other finding")
    summary = f"{file}: valid; {plural(errors, 'lint error')}, {others}"
    out.print(summary, markup=False)
    return errors


@app.command("load")
def load(
    file: Annotated[Path, typer.Argument(help="Register YAML file.", show_default=False)],
    url: Annotated[
        str | None, typer.Option(help="Database URL (default: DATAWARD_DATABASE_URL).")
    ] = None,
    actor: Annotated[str, typer.Option(help="Who is acting, for the audit chain.")] = "cli",
) -> None:
    """Store a register in dataward's database without serving it.

    The register is loaded strictly and linted as `register check` does. An invalid register
    prints every problem as FILE:LINE:COL and exits 2, storing nothing. A valid one (lint
    findings are printed, they do not stop it) becomes its organisation's newest register
    version, and a new notice version when what the notice says changed; loading the same
    text again changes nothing and says so. It uses the database `make run` serves
    (DATAWARD_DATABASE_URL, ./var/dataward.db by default) and migrates it first if needed.
    """
    from dataward.config import get_settings
    from dataward.logging import configure_logging
    from dataward.migrate import upgrade
    from dataward.runtime import open_runtime

    try:
        loaded = load_register(file)
    except RegisterInvalid as error:
        for problem in error.problems:
            out.print(str(problem), markup=False)
        out.print(f"{file}: invalid; nothing was stored", markup=False)
        raise typer.Exit(2) from None
    _print_lint(file, loaded)
    settings = get_settings()
    if url:
        settings = settings.model_copy(update={"database_url": url})
    configure_logging(settings.log_level, settings.log_format)  # logs to stderr, not stdout
    try:
        upgrade(settings.database_url)  # as `dataward serve` does, so a fresh clone works
    except (OSError, SQLAlchemyError) as exc:
        raise ConfigurationError(f"database unreachable: {type(exc).__name__}") from None
    # Storing a register encrypts nothing, so the key store is not opened.
    with open_runtime(settings, with_keys=False) as runtime, runtime.uow() as uow:
        outcome = _store(uow, loaded, actor)
        uow.commit()
    out.print(outcome, markup=False)


def _store(uow: UnitOfWork, loaded: LoadedRegister, actor: str) -> str:
    """Store ``loaded`` and say what changed, in the words of the versions the console shows."""
    from dataward.publication.notices import list_notice_versions, recorded_change
    from dataward.publication.registers import store_register

    organisation = loaded.register.organisation
    before = _newest_versions(uow, organisation)
    stored = store_register(uow, loaded, actor=actor)
    notice = list_notice_versions(uow, organisation)[0]
    name = f"{loaded.register.controller.name} ({organisation})"
    if before == (stored.version, notice.version):
        return (
            f"{name}: unchanged; register version {stored.version} and notice version "
            f"{notice.version} are already stored, so nothing changed."
        )
    register_part = f"register version {stored.version}" + (
        " (new)" if before is None or before[0] != stored.version else " (unchanged)"
    )
    if before is not None and before[1] == notice.version:
        notice_part = f"notice version {notice.version} (unchanged: the notice reads the same)"
    else:
        notice_part = f"notice version {notice.version} (new)"
    line = f"{name}: stored {register_part}, {notice_part}."
    change = None
    if before is not None and before[1] != notice.version:
        change = recorded_change(uow, organisation, before[1], notice.version)
    if change is not None:
        line += (
            f"\n{len(change.significant)} significant changes (NTC-03): subjects must be told "
            "(the console's notice page, or `dataward notice notify`)."
        )
    return line


def _newest_versions(uow: UnitOfWork, organisation: str) -> tuple[int, int] | None:
    """(register version, notice version) stored for the organisation, or None."""
    from dataward.errors import RegisterNotFound
    from dataward.publication.errors import NoticeVersionNotFound
    from dataward.publication.notices import list_notice_versions
    from dataward.publication.registers import current_version

    try:
        register_version = current_version(uow, organisation).version
        notice_version = list_notice_versions(uow, organisation)[0].version
    except (RegisterNotFound, NoticeVersionNotFound):
        return None
    return register_version, notice_version


@app.command("schema")
def schema(
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to a file.")] = None,
) -> None:
    """Print the JSON Schema of the register format (for editors and CI)."""
    text = json.dumps(Register.model_json_schema(), indent=2)
    if output:
        output.write_text(text + "\n", encoding="utf-8")
    else:
        typer.echo(text)


@app.command("lint-rules")
def lint_rules() -> None:
    """List every lint rule with its ID, severity and the RULES ID it enforces."""
    table = Table("ID", "Severity", "Rule", "RULES")
    for r in all_rules():
        table.add_row(r.id, r.severity, r.title, r.rules_ref)
    out.print(table)


@app.command("coverage")
def coverage(
    register: Annotated[Path, typer.Argument(help="Register YAML file.")],
    facts: Annotated[Path, typer.Argument(help="Fact sheet YAML of the reference notice.")],
    show_problems: Annotated[
        bool, typer.Option("--problems/--no-problems", help="List every problem.")
    ] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the figures as JSON.")] = False,
) -> None:
    """How many facts of a reference notice the register expresses: expressed, shown, run.

    A fact counts as covered only through an accepted claim: an element of a kind that can
    carry the fact's section (docs/coverage.md), a machine-readable rule for a rule fact.
    Claims of the wrong kind are listed as rejected and never count. When a runs file
    (runs-NNN-x.yaml beside facts-NNN-x.yaml) exists, it says which rule facts a test runs
    in an engine and which wait, and for what. Exit 0 when every fact is covered and every
    notice fact shown and the runs file has no problem (rejected claims are listed but
    change nothing), 1 otherwise, 2 on a file that cannot be read.
    """
    from dataward.notice.render import render_html

    loaded = load_register(register)
    sheet = load_fact_sheet(facts)
    report = measure_coverage(loaded.register, sheet, render_html(loaded.register))
    runs_path = runs_file_for(facts)
    runs = load_runs(runs_path, sheet) if runs_path and runs_path.is_file() else None
    complete = report.complete and (runs is None or not runs.problems)
    if as_json:
        typer.echo(json.dumps(_coverage_json(report, runs, runs_path, complete), indent=2))
        raise typer.Exit(0 if complete else 1)
    table = Table("Section", "Covered", "Facts")
    for section, (done, total) in report.by_section().items():
        table.add_row(section, str(done), str(total))
    table.add_row("total", str(report.covered), str(report.total), style="bold")
    out.print(table)
    if show_problems:
        _print_list("Rejected claims (they count for nothing)", [str(c) for c in report.rejected])
        why = report.why_not_covered
        _print_list("Facts not covered", [f"{ref}: {text}" for ref, text in why.items()])
        _print_list("Covered but not shown in the rendered notice", report.not_shown)
        _print_list("Runs file problems", runs.problems if runs else [])
    _print_figures(report, runs, runs_path)
    from dataward.cli.words import plural

    out.print(
        f"{report.covered}/{report.total} facts covered; "
        f"{plural(len(report.rejected), 'rejected claim')}; "
        f"{plural(len(report.problems), 'problem')}",
        markup=False,
    )
    raise typer.Exit(0 if complete else 1)


def _print_list(title: str, lines: list[str]) -> None:
    if not lines:
        return
    out.print(f"{title} ({len(lines)}):", markup=False)
    for line in lines:
        out.print(f"  {line}", markup=False)


def _print_figures(report: CoverageReport, runs: RunsReport | None, path: Path | None) -> None:
    shown = report.shown if report.shown is not None else 0
    line = (
        f"expressed {report.covered}/{report.total} facts; "
        f"shown {shown}/{len(report.notice_facts)} notice facts; "
    )
    rules = len(report.rule_facts)
    if runs is None:
        where = f"no {path.name} beside the fact sheet" if path else "no runs file"
        out.print(line + f"run: not measured ({where})", markup=False)
        return
    out.print(line + f"run {runs.run}/{rules} rule facts ({Path(runs.file).name})", markup=False)
    waiting = runs.waiting()
    if waiting:
        out.print(f"{len(runs.waits)} rule facts wait for an engine:", markup=False)
        for capability, refs in waiting.items():
            out.print(f"  {len(refs):>3}  {capability}: {', '.join(refs)}", markup=False)


def _coverage_json(
    report: CoverageReport, runs: RunsReport | None, runs_path: Path | None, complete: bool
) -> dict[str, object]:
    run: dict[str, object] | None = None
    if runs is not None:
        run = {
            "file": runs.file,
            "run": runs.run,
            "rule_facts": len(report.rule_facts),
            "tests": runs.runs,
            "waits": runs.waiting(),
            "problems": runs.problems,
        }
    return {
        "complete": complete,
        "expressed": {"covered": report.covered, "total": report.total},
        "shown": {"shown": report.shown, "notice_facts": len(report.notice_facts)},
        "run": run,
        "runs_file": str(runs_path) if runs_path else None,
        "by_section": {s: {"covered": d, "total": t} for s, (d, t) in report.by_section().items()},
        "rejected_claims": [
            {"element": c.where, "kind": c.kind, "fact": c.ref, "reason": c.rejection}
            for c in report.rejected
        ],
        "not_covered": report.why_not_covered,
        "not_shown": report.not_shown,
        "problems": report.problems,
    }
