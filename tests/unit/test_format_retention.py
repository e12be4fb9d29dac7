"""Retention as real notices state it (issue 13): "kept with no end date" and "kept while X
lasts" load, render only the register's words, are checked on bad input and linted.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from bs4 import BeautifulSoup
from lint_fixtures import BASE

from dataward.errors import RegisterInvalid
from dataward.notice.diff import diff_registers
from dataward.notice.render import render_html
from dataward.register.lint import lint
from dataward.register.loader import parse_register
from dataward.register.models import Register
from dataward.register.wording import period_words

FILE = "register.yaml"
HEAD = "dataward: 1\norganisation: acme\ncontroller:\n  name: Acme\n  legal_name: Acme Ltd\n"


def with_rule(**fields: Any) -> Register:
    data = copy.deepcopy(BASE)
    rule = {"id": "deeds", "name": "Tenancy records", "covers": {"datasets": ["tenancies"]}}
    data["retention_rules"] = [{**rule, **fields}]
    return Register.model_validate(data)


def retention_row(reg: Register) -> str:
    soup = BeautifulSoup(render_html(reg), "html.parser")
    row = soup.select_one("table.retention tbody tr")
    assert row is not None
    return re.sub(r"\s+", " ", row.get_text(" ")).strip()


# RULES: RET-01
def test_it_renders_data_kept_with_no_end_date() -> None:
    reg = with_rule(action="no_end_date", reason="Title deeds are kept for the life of the home.")
    row = retention_row(reg)
    assert "Kept with no end date" in row
    assert "No end date" in row
    assert "Not stated" not in row  # no trigger or offset is missing: nothing ends it
    assert period_words(reg.retention_rules[0], {}) == "Kept with no end date"


# RULES: RET-01
def test_it_refuses_a_period_beside_no_end_date() -> None:
    text = HEAD + (
        "retention_rules:\n"
        "  - id: deeds\n"
        "    name: Deeds\n"
        "    action: no_end_date\n"
        "    offset: {years: 6}\n"
    )
    with pytest.raises(RegisterInvalid) as caught:
        parse_register(text, FILE)
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.path) == (FILE, 7, "retention_rules[0]")
    assert "leave out offset" in problem.message


# RULES: RET-01
def test_it_renders_a_period_bound_to_a_state() -> None:
    reg = with_rule(
        kept_while={"state": "your tenancy lasts"},
        trigger={"any_of": ["tenancy_ended"]},
        action="delete",
    )
    row = retention_row(reg)
    assert "While your tenancy lasts" in row
    assert "Tenancy ended" in row
    assert "Not stated" not in row  # without an offset the action runs when the state ends
    assert [f.rule_id for f in lint(reg)] == []


# RULES: RET-01
def test_it_renders_an_offset_after_the_state_ends() -> None:
    reg = with_rule(
        kept_while={"state": "you are a member"},
        trigger={"any_of": ["tenancy_ended"]},
        offset={"years": 6},
        action="delete",
    )
    assert "While you are a member, then 6 years after it ends" in retention_row(reg)


# RULES: RET-01
def test_it_still_asks_for_the_offset_of_a_rule_without_a_state() -> None:
    reg = with_rule(trigger={"any_of": ["tenancy_ended"]}, action="delete")
    assert [f.rule_id for f in lint(reg)] == ["DW017"]


@pytest.mark.parametrize(
    ("section", "path", "words"),
    [
        ("    kept_while: your tenancy lasts\n", "kept_while", "valid dictionary"),
        ("    kept_while: {state: 7, lasts: x}\n", "kept_while.lasts", "unknown key"),
        ("    action: keep_forever\n", "action", "'no_end_date'"),
    ],
)
def test_it_points_at_a_bad_retention_form(section: str, path: str, words: str) -> None:
    text = HEAD + "retention_rules:\n  - id: deeds\n    name: Deeds\n" + section
    with pytest.raises(RegisterInvalid) as caught:
        parse_register(text, FILE)
    problem = next(p for p in caught.value.problems if p.path == f"retention_rules[0].{path}")
    assert (problem.file, problem.line) == (FILE, 9)
    assert words in problem.message, problem.message


# RULES: RET-01, NTC-03
def test_it_counts_a_change_to_no_end_date_as_longer_retention() -> None:
    old = with_rule(trigger={"any_of": ["tenancy_ended"]}, offset={"years": 6}, action="delete")
    new = with_rule(action="no_end_date", reason="Kept for the life of the home.")
    reasons = {r for c in diff_registers(old, new).changes for r in c.reasons}
    assert "longer_retention" in reasons
