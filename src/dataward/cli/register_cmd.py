"""``dataward register``: check, lint, measure coverage and print the JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from dataward.errors import RegisterInvalid
from dataward.register.coverage import load_fact_sheet, measure_coverage
from dataward.register.lint import all_rules, lint
from dataward.register.loader import load_register
from dataward.register.models import Register

app = typer.Typer(
    help="Check registers, list lint rules, measure fact coverage.", no_args_is_help=True
)
out = Console(highlight=False, soft_wrap=True)

Files = Annotated[list[Path], typer.Argument(help="Register YAML files.", show_default=False)]


@app.command("check")
def check(files: Files) -> None:
    """Load and lint registers.

    Exit 0: valid, no lint errors. 1: valid, with lint errors. 2: invalid (every problem is
    printed as FILE:LINE:COL: field.path: message).
    """
    worst = 0
    for file in files:
        try:
            loaded = load_register(file)
        except RegisterInvalid as error:
            for problem in error.problems:
                out.print(str(problem), markup=False)
            worst = 2
            continue
        findings = lint(loaded.register)
        for f in findings:
            line, col = loaded.line_of(f.path)
            out.print(
                f"{file}:{line}:{col}: {f.rule_id} {f.severity}: {f.message} [{f.rules_ref}]",
                markup=False,
            )
        errors = sum(1 for f in findings if f.severity == "error")
        summary = f"{file}: valid; {errors} lint errors, {len(findings) - errors} other findings"
        out.print(summary, markup=False)
        if errors:
            worst = max(worst, 1)
    raise typer.Exit(worst)


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
    show_problems: Annotated[bool, typer.Option("--problems/--no-problems")] = True,
) -> None:
    """How many facts of a reference notice the register expresses, per section.

    Exit 0 when every fact is covered and shown, 1 otherwise.
    """
    from dataward.notice.render import render_html

    loaded = load_register(register)
    report = measure_coverage(loaded.register, load_fact_sheet(facts), render_html(loaded.register))
    table = Table("Section", "Covered", "Facts")
    for section, (done, total) in report.by_section().items():
        table.add_row(section, str(done), str(total))
    table.add_row("total", str(report.covered), str(report.total), style="bold")
    out.print(table)
    if show_problems:
        for problem in report.problems:
            out.print(problem, markup=False)
    out.print(
        f"{report.covered}/{report.total} facts covered; {len(report.problems)} problems",
        markup=False,
    )
    raise typer.Exit(0 if report.ok else 1)
