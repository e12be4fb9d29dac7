"""The complaint route's outcome time in the notice: shown only when the register states it.

RULES: CMP-01 (the outcome without undue delay), NTC-01 (nothing in the notice comes from a
default: silence promises nothing).
"""

from __future__ import annotations

import re
from pathlib import Path

from bs4 import BeautifulSoup

from dataward.notice.fidelity import untraced
from dataward.notice.render import render_html
from dataward.register.loader import parse_register

FULL = Path(__file__).resolve().parents[1] / "fixtures" / "notice" / "full.yaml"
ROUTE = "    contact_controller_first: true\n"


def complaints_text(source: str) -> str:
    page = BeautifulSoup(render_html(parse_register(source, str(FULL)).register), "html.parser")
    section = page.find(id="complaints")
    assert section is not None
    return re.sub(r"\s+", " ", section.get_text(" "))


def test_a_stated_outcome_time_is_promised_in_the_notice() -> None:
    source = FULL.read_text(encoding="utf-8")
    assert source.count(ROUTE) == 1
    text = complaints_text(source.replace(ROUTE, ROUTE + "    outcome_within_days: 45\n"))
    assert "we will tell you the outcome within 45 days of receiving your complaint" in text


def test_the_outcome_time_is_traced_to_the_register() -> None:
    # RULES: NTC-01: the sentence comes from the stated value, not from fixed wording alone.
    source = FULL.read_text(encoding="utf-8").replace(
        ROUTE, ROUTE + "    outcome_within_days: 45\n"
    )
    register = parse_register(source, str(FULL)).register
    assert untraced(render_html(register, trace=True), register) == []


def test_silence_promises_no_outcome_time() -> None:
    text = complaints_text(FULL.read_text(encoding="utf-8"))
    assert "ICO" in text
    assert "outcome" not in text.lower()
