"""DW056 and DW057 beyond their base cases (RULES: CMP-01: make it easy to complain)."""

from __future__ import annotations

import pytest
from lint_fixtures import build, drop, put

from dataward.register.lint import PathKey, lint
from dataward.register.models import Register

ROUTE = ("rights", "complaints")


def at(register: Register, rule_id: str) -> list[PathKey]:
    return [f.path for f in lint(register) if f.rule_id == rule_id]


def test_dw056_counts_the_portal_form_as_a_way_to_complain() -> None:
    register = build(put(("rights", "how_to_exercise"), []), put((*ROUTE, "portal_form"), True))
    assert at(register, "DW056") == []


def test_dw056_reports_rights_contacts_that_are_not_there() -> None:
    register = build(
        put(("rights", "how_to_exercise"), []), put((*ROUTE, "use_rights_contacts"), True)
    )
    assert at(register, "DW056") == [(*ROUTE, "use_rights_contacts")]


def test_dw056_leaves_a_missing_route_to_dw020() -> None:
    register = build(put(("rights", "how_to_exercise"), []), drop(ROUTE))
    assert at(register, "DW056") == []
    assert at(register, "DW020") == [ROUTE]


def test_dw056_is_a_warning() -> None:
    findings = [
        f for f in lint(build(put(("rights", "how_to_exercise"), []))) if f.rule_id == "DW056"
    ]
    assert [f.severity for f in findings] == ["warning"]


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("email", "complaints@"),
        ("web", "our website"),
        ("form", "https://"),
        ("portal", "example.org/complain"),
        ("phone", "ring us"),
    ],
)
def test_dw057_reports_a_contact_that_cannot_be_used(kind: str, value: str) -> None:
    register = build(
        put(
            (*ROUTE, "contacts"),
            [{"kind": "post", "value": "1 High St"}, {"kind": kind, "value": value}],
        )
    )
    assert at(register, "DW057") == [(*ROUTE, "contacts", 1, "value")]


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("email", "dpo@example.org.uk"),
        ("web", "www.example.org/complaints"),
        ("form", "https://example.org/complain"),
        ("phone", "+44 113 496 0000"),
        ("in_person", "At our office"),
    ],
)
def test_dw057_accepts_a_contact_that_can_be_used(kind: str, value: str) -> None:
    assert at(build(put((*ROUTE, "contacts"), [{"kind": kind, "value": value}])), "DW057") == []
