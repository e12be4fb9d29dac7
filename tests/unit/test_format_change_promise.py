"""The notice-change promise (issue 13): "we will email you about significant changes" as a
field; rendered only when stated, read by the campaign sweep, bad input pointed at.
"""

from __future__ import annotations

import copy
import re

import pytest
from bs4 import BeautifulSoup
from lint_fixtures import BASE

from dataward.errors import RegisterInvalid
from dataward.notice.render import render_html
from dataward.notify.service import promises_email
from dataward.register.loader import parse_register
from dataward.register.models import Register

FILE = "register.yaml"
HEAD = "dataward: 1\norganisation: acme\ncontroller:\n  name: Acme\n  legal_name: Acme Ltd\n"


def with_promise(promise: dict[str, object] | None) -> Register:
    data = copy.deepcopy(BASE)
    if promise is not None:
        data["notice"]["change_promise"] = promise
    return Register.model_validate(data)


def text_of(reg: Register) -> str:
    soup = BeautifulSoup(render_html(reg), "html.parser")
    return re.sub(r"\s+", " ", soup.get_text(" "))


# RULES: NTC-03
def test_it_renders_the_promise_only_when_stated() -> None:
    reg = with_promise({"channels": ["email"], "before_taking_effect": True})
    text = text_of(reg)
    assert "How we tell you about significant changes" in text
    assert "Before the change applies Yes" in text
    assert "significant changes" not in text_of(with_promise(None))


# RULES: NTC-03
def test_email_is_how_subjects_are_told_unless_the_promise_names_another_way() -> None:
    assert promises_email(with_promise(None)) is True
    assert promises_email(with_promise({"channels": ["post", "email"]})) is True
    assert promises_email(with_promise({"channels": ["website"]})) is False


@pytest.mark.parametrize(
    ("promise", "path", "words"),
    [
        ("{channels: []}", "notice.change_promise.channels", "at least 1"),
        ("{channels: [carrier_pigeon]}", "notice.change_promise.channels[0]", "'email'"),
        ("{before_taking_effect: true}", "notice.change_promise.channels", "required key"),
    ],
)
def test_it_points_at_a_bad_change_promise(promise: str, path: str, words: str) -> None:
    text = HEAD + f"notice:\n  change_promise: {promise}\n"
    with pytest.raises(RegisterInvalid) as caught:
        parse_register(text, FILE)
    problem = next(p for p in caught.value.problems if p.path == path)
    assert (problem.file, problem.line) == (FILE, len(text.splitlines()))
    assert words in problem.message, problem.message
