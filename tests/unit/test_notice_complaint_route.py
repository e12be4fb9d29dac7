"""How to complain to the organisation itself, in the notice: only what the register states.

RULES: CMP-01 (make it easy to complain: contacts, an electronic form; the ICO expects the
controller first), NTC-01 (nothing in the notice comes from a default: silence says nothing).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from dataward.errors import RegisterInvalid
from dataward.notice.fidelity import untraced
from dataward.notice.markdown import render_markdown
from dataward.notice.render import render_html
from dataward.register.loader import parse_register
from dataward.register.models import Register

FULL = Path(__file__).resolve().parents[1] / "fixtures" / "notice" / "full.yaml"
ROUTE = "    contact_controller_first: true\n"
# Phrases each new field adds; none may appear unless its field is stated.
PHRASES = {
    "contacts": "How to complain to us",
    "use_rights_contacts": "same contact details as for your rights",
    "portal_form": "using our complaint form",
    "required": "If you are still unhappy after contacting us",
    "encouraged": "at any time, but please contact us first",
}


def register_with(lines: str = "", *, keep_older_flag: bool = True) -> Register:
    source = FULL.read_text(encoding="utf-8")
    assert source.count(ROUTE) == 1
    return parse_register(
        source.replace(ROUTE, (ROUTE if keep_older_flag else "") + lines)
    ).register


def complaints_text(register: Register) -> str:
    page = BeautifulSoup(render_html(register), "html.parser")
    section = page.find(id="complaints")
    assert section is not None
    return re.sub(r"\s+", " ", section.get_text(" "))


def test_silence_adds_nothing_to_how_to_complain() -> None:
    """CMP-01, NTC-01: a route with none of the new fields says none of their sentences."""
    text = complaints_text(register_with())
    for phrase in PHRASES.values():
        assert phrase not in text
    # The older flag still speaks for itself, once.
    assert text.count("Please contact us first so we can try to put things right") == 1


def test_stated_contacts_are_listed_with_to_whom() -> None:
    """CMP-01: how to complain to the organisation, and to whom (the contact's label)."""
    register = register_with(
        "    contacts:\n"
        "      - {kind: email, value: complaints@acme-lettings.example, label: Complaints team}\n"
        "      - {kind: phone, value: 0113 496 0000}\n"
    )
    page = BeautifulSoup(render_html(register), "html.parser")
    section = page.find(id="complaints")
    assert section is not None
    assert PHRASES["contacts"] in section.get_text(" ")
    link = section.find("a", href="mailto:complaints@acme-lettings.example")
    assert link is not None
    assert "Complaints team" in section.get_text(" ")
    assert section.find("a", href="tel:01134960000") is not None


def test_the_rights_contacts_are_repeated_when_the_route_says_to_use_them() -> None:
    """CMP-01: "contact us using the same details" lists those details under complaints."""
    text = complaints_text(register_with("    use_rights_contacts: true\n"))
    assert PHRASES["use_rights_contacts"] in text
    assert "privacy@acme-lettings.example" in text
    assert "https://my.acme-lettings.example" in text


def test_use_rights_contacts_false_says_nothing() -> None:
    text = complaints_text(register_with("    use_rights_contacts: false\n"))
    assert PHRASES["use_rights_contacts"] not in text
    assert "privacy@acme-lettings.example" not in text


def test_a_stated_portal_form_is_offered() -> None:
    """CMP-01: "make it easy to complain, e.g. an electronic form"."""
    assert PHRASES["portal_form"] in complaints_text(register_with("    portal_form: true\n"))
    assert PHRASES["portal_form"] not in complaints_text(register_with("    portal_form: false\n"))


@pytest.mark.parametrize("before_ico", ["required", "encouraged"])
def test_before_ico_says_how_firmly_and_replaces_the_older_sentence(before_ico: str) -> None:
    """CMP-01: complaining to the organisation first, required or only encouraged."""
    text = complaints_text(register_with(f"    before_ico: {before_ico}\n"))
    assert PHRASES[before_ico] in text
    other = "encouraged" if before_ico == "required" else "required"
    assert PHRASES[other] not in text
    assert "so we can try to put things right" not in text


def test_before_ico_stands_without_the_older_flag() -> None:
    text = complaints_text(register_with("    before_ico: required\n", keep_older_flag=False))
    assert PHRASES["required"] in text


def test_before_ico_contradicting_the_older_flag_is_refused() -> None:
    """A register cannot say both "contact us first" and "you need not"."""
    source = FULL.read_text(encoding="utf-8").replace(
        ROUTE, "    contact_controller_first: false\n    before_ico: encouraged\n"
    )
    with pytest.raises(RegisterInvalid) as refused:
        parse_register(source)
    assert "before_ico" in refused.value.problems[0].message


def test_every_new_sentence_is_traced_to_the_register() -> None:
    """NTC-01: each sentence comes from a stated value (fidelity)."""
    register = register_with(
        "    contacts:\n"
        "      - {kind: email, value: complaints@acme-lettings.example}\n"
        "    use_rights_contacts: true\n"
        "    portal_form: true\n"
        "    before_ico: encouraged\n"
    )
    assert untraced(render_html(register, trace=True), register) == []


def test_markdown_carries_the_route_to_us() -> None:
    """The Markdown (and PDF) notice are made from the same HTML."""
    markdown = render_markdown(
        register_with(
            "    contacts:\n"
            "      - {kind: email, value: complaints@acme-lettings.example}\n"
            "    portal_form: true\n"
            "    before_ico: required\n"
        )
    )
    assert "complaints@acme-lettings.example" in markdown
    assert PHRASES["portal_form"] in markdown
    assert PHRASES["required"] in markdown
