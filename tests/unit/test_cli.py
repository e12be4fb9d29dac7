"""The ``dataward`` command: output, exit codes, and errors translated without tracebacks.

Commands run in-process through Typer's runner; error translation lives in ``main()``, so
those tests run the installed console script in a subprocess.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from dataward.cli.app import app
from dataward.register import lint

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "loader"
DATAWARD = Path(sys.executable).parent / "dataward"

runner = CliRunner()


@pytest.fixture
def only_dw001(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the linter with DW001 alone, so exit codes do not move as rules are added."""
    dw001 = next(r for r in lint.all_rules() if r.id == "DW001")
    monkeypatch.setattr(lint, "LINT_RULES", {"DW001": dw001})


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(DATAWARD), *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_it_prints_the_deadline_with_the_nations_bank_holidays() -> None:
    result = runner.invoke(app, ["deadline", "2026-12-01", "--nation", "SCT"])

    assert result.exit_code == 0, result.output
    assert result.stdout == "2027-01-05\n"


def test_it_prints_the_three_month_deadline_when_extended() -> None:
    result = runner.invoke(app, ["deadline", "2025-11-30", "--extended"])

    assert result.exit_code == 0, result.output
    assert result.stdout == "2026-03-02\n"


def test_it_rejects_a_bad_date_with_a_clear_message() -> None:
    result = run_script("deadline", "2026-13-01")

    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "error [calendar_invalid]: not a date: '2026-13-01' (use YYYY-MM-DD)\n"
    )


def test_it_rejects_a_bad_nation_with_a_clear_message() -> None:
    result = run_script("deadline", "2026-12-01", "--nation", "XYZ")

    assert result.returncode == 2
    assert result.stdout == ""
    assert "error [calendar_invalid]: unknown nation 'XYZ'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.usefixtures("only_dw001")
def test_it_checks_a_valid_register_with_exit_code_0() -> None:
    path = FIXTURES / "minimal.yaml"

    result = runner.invoke(app, ["register", "check", str(path)])

    assert result.exit_code == 0, result.output
    assert result.stdout == f"{path}: valid; 0 lint errors, 0 other findings\n"


@pytest.mark.usefixtures("only_dw001")
def test_it_exits_1_when_a_valid_register_has_lint_errors() -> None:
    path = FIXTURES / "lint_error.yaml"

    result = runner.invoke(app, ["register", "check", str(path)])

    assert result.exit_code == 1, result.output
    finding, summary = result.stdout.splitlines()
    assert finding.startswith(f"{path}:23:5: DW001 error: purpose 'sales' has no Art 6 basis")
    assert finding.endswith(" [LAW-01]")
    assert summary == f"{path}: valid; 1 lint error, 0 other findings"  # issue 15, item 7


def test_it_exits_2_and_prints_every_problem_of_an_invalid_register() -> None:
    path = FIXTURES / "several_problems.yaml"

    result = runner.invoke(app, ["register", "check", str(path)])

    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    assert [line.split(": ")[0:2] for line in lines] == [
        [f"{path}:27:14", "purposes[0].bases[0].basis"],
        [f"{path}:28:5", "purposes[0].unknown_key"],
        [f"{path}:47:5", "retention_rules[0].offset"],
        [f"{path}:49:5", "retention_rules[0].trigger2"],
    ]


@pytest.mark.usefixtures("only_dw001")
def test_it_reports_the_worst_exit_code_over_several_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    files = [FIXTURES / "minimal.yaml", FIXTURES / "lint_error.yaml", missing]

    result = runner.invoke(app, ["register", "check", *map(str, files)])

    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    assert f"{files[0]}: valid; 0 lint errors, 0 other findings" in lines
    assert f"{files[1]}: valid; 1 lint error, 0 other findings" in lines
    assert f"{missing}:1:1: (document): cannot read file: No such file or directory" in lines


def test_it_prints_register_check_problems_without_a_traceback(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("dataward: [1\n", encoding="utf-8")

    result = run_script("register", "check", str(path))

    assert result.returncode == 2
    assert result.stdout.startswith(f"{path}:2:1: (document): YAML syntax:")
    assert "Traceback" not in result.stdout + result.stderr


def test_it_prints_the_register_json_schema() -> None:
    result = runner.invoke(app, ["register", "schema"])

    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema["title"] == "Register"
    # Only what a register cannot mean anything without is required: silence is a value.
    assert sorted(schema["required"]) == ["controller", "dataward", "organisation"]
    assert schema["additionalProperties"] is False


def test_it_writes_the_schema_to_a_file(tmp_path: Path) -> None:
    output = tmp_path / "register.schema.json"

    result = runner.invoke(app, ["register", "schema", "-o", str(output)])

    assert result.exit_code == 0, result.output
    assert json.loads(output.read_text(encoding="utf-8"))["title"] == "Register"


def test_it_lists_the_lint_rules() -> None:
    result = runner.invoke(app, ["register", "lint-rules"])

    assert result.exit_code == 0, result.output
    assert "DW001" in result.stdout
    assert "LAW-01" in result.stdout


def test_it_creates_the_register_versions_table(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dataward.db'}"

    result = runner.invoke(app, ["db", "upgrade", "--url", url])

    assert result.exit_code == 0, result.output
    assert result.stdout == "database is up to date\n"
    engine = create_engine(url)
    try:
        columns = {c["name"] for c in inspect(engine).get_columns("register_versions")}
    finally:
        engine.dispose()
    assert {"organisation", "version", "content_hash", "source_text", "loaded_at"} <= columns


@pytest.mark.parametrize("args", [["--help"], ["register", "--help"], ["db", "--help"]])
def test_it_shows_help(args: list[str]) -> None:
    result = runner.invoke(app, args)

    assert result.exit_code == 0, result.output
    assert "Usage" in result.stdout


def test_it_exits_1_for_a_lint_error_with_every_rule_enabled() -> None:
    path = FIXTURES / "lint_error.yaml"

    result = runner.invoke(app, ["register", "check", str(path)])

    assert result.exit_code == 1, result.output
    prefix = f"{path}:23:5: DW001 error: purpose 'sales' has no Art 6 basis"
    assert any(line.startswith(prefix) for line in result.stdout.splitlines())
