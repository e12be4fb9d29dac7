"""A cookie's duration with exceptions (issue 13): loads, renders in the notice and the
cookie banner text, needs the duration it is an exception to, and bad input is pointed at.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from bs4 import BeautifulSoup
from lint_fixtures import BASE

from dataward.consent.cookies import banner_for
from dataward.errors import RegisterInvalid
from dataward.notice.render import render_html
from dataward.register.loader import parse_register
from dataward.register.models import Register

FILE = "register.yaml"
HEAD = "dataward: 1\norganisation: acme\ncontroller:\n  name: Acme\n  legal_name: Acme Ltd\n"
REMEMBER = {"when": "if you tick Remember me", "lasts": "30 days"}


def with_cookie(**fields: Any) -> Register:
    data = copy.deepcopy(BASE)
    data["cookies"] = {
        "used": True,
        "categories": [{"id": "essential", "name": "Essential", "consent_required": False}],
        "cookies": [{"name": "session", "category": "essential", **fields}],
    }
    return Register.model_validate(data)


def cookie_row(reg: Register) -> str:
    soup = BeautifulSoup(render_html(reg), "html.parser")
    row = next(r for r in soup.select("tr") if "session" in r.get_text())
    return re.sub(r"\s+", " ", row.get_text(" ")).strip()


# RULES: MKT-05
def test_it_renders_a_duration_with_its_exceptions() -> None:
    reg = with_cookie(duration="Until you close the browser", duration_exceptions=[REMEMBER])
    assert "Until you close the browser; if you tick Remember me: 30 days" in cookie_row(reg)


# RULES: MKT-05
def test_it_renders_a_plain_duration_as_before_and_silence_as_nothing() -> None:
    assert cookie_row(with_cookie(duration="1 year")).endswith("1 year")
    assert "None" not in cookie_row(with_cookie())


# RULES: MKT-05
def test_the_cookie_banner_shows_the_exceptions_too() -> None:
    reg = with_cookie(duration="1 year", duration_exceptions=[REMEMBER])
    banner = banner_for("acme_lettings", "Acme", reg.cookies, b"k" * 32)
    [cookie] = banner.text["categories"][0]["cookies"]
    assert cookie["duration"] == "1 year; if you tick Remember me: 30 days"
    plain = banner_for("acme_lettings", "Acme", with_cookie().cookies, b"k" * 32)
    assert plain.text["categories"][0]["cookies"][0]["duration"] is None


@pytest.mark.parametrize(
    ("cookie", "path", "words"),
    [
        (
            "{name: s, category: c, duration: 1 year, duration_exceptions: [{when: x}]}",
            "cookies.cookies[0].duration_exceptions[0].lasts",
            "required key",
        ),
        (
            "{name: s, category: c, duration: 1 year, duration_exceptions: 30 days}",
            "cookies.cookies[0].duration_exceptions",
            "valid list",
        ),
        (
            "{name: s, category: c, duration_exceptions: [{when: x, lasts: y}]}",
            "cookies.cookies[0]",
            "state duration",
        ),
    ],
)
def test_it_points_at_a_bad_duration_exception(cookie: str, path: str, words: str) -> None:
    text = HEAD + f"cookies:\n  cookies:\n    - {cookie}\n"
    with pytest.raises(RegisterInvalid) as caught:
        parse_register(text, FILE)
    problem = next(p for p in caught.value.problems if p.path == path)
    assert (problem.file, problem.line) == (FILE, len(text.splitlines()))
    assert words in problem.message, problem.message
