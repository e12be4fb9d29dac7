"""``dataward retention plan`` from a terminal: a SQLite site of its own, the JTR register
and the demo agency's schema with explicit dates (``tests/retention/retention_site.py``, as
``retention run``'s tests), planned as of
25 November 2026 through ``--as-of`` (a fixed clock). Bad input: one line, exit code 2."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "retention"))
from retention_site import ORG, terminal_site

from dataward.cli.app import app

runner = CliRunner()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for _ in terminal_site(tmp_path, monkeypatch):
        yield tmp_path


# RULES: RET-01, RET-02
def test_it_prints_the_plan_per_rule_and_dataset(site: Path) -> None:
    result = runner.invoke(app, ["retention", "plan", "--as-of", "2026-11-25"])
    assert result.exit_code == 0, result.output
    assert f"Retention plan for {ORG} as of 2026-11-25" in result.output
    assert (
        "body_worn_video [demo_operational.body_worn_video]: due 4, held 2 "
        "(complaint_on_case 1, investigation_on_case 1), to act on 2" in result.output
    )
    assert "next due: 2026-11-26 1" in result.output
    assert "vulnerability_evidence (delete): needs decision" in result.output


def test_it_prints_the_plan_as_json_for_a_runner(site: Path) -> None:
    result = runner.invoke(
        app, ["retention", "plan", "--org", ORG, "--as-of", "2026-11-25", "--json"]
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    rule = next(r for r in plan["rules"] if r["rule"] == "call_recordings")
    assert rule["cutoff"] == "2026-10-26"
    binding = rule["datasets"][0]["bindings"][0]
    assert (binding["due"], binding["held_any"], binding["to_act_on"]) == (2, 1, 1)
    assert "recorded_at" in binding["due_sql"]


def test_it_moves_the_cutoff_with_as_of(site: Path) -> None:
    result = runner.invoke(app, ["retention", "plan", "--as-of", "2026-11-26", "--json"])
    rule = next(r for r in json.loads(result.output)["rules"] if r["rule"] == "body_worn_video")
    assert rule["cutoff"] == "2026-08-28"
    assert rule["datasets"][0]["bindings"][0]["due"] == 5


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2026-13-01"], "--as-of must be a date like 2026-12-05"),
        (["--org", "nobody"], "no register stored for organisation 'nobody'"),
    ],
)
def test_it_refuses_bad_input_in_one_line(site: Path, args: list[str], message: str) -> None:
    result = runner.invoke(app, ["retention", "plan", *args])
    assert result.exit_code == 2
    assert "[retention_invalid]" in result.output
    assert message in result.output
    assert "Traceback" not in result.output
