"""The public notice rendered from a register (RULES: NTC-01, RET-01, RET-02, SAR-01, SAR-04)."""

from __future__ import annotations

import datetime as dt
import itertools
import re
from collections.abc import Iterator
from enum import Enum
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup, Tag
from pydantic import BaseModel

from dataward.notice.render import render_html, render_html_fragment
from dataward.register.elements import Located, iter_elements
from dataward.register.loader import load_register
from dataward.register.models import Element, Offset, Register, Unspecified
from dataward.register.wording import offset_words, uk_date, words

FULL = Path(__file__).resolve().parents[1] / "fixtures" / "notice" / "full.yaml"
CODE = re.compile(r"^[a-z][a-z0-9_]*$")  # ids and enum codes: shown as names or words


@cache
def register() -> Register:
    return load_register(FULL).register


@cache
def page() -> str:
    return render_html(register())


@cache
def soup() -> BeautifulSoup:
    return BeautifulSoup(page(), "html.parser")


def text_of(tag: Tag) -> str:
    return re.sub(r"\s+", " ", tag.get_text(" ")).strip().lower()


def wrapper(located: Located) -> Tag:
    tag = soup().find(id=located.anchor)
    assert isinstance(tag, Tag), f"no wrapper with id {located.anchor} for {located.path}"
    return tag


def shown_values(model: BaseModel) -> Iterator[str]:
    """What a reader must find verbatim: free text, emails, URLs, numbers, dates.

    Nested elements are left out: they have wrappers of their own.
    """
    for name in type(model).model_fields:
        if name in {"facts", "id"}:
            continue
        yield from _leaves(getattr(model, name))


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, Element):
        return
    if isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, Unspecified):
        yield f"Not stated in this notice: {value.unspecified}"
    elif isinstance(value, BaseModel):
        yield from shown_values(value)
    elif isinstance(value, bool | Enum) or value is None:
        return  # flags and enum codes are shown in words, checked separately
    elif isinstance(value, int) and value >= 10:
        # Single digits may be written in words ("one month"), as the reference notices do.
        yield str(value)
    elif isinstance(value, dt.date):
        yield uk_date(value)
    elif isinstance(value, str) and not CODE.match(value):
        yield value


def test_it_renders_a_standalone_accessible_page() -> None:
    html = page()
    assert html.startswith("<!DOCTYPE html>")
    assert '<html lang="en-GB">' in html
    head = soup().head
    assert head is not None
    assert head.style is not None, "CSS is inline so the file stands alone"
    skip = soup().find("a", class_="skip-link")
    assert isinstance(skip, Tag)
    assert skip["href"] == "#main"
    assert soup().find("main", id="main") is not None


def test_it_renders_one_h1_with_controller_title_version_and_date() -> None:
    h1s = soup().find_all("h1")
    assert len(h1s) == 1
    assert h1s[0].get_text(strip=True) == "Privacy notice"
    header = soup().find("header", class_="notice-header")
    assert isinstance(header, Tag)
    assert "Acme Lettings" in header.get_text()
    assert "Version 2.3, last updated 20 February 2024" in header.get_text()


def test_it_never_skips_a_heading_level() -> None:
    levels = [int(h.name[1]) for h in soup().find_all(re.compile(r"^h[1-6]$"))]
    assert levels[0] == 1
    for before, after in itertools.pairwise(levels):
        assert after <= before + 1, f"heading jumps from h{before} to h{after}"


def test_it_links_every_section_from_the_table_of_contents() -> None:
    nav = soup().find("nav", class_="toc")
    assert isinstance(nav, Tag)
    targets = [a["href"].removeprefix("#") for a in nav.find_all("a")]
    sections = [s["id"] for s in soup().find_all("section")]
    assert targets == sections
    for section in soup().find_all("section"):
        heading = soup().find(id=section["aria-labelledby"])
        assert isinstance(heading, Tag)
        assert heading.name == "h2"


def test_it_gives_each_subject_group_its_own_section() -> None:
    for group in register().subject_groups:
        section = soup().find("section", attrs={"data-group": group.id})
        assert isinstance(section, Tag), group.id
        assert section["id"] == f"group-{group.id}"
        assert group.name.lower() in text_of(section)


def test_it_wraps_every_element_with_its_facts() -> None:
    # NTC-01: each register element is in the page with the facts it expresses.
    located = list(iter_elements(register()))
    assert len(located) > 50
    for loc in located:
        tag = wrapper(loc)
        assert tag.get("data-facts") == " ".join(loc.element.facts), loc.path


def test_it_shows_every_value_of_each_element_inside_its_wrapper() -> None:
    for loc in iter_elements(register()):
        text = text_of(wrapper(loc))
        for value in shown_values(loc.element):
            expected = re.sub(r"\s+", " ", value).strip().lower()
            assert expected in text, f"{loc.path}: {value!r} is not shown"


def test_it_shows_group_specific_elements_inside_each_of_their_groups() -> None:
    for loc in iter_elements(register()):
        groups = getattr(loc.element, "subject_groups", [])
        same = re.compile(rf"^{re.escape(loc.anchor)}(--\d+)?$")
        for group in groups:
            section = soup().find("section", attrs={"data-group": group})
            assert isinstance(section, Tag)
            assert section.find(id=same) is not None, f"{loc.path} is not in group {group}"


def test_it_shows_holds_inside_the_groups_whose_rules_they_suspend() -> None:
    # RET-02: a tenant reading their section sees what keeps their data longer.
    tenants = soup().find("section", attrs={"data-group": "tenants"})
    assert isinstance(tenants, Tag)
    assert "rent arrears outstanding" in text_of(tenants)
    assert "kept for 90 days after the hold ends" in text_of(tenants)


