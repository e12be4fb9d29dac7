"""Each example's lint findings are pinned: real notices have gaps, and these are theirs.

A change to a register or to a lint rule that moves these numbers must be looked at and the
pin updated on purpose.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dataward.cli.app import app
from dataward.register.lint import lint
from dataward.register.loader import load_register

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

PINNED = {
    "jtr-collections.yaml": {
        # 18 legitimate-interests purposes, no assessment referenced (LAW-02).
        "DW003": 18,
        "DW016": 1,
        # The notice states no response time, and the register no longer invents one.
        "DW021": 1,
        "DW027": 2,
        "DW028": 8,
        "DW029": 2,
        "DW031": 1,
        "DW035": 1,
        "DW900": 23,
    },
    "johnnie-johnson-housing.yaml": {
        # 21 purposes whose basis the notice does not tie (LAW-01).
        "DW001": 21,
        "DW002": 1,
        "DW003": 5,
        "DW006": 2,
        "DW014": 1,  # the photographs rule now has its trigger (image_taken)
        "DW016": 1,
        "DW018": 3,
        "DW021": 1,
        "DW023": 1,
        "DW024": 4,
        "DW025": 3,
        "DW027": 1,
        "DW029": 1,
        "DW031": 1,
        "DW034": 1,
        "DW035": 1,
        # With the web analytics service's location a stated gap rather than a place name.
        "DW900": 38,
    },
    "r3-repairs.yaml": {
        # Financial Data declared not collected yet used (the notice contradicts itself).
        "DW001": 2,
        "DW002": 3,
        "DW003": 5,
        "DW017": 2,
        "DW018": 3,
        "DW021": 1,
        "DW023": 1,
        "DW024": 1,
        "DW026": 2,
        "DW027": 1,
        "DW028": 5,
        "DW029": 3,
        "DW900": 14,
    },
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_it_pins_the_findings_of_each_example(name: str) -> None:
    findings = lint(load_register(EXAMPLES / name).register)
    assert dict(Counter(f.rule_id for f in findings)) == PINNED[name]


@pytest.mark.parametrize("name", sorted(PINNED))
def test_each_example_is_valid_with_lint_errors(name: str) -> None:
    result = CliRunner().invoke(app, ["register", "check", str(EXAMPLES / name)])
    assert result.exit_code == 1, result.output
    assert f"{EXAMPLES / name}: valid;" in result.output
    first = result.output.splitlines()[0]
    # Every finding points at FILE:LINE:COL.
    assert first.startswith(f"{EXAMPLES / name}:")
    assert first.split(":")[1].isdigit()


def test_the_readme_shows_the_coverage_measured() -> None:
    from dataward.notice.render import render_html
    from dataward.register.coverage import load_fact_sheet, measure_coverage
    from dataward.register.runs import load_runs, runs_file_for

    readme = (EXAMPLES.parent / "README.md").read_text(encoding="utf-8")
    for register, facts in [
        ("jtr-collections", "facts-000-jtr"),
        ("johnnie-johnson-housing", "facts-001-jjh"),
        ("r3-repairs", "facts-004-r3"),
    ]:
        loaded = load_register(EXAMPLES / f"{register}.yaml").register
        report = measure_coverage(
            loaded, load_fact_sheet(EXAMPLES / "notices" / f"{facts}.yaml"), render_html(loaded)
        )
        assert report.ok, report.problems[:5]
        row = f"| `examples/{register}.yaml` |"
        line = next(line for line in readme.splitlines() if line.startswith(row))
        cells = [c.strip() for c in line.split("|")]
        assert cells[3:5] == [str(report.total), str(report.covered)]
        sheet = EXAMPLES / "notices" / f"{facts}.yaml"
        runs_file = runs_file_for(sheet)
        assert runs_file is not None
        runs = load_runs(runs_file, load_fact_sheet(sheet))
        assert runs.problems == []
        assert cells[6] == f"{runs.run} of {len(runs.rule_facts)}"
