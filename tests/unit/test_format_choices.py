"""Where cookie and marketing choices are made, and what withdrawing consent stops (issue 13):
each loads, renders only when stated, and a bad value points at its line.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from lint_fixtures import BASE

from dataward.errors import RegisterInvalid
from dataward.notice.render import render_html
from dataward.register.loader import load_register, parse_register
from dataward.register.models import Register

FILE = "register.yaml"
HEAD = "dataward: 1\norganisation: acme\ncontroller:\n  name: Acme\n  legal_name: Acme Ltd\n"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
SETTINGS = {"where": "settings_page", "url": "https://acme.example/settings"}


def text_of(reg: Register) -> str:
    soup = BeautifulSoup(render_html(reg), "html.parser")
    return re.sub(r"\s+", " ", soup.get_text(" "))


def build(**sections: Any) -> Register:
    data = copy.deepcopy(BASE)
    data.update(sections)
    return Register.model_validate(data)


# RULES: MKT-01, OBJ-02
def test_it_names_where_marketing_choices_are_made() -> None:
    marketing = {
        "carried_out": True,
        "choices_made_at": [SETTINGS, {"where": "link_in_every_message"}],
    }
    text = text_of(build(marketing=marketing))
    assert "Where you make your choices" in text
    assert "Our settings page (https://acme.example/settings)" in text
    assert "A link in every message we send" in text
    assert "Where you make your choices" not in text_of(build())


# RULES: MKT-05
def test_it_names_where_cookie_choices_are_made() -> None:
    cookies = {"used": True, "choices_made_at": [{"where": "cookie_banner"}]}
    assert "The cookie banner on our website" in text_of(build(cookies=cookies))


# RULES: LAW-05
def test_it_says_what_withdrawing_consent_stops_and_what_it_does_not() -> None:
    data = copy.deepcopy(BASE)
    item = next(i for i in data["rights"]["items"] if i["right"] == "withdraw_consent")
    item["withdrawal"] = {
        "stops": ["Our use of what you gave on the portal"],
        "does_not_stop": ["Our use of what your landlord tells us"],
        "earlier_processing_unaffected": True,
    }
    text = text_of(Register.model_validate(data))
    assert "It stops Our use of what you gave on the portal" in text
    assert "It does not stop Our use of what your landlord tells us" in text
    assert "What we did before you withdrew stays lawful Yes" in text
    assert "It stops" not in text_of(build())


# RULES: LAW-05
def test_the_examples_say_what_withdrawal_stops_as_their_notices_do() -> None:
    jtr = load_register(EXAMPLES / "jtr-collections.yaml").register
    r3 = load_register(EXAMPLES / "r3-repairs.yaml").register
    [jtr_item] = [i for i in jtr.rights.items if i.withdrawal is not None]
    assert jtr_item.withdrawal is not None
    assert "Customer Portal" in jtr_item.withdrawal.stops[0]
    assert "other sources" in jtr_item.withdrawal.does_not_stop[0]
    [r3_item] = [i for i in r3.rights.items if i.withdrawal is not None]
    assert r3_item.withdrawal is not None
    assert r3_item.withdrawal.earlier_processing_unaffected is True
    assert "What follows We may not be able to provide" in text_of(r3)


@pytest.mark.parametrize(
    ("section", "path", "words"),
    [
        (
            "marketing:\n  choices_made_at:\n    - {where: newsletter}\n",
            "marketing.choices_made_at[0].where",
            "'settings_page'",
        ),
        ("cookies:\n  choices_made_at: settings_page\n", "cookies.choices_made_at", "valid list"),
        (
            "purposes:\n  - {id: p, name: P, subject_groups: [g], withdrawal: {stops: x}}\n",
            "purposes[0].withdrawal.stops",
            "valid list",
        ),
        (
            "rights:\n  items:\n    - {right: access, withdrawal: {stops: [x]}}\n",
            "rights.items[0]",
            "withdraw_consent only",
        ),
    ],
)
def test_it_points_at_a_bad_choice_place_or_withdrawal(section: str, path: str, words: str) -> None:
    text = HEAD + section
    with pytest.raises(RegisterInvalid) as caught:
        parse_register(text, FILE)
    problem = next(p for p in caught.value.problems if p.path == path)
    assert (problem.file, problem.line) == (FILE, len(text.splitlines()))
    assert words in problem.message, problem.message
