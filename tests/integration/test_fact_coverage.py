"""Every fact of the three reference notices is carried by the example registers.

One test per fact (``jtr:purposes.p3``), so a report says exactly which promise of which
notice is not expressed. For each fact:

* it is mapped to at least one register element of a typed kind for its section;
* a ``kind: rule`` fact is mapped to a machine-readable rule element;
* a ``kind: notice`` fact is shown in the rendered notice: the element carrying it is in
  the page, its emails, URLs and numbers appear in that element's text, and a fact about
  one subject group ("Customers: ...") is shown inside that group's section (NTC-01).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Tag

from dataward.notice.render import render_html
from dataward.register.coverage import (
    FREE_TEXT_KINDS,
    FREE_TEXT_SECTIONS,
    RULE_KINDS,
    SECTION_KINDS,
    Fact,
    load_fact_sheet,
    measure_coverage,
)
from dataward.register.elements import Located
from dataward.register.loader import load_register
from dataward.register.models import Register

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {
    "jtr": ("jtr-collections.yaml", "facts-000-jtr.yaml"),
    "jjh": ("johnnie-johnson-housing.yaml", "facts-001-jjh.yaml"),
    "r3": ("r3-repairs.yaml", "facts-004-r3.yaml"),
}
# The issue counts 587 facts (215 + 218 + 154); the test below pins the sheets' own counts so a
# changed sheet is noticed.

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"(?:https?://|www\.)[^\s'\")]+")
NUMBER = re.compile(r"(?<![\w.])\d{2,}(?:\.\d+)?(?![\w])|(?<![\w.])\d+\.\d+(?![\w])")


@dataclass(frozen=True)
class Example:
    register: Register
    facts: list[Fact]
    mapped: dict[str, list[Located]]
    soup: BeautifulSoup


@cache
def example(name: str) -> Example:
    register_file, facts_file = EXAMPLES[name]
    register = load_register(ROOT / "examples" / register_file).register
    facts = load_fact_sheet(ROOT / "examples" / "notices" / facts_file)
    report = measure_coverage(register, facts)
    soup = BeautifulSoup(render_html(register), "html.parser")
    return Example(register, facts, report.mapped, soup)


def _fact_ids() -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for name, (_, facts_file) in EXAMPLES.items():
        for fact in load_fact_sheet(ROOT / "examples" / "notices" / facts_file):
            out.append((name, fact.ref))
    return out


FACTS = _fact_ids()


def _fact(ex: Example, ref: str) -> Fact:
    return next(f for f in ex.facts if f.ref == ref)


def tokens(text: str) -> set[str]:
    """Emails, URLs and numbers of two or more digits: what a reader must find verbatim."""
    found = {m.lower() for m in EMAIL.findall(text)}
    found |= {
        m.rstrip(".,;:").lower().removeprefix("https://").removeprefix("http://")
        for m in URL.findall(text)
    }
    without = EMAIL.sub(" ", URL.sub(" ", text))
    found |= set(NUMBER.findall(without))
    return found


def _normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text).lower()


def _carriers(ex: Example, ref: str) -> list[Tag]:
    return [
        tag
        for tag in ex.soup.find_all(attrs={"data-facts": True})
        if isinstance(tag, Tag) and ref in str(tag.get("data-facts", "")).split()
    ]


def _group_named(ex: Example, fact: Fact) -> str | None:
    """The subject group a fact is about, when it starts "Group: ..." or "Group, basis: ..."."""
    if ":" not in fact.text:
        return None
    head = re.split(r"[,(]", fact.text.split(":", 1)[0], maxsplit=1)[0].strip().lower()
    for group in ex.register.subject_groups:
        if group.name.lower() == head:
            return group.id
    return None


def test_the_fact_sheets_hold_every_fact() -> None:
    counts = {name: len(example(name).facts) for name in EXAMPLES}
    assert counts == {"jtr": 215, "jjh": 218, "r3": 154}
    assert sum(counts.values()) == 587


@pytest.mark.parametrize(("name", "ref"), FACTS, ids=[f"{n}:{r}" for n, r in FACTS])
def test_it_expresses_the_fact(name: str, ref: str) -> None:
    ex = example(name)
    fact = _fact(ex, ref)
    elements = ex.mapped.get(ref, [])
    assert elements, f"{ref} is not expressed by any element of the register"
    for located in elements:
        assert located.kind in SECTION_KINDS[fact.section], (
            f"{located.kind} at {located.path} cannot express a {fact.section} fact"
        )
        if located.kind in FREE_TEXT_KINDS:
            assert fact.section in FREE_TEXT_SECTIONS, "free text only for other/security"
    if fact.kind == "rule":
        assert any(e.kind in RULE_KINDS for e in elements), (
            f"rule fact {ref} maps to no machine-readable rule: {[e.kind for e in elements]}"
        )


NOTICE_FACTS = [(n, r) for n, r in FACTS if _fact(example(n), r).kind == "notice"]


@pytest.mark.parametrize(("name", "ref"), NOTICE_FACTS, ids=[f"{n}:{r}" for n, r in NOTICE_FACTS])
def test_it_shows_the_fact_in_the_rendered_notice(name: str, ref: str) -> None:
    # RULES: NTC-01
    ex = example(name)
    fact = _fact(ex, ref)
    carriers = _carriers(ex, ref)
    assert carriers, f"{ref} is not in the rendered notice"
    text = _normalise(" ".join(tag.get_text(" ") for tag in carriers))
    missing = sorted(t for t in tokens(fact.text) if t.lower() not in text)
    assert not missing, f"{ref}: the notice does not show {missing}"
    group = _group_named(ex, fact)
    if group is not None:
        # The group's own description may stand in the list of groups instead.
        inside = [
            tag
            for tag in carriers
            if tag.find_parent(attrs={"data-group": group}) is not None
            or str(tag.get("id", "")).startswith("el-subject-groups-")
        ]
        assert inside, f"{ref} is about {group} but is not shown in that group's section"


def test_the_token_extractor_finds_what_a_reader_must_see() -> None:
    found = tokens(
        "DPO: PO Box 7672, NN8 9GW; email info@jtrcollections.co.uk; see "
        "https://ico.org.uk/make-a-complaint/. Version 8.1, within 72 hours, section 2."
    )
    assert found == {
        "7672",
        "info@jtrcollections.co.uk",
        "ico.org.uk/make-a-complaint/",
        "8.1",
        "72",
    }
