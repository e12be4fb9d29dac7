"""A hold on more than one entity (issue 13): a list loads, the old single id still loads as a
list of one, every entity is checked and rendered, and a bad value points at its line.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from bs4 import BeautifulSoup
from lint_fixtures import BASE

from dataward.errors import RegisterInvalid
from dataward.notice.render import render_html
from dataward.register.loader import parse_register
from dataward.register.models import Register
from dataward.register.references import check_references

FILE = "register.yaml"
HEAD = "dataward: 1\norganisation: acme\ncontroller:\n  name: Acme\n  legal_name: Acme Ltd\n"
CASES = {"id": "cases", "name": "Cases", "entity": "case", "subject_groups": ["tenants"]}


def with_hold(on: Any) -> Register:
    data = copy.deepcopy(BASE)
    data["datasets"].append(CASES)
    data["holds"] = [{"id": "complaint", "name": "Open complaint", "reason": "complaint", "on": on}]
    data["retention_rules"][0]["holds"] = ["complaint"]
    return Register.model_validate(data)


# RULES: RET-02
def test_it_loads_a_hold_on_several_entities_and_renders_each() -> None:
    reg = with_hold(["tenancy", "case"])
    assert reg.holds[0].on == ["tenancy", "case"]
    soup = BeautifulSoup(render_html(reg), "html.parser")
    text = re.sub(r"\s+", " ", soup.get_text(" "))
    assert "applies to each tenancy and case" in text


# RULES: RET-02
def test_it_still_loads_a_hold_on_one_entity_written_as_an_id() -> None:
    text = HEAD + (
        "datasets:\n  - {id: cases, name: Cases, entity: case}\n"
        "holds:\n  - {id: complaint, name: Complaint, on: case}\n"
    )
    assert parse_register(text, FILE).register.holds[0].on == ["case"]


# RULES: RET-02
def test_it_names_each_entity_no_dataset_holds() -> None:
    problems = list(check_references(with_hold(["tenancy", "vehicle"])))
    assert [(path, message) for path, message in problems] == [
        (("holds", 0, "on", 1), "unknown entity 'vehicle' (no dataset holds it)")
    ]


@pytest.mark.parametrize(
    ("value", "path", "words"),
    [
        ("[]", "holds[0].on", "at least 1"),
        ("[case, Case]", "holds[0].on[1]", "should match pattern"),
        ("{entity: case}", "holds[0].on", "valid list"),
    ],
)
def test_it_points_at_a_bad_hold_entity(value: str, path: str, words: str) -> None:
    text = HEAD + f"holds:\n  - id: complaint\n    name: Complaint\n    on: {value}\n"
    with pytest.raises(RegisterInvalid) as caught:
        parse_register(text, FILE)
    [problem] = caught.value.problems
    assert (problem.file, problem.line, problem.path) == (FILE, 9, path)
    assert words in problem.message, problem.message
