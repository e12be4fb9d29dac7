"""What a notice asks of a request (issue 13): "must be in writing", "mark it as X", on the
whole rights section or one right; rendered only when stated, linted, bad input pointed at.
A rights section with no response time or fee stated promises neither (silence, already).
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
from dataward.register.lint import lint
from dataward.register.loader import parse_register
from dataward.register.models import Register

FILE = "register.yaml"
HEAD = "dataward: 1\norganisation: acme\ncontroller:\n  name: Acme\n  legal_name: Acme Ltd\n"


def with_rights(**fields: Any) -> Register:
    data = copy.deepcopy(BASE)
    data["rights"].update(fields)
    return Register.model_validate(data)


def text_of(reg: Register) -> str:
    soup = BeautifulSoup(render_html(reg), "html.parser")
    return re.sub(r"\s+", " ", soup.get_text(" "))


# RULES: SAR-10
def test_it_renders_what_the_notice_asks_of_every_request() -> None:
    reg = with_rights(how_to_conditions={"in_writing": True, "mark_as": "Subject access request"})
    text = text_of(reg)
    assert "Your request must be in writing Yes" in text
    assert "Please mark it Subject access request" in text
    assert [f.path for f in lint(reg) if f.rule_id == "DW053"] == [
        ("rights", "how_to_conditions", "in_writing")
    ]


# RULES: SAR-10
def test_it_renders_what_the_notice_asks_of_one_right() -> None:
    data = copy.deepcopy(BASE)
    access = next(i for i in data["rights"]["items"] if i["right"] == "access")
    access["how_to_conditions"] = {"mark_as": "SAR"}
    reg = Register.model_validate(data)
    soup = BeautifulSoup(render_html(reg), "html.parser")
    cards = [c for c in soup.select(".el-right") if "Right of access" in c.get_text()]
    assert len(cards) == 1
    assert "Please mark it" in cards[0].get_text()
    assert "Please mark it" not in text_of(with_rights())  # silence asks nothing


# RULES: SAR-10, SAR-01
def test_it_asks_nothing_of_a_request_and_promises_no_time_or_fee_where_silent() -> None:
    reg = Register.model_validate(
        {
            **copy.deepcopy(BASE),
            "rights": {"how_to_exercise": [BASE["rights"]["how_to_exercise"][0]]},
        }
    )
    text = text_of(reg).lower()
    for words in ("in writing", "mark it", "one month", "free", "fee"):
        assert words not in text, words


@pytest.mark.parametrize(
    ("section", "path", "words"),
    [
        (
            "  how_to_conditions: {in_writing: always}\n",
            "rights.how_to_conditions.in_writing",
            "valid boolean",
        ),
        ("  how_to_conditions: in writing\n", "rights.how_to_conditions", "valid dictionary"),
        ("  how_to_conditions: {marked: SAR}\n", "rights.how_to_conditions.marked", "unknown key"),
        (
            "  items:\n    - {right: access, how_to_conditions: {mark_as: [SAR]}}\n",
            "rights.items[0].how_to_conditions.mark_as",
            "valid string",
        ),
    ],
)
def test_it_points_at_a_bad_request_condition(section: str, path: str, words: str) -> None:
    text = HEAD + "rights:\n" + section
    with pytest.raises(RegisterInvalid) as caught:
        parse_register(text, FILE)
    [problem] = caught.value.problems
    assert (problem.file, problem.path) == (FILE, path)
    assert problem.line == len(text.splitlines())
    assert words in problem.message, problem.message
