"""Fidelity: every text of the rendered notice traces to a value the register states.

The notice is a legal statement (RULES: NTC-01): nothing in it may come from a default.
``render_html(trace=True)`` marks each piece of register text with ``data-from`` paths;
``fidelity.untraced`` lists every text that is neither fixed wording nor inside an element
whose paths all resolve to values present in the YAML (``model_fields_set``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dataward.notice import render as render_module
from dataward.notice.fidelity import FIXED_WORDING, stated, untraced
from dataward.notice.layers import for_group
from dataward.notice.render import render_html
from dataward.notice.view import NoticeView
from dataward.register.loader import load_register, parse_register
from dataward.register.models import Controller, Register

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MINIMAL = "dataward: 1\norganisation: acme\ncontroller:\n  name: Acme\n  legal_name: Acme Ltd\n"


def example(name: str) -> Register:
    return load_register(EXAMPLES / f"{name}.yaml").register


def minimal() -> Register:
    return parse_register(MINIMAL, "minimal.yaml").register


def registers() -> dict[str, Register]:
    return {
        "jtr": example("jtr-collections"),
        "jjh": example("johnnie-johnson-housing"),
        "r3": example("r3-repairs"),
        "minimal": minimal(),
    }


@pytest.mark.parametrize("name", ["jtr", "jjh", "r3", "minimal"])
def test_every_text_of_the_notice_is_fixed_wording_or_a_stated_value(name: str) -> None:
    # RULES: NTC-01
    reg = registers()[name]
    html = render_html(reg, trace=True)
    assert untraced(html, reg) == []


@pytest.mark.parametrize("name", ["jtr", "jjh", "r3"])
def test_each_group_notice_is_fixed_wording_or_a_stated_value(name: str) -> None:
    # RULES: NTC-01
    reg = registers()[name]
    for group in reg.subject_groups:
        html = render_html(reg, group=group.id, trace=True)
        assert untraced(html, for_group(reg, group.id)) == [], group.id


@pytest.mark.parametrize("name", ["jtr", "jjh", "r3"])
def test_the_trace_names_the_register_paths_of_the_values(name: str) -> None:
    reg = registers()[name]
    html = render_html(reg, trace=True)
    # Each purpose's name is traced to its own path, so the map is not one blanket mark.
    for i, purpose in enumerate(reg.purposes):
        assert f'data-from="purposes[{i}].name"' in html, purpose.id
    assert html.count("data-from=") > 500


@pytest.mark.parametrize("name", ["jtr", "jjh", "r3", "minimal"])
def test_the_published_notice_is_the_traced_one_without_its_marks(name: str) -> None:
    # Tracing only adds attributes: what a reader sees is what the fidelity test checked.
    reg = registers()[name]
    html = render_html(reg)
    traced = render_html(reg, trace=True)
    assert "data-from" not in html
    assert "data-el" not in html
    assert traced != html
    assert re.sub(r' data-(?:from|el)="[^"]*"', "", traced) == html


def test_a_value_present_but_not_stated_is_caught() -> None:
    # A default looks like this: a value on the model that is not among the fields given.
    given = minimal()
    controller = Controller.model_construct(
        _fields_set={"name", "legal_name"},
        **{
            **given.controller.model_dump(),
            "description": "We never sell your information.",
        },
    )
    reg = given.model_copy(update={"controller": controller})
    found = untraced(render_html(reg, trace=True), reg)
    assert [u.text for u in found] == ["We never sell your information."]
    assert found[0].paths == ("controller.description",)


def test_a_sentence_built_from_a_default_is_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    # A version line the register never gave: the path it claims is not stated.
    reg = minimal()
    monkeypatch.setattr(render_module, "version_line", lambda _v: "Version 1, 1 January 2026")
    found = untraced(render_html(reg, trace=True), reg)
    assert [(u.text, u.paths) for u in found] == [
        ("Version 1, 1 January 2026", ("notice.versions",))
    ]


def test_a_sentence_with_no_register_value_behind_it_is_caught(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A denial where the notice is silent ("we never share") is neither fixed wording nor traced.
    reg = minimal()
    assert untraced(render_html(reg, trace=True), reg) == []
    monkeypatch.setattr(NoticeView, "not_stated", "We do not share it with anyone")
    found = untraced(render_html(reg, trace=True), reg)
    assert found
    assert {u.text for u in found} == {"We do not share it with anyone."}
    assert all(u.paths == () for u in found)


def test_stated_follows_the_fields_the_yaml_gives() -> None:
    reg = parse_register(
        MINIMAL
        + "subject_groups:\n  - id: customers\n    name: Customers\n"
        + "purposes:\n  - id: billing\n    name: Billing\n    subject_groups: [customers]\n",
        "p.yaml",
    ).register
    assert stated(reg, "controller.name")
    assert stated(reg, "purposes[0].name")
    assert not stated(reg, "purposes[0].bases")  # left out: silence
    assert not stated(reg, "purposes[1].name")  # no such purpose
    assert not stated(reg, "controller.nation")
    assert not stated(reg, "dpo.appointed")


def test_fixed_wording_is_not_a_claim_about_the_data() -> None:
    # The list holds headings and "Not stated in this notice", never a promise or a denial.
    assert "Not stated in this notice" in FIXED_WORDING
    claims = ("one month", "free", "Located in", "We do not", "We have not", "Always")
    assert not [w for w in FIXED_WORDING for c in claims if c in w]
