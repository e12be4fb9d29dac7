"""``dataward retention run`` from a terminal (RULES: RET-01, RET-03): a SQLite site of its
own, the JTR register and the demo agency's schema with explicit dates, run as of
25 November 2026 through ``--as-of``. Bad input: one line, exit code 2."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from retention_site import ORG, Site, ids, terminal_site
from typer.testing import CliRunner

from dataward.cli.app import app

runner = CliRunner()


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    yield from terminal_site(tmp_path, monkeypatch)


# RULES: RET-01, RET-03
def test_it_runs_and_prints_what_each_rule_did(site: Site) -> None:
    result = runner.invoke(app, ["retention", "run", "--as-of", "2026-11-25"])
    assert result.exit_code == 0, result.output
    assert f"Retention run for {ORG} as of 2026-11-25" in result.output
    assert (
        "body_worn_video / body_worn_video [demo_operational.body_worn_video]: deleted 2 row(s); "
        "held complaint_on_case 1, investigation_on_case 1" in result.output
    )
    assert "vulnerability_evidence: needs decision" in result.output
    # The rule says delete; the sources file sets the debtor's columns: it says what it did.
    assert "customer_data / customers [demo_operational.debtors]: anonymised 1 row(s)" in (
        result.output
    )
    assert "own:cookie_consents / cookie_consents [dataward.cookie_consents]: swept 0 row(s)" in (
        result.output
    )
    assert ids(site, "body_worn_video") == {2, 3, 4}
    again = runner.invoke(app, ["retention", "run", "--as-of", "2026-11-25", "--json"])
    assert again.exit_code == 0, again.output
    document = json.loads(again.output)
    assert document["already_ran"] is True
    bwv = next(e for e in document["evidence"] if e["rule"] == "body_worn_video")
    assert (bwv["status"], bwv["rows"]) == ("done", 2)


def test_it_refuses_a_day_that_is_not_a_date(site: Site) -> None:
    result = runner.invoke(app, ["retention", "run", "--as-of", "25/11/2026"])
    assert result.exit_code == 2
    assert result.output.startswith("error [retention_invalid]:")
    assert ids(site, "body_worn_video") == {1, 2, 3, 4, 5}


# RULES: RET-01 (a clock moved backwards deletes nothing early)
def test_it_refuses_a_day_before_the_last_run(site: Site) -> None:
    assert runner.invoke(app, ["retention", "run", "--as-of", "2026-11-25"]).exit_code == 0
    result = runner.invoke(app, ["retention", "run", "--as-of", "2026-11-20"])
    assert result.exit_code == 2
    assert result.output.startswith("error [retention_clock_behind]:")
    assert len(result.output.strip().splitlines()) == 1