def test_it_escapes_html_in_register_text() -> None:
    reg = register()
    hostile = reg.controller.model_copy(
        update={"name": "Evil <script>alert(1)</script> Ltd", "legal_name": 'A "quoted" & Co'}
    )
    html = render_html(reg.model_copy(update={"controller": hostile}))
    assert "<script>" not in html
    assert "Evil &lt;script&gt;alert(1)&lt;/script&gt; Ltd" in html
    assert "&lt;b&gt;in Bristol&lt;/b&gt;" in page()
    parsed = BeautifulSoup(html, "html.parser")
    assert parsed.find("script") is None


def test_it_shows_unspecified_values_as_not_stated() -> None:
    about = soup().find(id="about-this-notice")
    assert isinstance(about, Tag)
    assert "not stated in this notice: the notice does not say who approves changes" in text_of(
        about
    )
    assert "version 2.2, not stated in this notice: the notice gives no date" in text_of(about)


def test_it_writes_enum_values_in_words() -> None:
    assert words("legitimate_interests") == "Legitimate interests"
    assert words("substantial_public_interest") == "Substantial public interest"
    assert words("debt_outstanding") == "Debt outstanding"
    purpose = soup().find(id="el-purposes-0")
    assert isinstance(purpose, Tag)
    assert "legitimate interests" in text_of(purpose)
    assert "legitimate_interests" not in text_of(purpose)


@pytest.mark.parametrize(
    ("offset", "expected"),
    [
        (Offset(days=90), "90 days"),
        (Offset(days=1), "1 day"),
        (Offset(working_days=2), "2 working days"),
        (Offset(months=6), "6 months"),
        (Offset(years=6), "6 years"),
        (
            Offset(end_of_year_plus_years=6),
            "6 years after the end of the year in which the starting event happens",
        ),
        (
            Offset(as_soon_as_reasonably_necessary=True, review_every_days=30),
            "as soon as reasonably necessary (reviewed every 30 days)",
        ),
        (Offset(as_soon_as_reasonably_necessary=True), "as soon as reasonably necessary"),
        (Offset(years=3, up_to=True), "up to 3 years"),
    ],
)
def test_it_writes_each_retention_period_in_words(offset: Offset, expected: str) -> None:
    # RET-01: the period is read by the public as the notice states it.
    assert offset_words(offset) == expected


def test_it_lists_every_retention_rule_in_the_retention_table() -> None:
    section = soup().find("section", id="retention")
    assert isinstance(section, Tag)
    table = section.find("table", class_="retention")
    assert isinstance(table, Tag)
    rows = {tr["id"]: text_of(tr) for tr in table.find_all("tr", attrs={"data-facts": True})}
    assert len(rows) == len(register().retention_rules)
    periods = " | ".join(rows.values())
    for phrase in (
        "30 days",
        "10 working days",
        "12 months",
        "6 years after the end of the year in which",
        "as soon as reasonably necessary (reviewed every 30 days)",
        "up to 3 years",
        "not kept",
    ):
        assert phrase in periods
    assert "tenancy ended" in periods, "the event that starts the clock is named"


def test_it_writes_dates_uk_style() -> None:
    assert uk_date(dt.date(2024, 2, 20)) == "20 February 2024"
    assert uk_date(dt.date(2023, 3, 1)) == "1 March 2023"
    assert uk_date(Unspecified(unspecified="no date given")) == (
        "Not stated in this notice: no date given"
    )
    assert "2024-02-20" not in page()


def test_it_states_the_response_time_and_extension() -> None:
    # SAR-01, SAR-04
    rights = soup().find(id="your-rights")
    assert isinstance(rights, Tag)
    text = text_of(rights)
    assert "within one month" in text
    assert "up to 2 more months" in text


def test_it_gives_every_table_a_caption_and_scoped_headers() -> None:
    tables = soup().find_all("table")
    assert tables
    for table in tables:
        assert table.caption is not None
        assert table.caption.get_text(strip=True)
        for th in table.find_all("th"):
            assert th.get("scope") in {"col", "row"}


def test_it_renders_a_fragment_for_the_web_app_layout() -> None:
    fragment = render_html_fragment(register())
    assert fragment.lstrip().startswith('<main id="main"')
    assert "<html" not in fragment
    assert "<style" not in fragment
    parsed = BeautifulSoup(fragment, "html.parser")
    assert len(parsed.find_all("h1")) == 1
    assert parsed.find("section", attrs={"data-group": "tenants"}) is not None


def test_it_keeps_element_ids_unique() -> None:
    ids = [tag["id"] for tag in soup().find_all(id=True)]
    assert len(ids) == len(set(ids))


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXAMPLE_FILES = ["jtr-collections.yaml", "johnnie-johnson-housing.yaml", "r3-repairs.yaml"]


@pytest.mark.parametrize("name", EXAMPLE_FILES)
def test_it_shows_every_element_of_the_example_registers(name: str) -> None:
    # NTC-01: the three reference notices, rendered back from their registers.
    example = load_register(EXAMPLES / name).register
    parsed = BeautifulSoup(render_html(example), "html.parser")
    for loc in iter_elements(example):
        tag = parsed.find(id=loc.anchor)
        assert isinstance(tag, Tag), f"{name}: {loc.path} is not rendered"
        assert tag.get("data-facts") == " ".join(loc.element.facts)
        text = text_of(tag)
        for value in shown_values(loc.element):
            assert re.sub(r"\s+", " ", value).strip().lower() in text, f"{loc.path}: {value!r}"
        same = re.compile(rf"^{re.escape(loc.anchor)}(--\d+)?$")
        for group in getattr(loc.element, "subject_groups", []):
            section = parsed.find("section", attrs={"data-group": group})
            assert isinstance(section, Tag)
            assert section.find(id=same) is not None
