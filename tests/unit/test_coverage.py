"""Fact coverage that cannot be fooled, and the runs files that say which rule facts run.

The registers are the loader's minimal register with fact claims added where a test needs
them, so they follow the register format wherever it goes; the fact sheet and the runs
files are small fixtures under tests/fixtures/coverage/.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from dataward.cli.app import app
from dataward.errors import RegisterInvalid
from dataward.notice.render import render_html
from dataward.register.coverage import (
    CoverageReport,
    load_fact_sheet,
    measure_coverage,
)
from dataward.register.loader import parse_register
from dataward.register.models import Register
from dataward.register.runs import load_runs, runs_file_for

Claims = dict[tuple[str | int, ...], list[str]]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
COVERAGE = FIXTURES / "coverage"
SHEET = COVERAGE / "facts-tiny.yaml"

# Every fact of facts-tiny.yaml, each claimed by an element that can carry it.
GOOD_CLAIMS: Claims = {
    ("controller",): ["controller.c1"],
    ("purposes", 0): ["purposes.p1"],
    ("retention_rules", 0): ["retention.r1"],
    ("rights", "items", 0): ["rights.ri1"],
    ("notice",): ["other.o1"],
}

runner = CliRunner()


def register_text(claims: Claims) -> str:
    """The minimal register of the loader tests, with ``facts`` set on the given elements."""
    data: Any = yaml.safe_load((FIXTURES / "loader" / "minimal.yaml").read_text("utf-8"))
    for path, refs in claims.items():
        node = data
        for part in path:
            node = node[part]
        node["facts"] = refs
    return yaml.safe_dump(data, sort_keys=False)


def register(claims: Claims) -> Register:
    return parse_register(register_text(claims), "acme.yaml").register


def measure(claims: Claims) -> CoverageReport:
    return measure_coverage(register(claims), load_fact_sheet(SHEET))


def coverage_cli(tmp_path: Path, claims: Claims, *extra: str) -> Any:
    file = tmp_path / "acme.yaml"
    file.write_text(register_text(claims), encoding="utf-8")
    return runner.invoke(app, ["register", "coverage", str(file), str(SHEET), *extra])


# --- claims and coverage ----------------------------------------------------------------


def test_it_covers_every_fact_when_every_claim_is_of_the_right_kind() -> None:
    report = measure(GOOD_CLAIMS)

    assert (report.covered, report.total) == (5, 5)
    assert report.rejected == []
    assert report.problems == []
    assert report.ok


def test_it_does_not_cover_a_fact_whose_only_claim_is_of_the_wrong_kind() -> None:
    # A data category cannot carry a purposes fact: the claim is rejected and counts for
    # nothing, however the element is named.
    claims = {**GOOD_CLAIMS, ("purposes", 0): [], ("data_categories", 0): ["purposes.p1"]}

    report = measure(claims)

    assert (report.covered, report.total) == (4, 5)
    assert [(c.where, c.ref) for c in report.rejected] == [("data_categories.0", "purposes.p1")]
    assert report.why_not_covered == {"purposes.p1": "not covered: its only claims are rejected"}
    assert report.by_section()["purposes"] == (0, 1)
    assert not report.ok


def test_it_covers_a_fact_with_one_accepted_claim_and_still_lists_the_rejected_one() -> None:
    claims = {**GOOD_CLAIMS, ("data_categories", 0): ["purposes.p1"]}

    report = measure(claims)

    assert (report.covered, report.total) == (5, 5)
    assert [str(c) for c in report.rejected] == [
        "data_categories.0: data_category cannot express purposes fact purposes.p1"
    ]
    assert report.problems == [str(report.rejected[0])]
    assert report.complete  # the rejected claim counts for nothing, so it cannot inflate
    assert not report.ok  # but it is a problem to fix


def test_it_does_not_cover_a_rule_fact_carried_only_by_an_element_that_is_no_rule() -> None:
    # other.o1 is a rule fact; a controller may carry "other" facts but runs nothing.
    claims = {**GOOD_CLAIMS, ("notice",): [], ("controller",): ["controller.c1", "other.o1"]}

    report = measure(claims)

    assert report.rejected == []
    assert "other.o1" not in report.covered_refs
    assert report.why_not_covered == {
        "other.o1": "a rule fact needs a machine-readable rule element"
    }


def test_it_rejects_a_claim_on_a_fact_the_sheet_does_not_have() -> None:
    claims = {**GOOD_CLAIMS, ("subject_groups", 0): ["subject_groups.sg9"]}

    report = measure(claims)

    assert report.covered == report.total
    assert [str(c) for c in report.rejected] == [
        "subject_groups.0: fact subject_groups.sg9 is not in the fact sheet"
    ]


def test_it_counts_notice_facts_shown_in_the_rendered_notice() -> None:
    reg = register(GOOD_CLAIMS)
    html = render_html(reg)
    report = measure_coverage(reg, load_fact_sheet(SHEET), html)

    assert report.shown == 2
    assert len(report.notice_facts) == 2
    hidden = measure_coverage(reg, load_fact_sheet(SHEET), html.replace("purposes.p1", ""))
    assert hidden.shown == 1
    assert hidden.not_shown == ["purposes.p1"]


def test_it_names_file_and_line_of_a_malformed_fact(tmp_path: Path) -> None:
    sheet = tmp_path / "facts-bad.yaml"
    sheet.write_text(
        "controller:\n  - {id: c1, kind: notice, fact: ok}\n  - {id: c2, kind: promise, fact: x}\n"
        "purposes:\n  - {id: p1, fact: no kind}\n",
        encoding="utf-8",
    )

    with pytest.raises(RegisterInvalid) as raised:
        load_fact_sheet(sheet)

    assert [str(p) for p in raised.value.problems] == [
        f"{sheet}:3:5: controller[1]: kind is notice or rule, got 'promise'",
        f"{sheet}:5:5: purposes[0]: missing kind",
    ]


# --- runs files -------------------------------------------------------------------------


def test_it_finds_the_runs_file_beside_the_fact_sheet() -> None:
    assert runs_file_for(SHEET) == COVERAGE / "runs-tiny.yaml"
    assert runs_file_for(COVERAGE / "acme-facts.yaml") is None


def test_it_counts_a_rule_fact_that_a_test_runs() -> None:
    report = load_runs(COVERAGE / "runs-tiny.yaml", load_fact_sheet(SHEET))

    assert report.problems == []
    assert report.runs == {
        "retention.r1": "tests/unit/test_coverage.py::test_it_counts_a_rule_fact_that_a_test_runs"
    }
    assert report.run == 1
    assert report.waiting() == {"rights requests engine (issue 16)": ["rights.ri1", "other.o1"]}


def test_it_reports_every_mistake_of_a_runs_file_with_its_line() -> None:
    file = COVERAGE / "runs-problems.yaml"

    report = load_runs(file, load_fact_sheet(SHEET))

    assert report.problems == [
        f"{file}:2: retention.r1: tests/unit/test_coverage.py has no test test_that_does_not_exist",
        f"{file}:3: retention.r1: listed twice",
        f"{file}:4: controller.c1: is a notice fact, not a rule fact",
        f"{file}:5: rights.ri9: is not a fact of the fact sheet",
        f"{file}:6: rights.ri1: give either runs or waits, not both",
        f"{file}: rule fact other.o1 is in neither list (runs or waits)",
    ]
    assert report.runs == {}
    assert report.waits == {}


def test_it_reports_entries_with_neither_key_or_no_test_that_exists() -> None:
    file = COVERAGE / "runs-more-problems.yaml"

    report = load_runs(file, load_fact_sheet(SHEET))

    assert report.problems == [
        f"{file}:2: retention.r1: give runs or waits",
        f"{file}:3: rights.ri1: unknown key 'skips' (runs or waits)",
        f"{file}:4: other.o1: the test file tests/unit/test_nowhere.py is not in any folder "
        "above runs-more-problems.yaml",
    ]


def test_it_reports_entries_that_are_no_test_id_or_no_mapping() -> None:
    file = COVERAGE / "runs-no-id.yaml"

    report = load_runs(file, load_fact_sheet(SHEET))

    assert report.problems == [
        f"{file}:1: retention.r1: runs names a test as path/to/test_file.py::test_name, "
        "got 'the retention tests'",
        f'{file}:2: rights.ri1: give {{runs: "tests/...py::test_name"}} or {{waits: "capability"}}',
        f'{file}:3: other.o1: give {{runs: "tests/...py::test_name"}} or {{waits: "capability"}}',
    ]


# --- the command ------------------------------------------------------------------------


def test_the_command_exits_1_when_a_facts_only_claim_is_of_the_wrong_kind(
    tmp_path: Path,
) -> None:
    claims = {**GOOD_CLAIMS, ("purposes", 0): [], ("data_categories", 0): ["purposes.p1"]}

    result = coverage_cli(tmp_path, claims)

    assert result.exit_code == 1, result.output
    assert "Rejected claims (they count for nothing) (1):" in result.output
    assert "data_categories.0: data_category cannot express purposes fact purposes.p1" in (
        result.output
    )
    assert "purposes.p1: not covered: its only claims are rejected" in result.output
    assert result.output.rstrip().endswith(
        "4/5 facts covered; 1 rejected claim; 2 problems"
    )  # issue 15, item 7


def test_the_command_exits_0_and_prints_expressed_shown_run(tmp_path: Path) -> None:
    result = coverage_cli(tmp_path, GOOD_CLAIMS)

    assert result.exit_code == 0, result.output
    assert (
        "expressed 5/5 facts; shown 2/2 notice facts; run 1/3 rule facts (runs-tiny.yaml)"
        in result.output
    )
    assert "2 rule facts wait for an engine:" in result.output
    assert "2  rights requests engine (issue 16): rights.ri1, other.o1" in result.output
    assert result.output.rstrip().endswith("5/5 facts covered; 0 rejected claims; 0 problems")


def test_the_command_exits_0_and_lists_the_rejection_beside_an_accepted_claim(
    tmp_path: Path,
) -> None:
    claims = {**GOOD_CLAIMS, ("data_categories", 0): ["purposes.p1"]}

    result = coverage_cli(tmp_path, claims)

    assert result.exit_code == 0, result.output
    assert "Rejected claims (they count for nothing) (1):" in result.output
    assert "data_categories.0: data_category cannot express purposes fact purposes.p1" in (
        result.output
    )
    assert "Facts not covered" not in result.output
    assert result.output.rstrip().endswith(
        "5/5 facts covered; 1 rejected claim; 1 problem"
    )  # issue 15, item 7


def test_the_command_gives_the_figures_as_json(tmp_path: Path) -> None:
    claims = {**GOOD_CLAIMS, ("purposes", 0): [], ("data_categories", 0): ["purposes.p1"]}

    result = coverage_cli(tmp_path, claims, "--json")

    assert result.exit_code == 1, result.output
    body = json.loads(result.output)
    assert body["expressed"] == {"covered": 4, "total": 5}
    assert body["not_covered"] == {"purposes.p1": "not covered: its only claims are rejected"}
    assert body["shown"] == {"shown": 1, "notice_facts": 2}
    assert body["run"]["run"] == 1
    assert body["run"]["rule_facts"] == 3
    assert body["run"]["waits"] == {"rights requests engine (issue 16)": ["rights.ri1", "other.o1"]}
    assert body["rejected_claims"] == [
        {
            "element": "data_categories.0",
            "kind": "data_category",
            "fact": "purposes.p1",
            "reason": "data_category cannot express purposes fact purposes.p1",
        }
    ]
    assert body["complete"] is False


def test_the_command_says_when_no_runs_file_is_beside_the_sheet(tmp_path: Path) -> None:
    sheet = tmp_path / "facts-copy.yaml"
    sheet.write_text(SHEET.read_text("utf-8"), encoding="utf-8")
    file = tmp_path / "acme.yaml"
    file.write_text(register_text(GOOD_CLAIMS), encoding="utf-8")

    result = runner.invoke(app, ["register", "coverage", str(file), str(sheet)])

    assert result.exit_code == 0, result.output
    assert "run: not measured (no runs-copy.yaml beside the fact sheet)" in result.output


def test_the_command_exits_1_on_a_runs_file_problem(tmp_path: Path) -> None:
    sheet = tmp_path / "facts-tiny.yaml"
    sheet.write_text(SHEET.read_text("utf-8"), encoding="utf-8")
    (tmp_path / "runs-tiny.yaml").write_text("rights.ri1: {waits: rights engine}\n", "utf-8")
    file = tmp_path / "acme.yaml"
    file.write_text(register_text(GOOD_CLAIMS), encoding="utf-8")

    result = runner.invoke(app, ["register", "coverage", str(file), str(sheet)])

    assert result.exit_code == 1, result.output
    assert "Runs file problems (2):" in result.output
    assert f"{tmp_path / 'runs-tiny.yaml'}: rule fact retention.r1 is in neither list" in (
        result.output
    )
