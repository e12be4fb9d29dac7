"""A basis the notice implies by the contract (issue 13): it loads and renders as implied,
and every reader takes it as no stated basis, so nothing names a basis the notice does not.
A marketing channel whose basis is not stated is silence (DW047), held here too.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from bs4 import BeautifulSoup
from lint_fixtures import BASE

from dataward.consent.policy import Policy, _rules
from dataward.consent.rules import Facts, evaluate
from dataward.errors import RegisterInvalid
from dataward.notice.layers import summary
from dataward.notice.render import render_html
from dataward.register.exports.dpv import to_dpv
from dataward.register.lint import lint
from dataward.register.loader import parse_register
from dataward.register.models import Register

FILE = "register.yaml"
HEAD = "dataward: 1\norganisation: acme\ncontroller:\n  name: Acme\n  legal_name: Acme Ltd\n"
IMPLIED = {"implied_by": "contract", "note": "we need it to run your tenancy"}


def with_bases(*bases: Any) -> Register:
    data = copy.deepcopy(BASE)
    data["purposes"][0]["bases"] = list(bases)
    return Register.model_validate(data)


def text_of(reg: Register) -> str:
    soup = BeautifulSoup(render_html(reg), "html.parser")
    return re.sub(r"\s+", " ", soup.get_text(" "))


# RULES: LAW-01, NTC-01
def test_it_renders_an_implied_basis_as_not_stated_and_names_no_basis() -> None:
    text = text_of(with_bases({"basis": IMPLIED}))
    assert (
        "Not stated in this notice: implied by our contract with you "
        "(we need it to run your tenancy)" in text
    )
    assert "Contract" not in text.replace("contract with you", "")


# RULES: LAW-01
def test_it_lints_an_implied_basis_as_no_stated_basis() -> None:
    findings = [f for f in lint(with_bases({"basis": IMPLIED})) if f.rule_id == "DW001"]
    assert [f.path for f in findings] == [("purposes", 0, "bases")]
    assert "only implies" in findings[0].message
    assert [f for f in lint(with_bases({"basis": "contract"})) if f.rule_id == "DW001"] == []


# RULES: LAW-01
def test_decisions_refuse_a_purpose_whose_basis_is_only_implied() -> None:
    reg = with_bases({"basis": IMPLIED})
    rules = _rules(reg.purposes[0], {c.id: c for c in reg.data_categories})
    assert rules.bases == frozenset()
    policy = Policy(
        organisation="acme_lettings",
        register_version=1,
        notice_versions=("1.0",),
        marketing_carried_out=False,
        marketing_statement=None,
        purposes={rules.id: rules},
        channels=(),
        preferences={},
        register=reg,
    )
    facts = Facts("s_1", {}, [], [], None, None)
    decision = evaluate(policy, rules.id, None, facts)
    assert (decision.allow, decision.code, decision.rules) == (False, "no_lawful_basis", ["LAW-01"])


# RULES: LAW-01
def test_no_export_or_summary_names_an_implied_basis() -> None:
    reg = with_bases({"basis": IMPLIED})
    process = next(n for n in to_dpv(reg)["@graph"] if "dpv:hasLegalBasis" in n)
    assert process["dpv:hasLegalBasis"] == []
    assert "Contract" not in str(summary(reg, reg.subject_groups[0]))


@pytest.mark.parametrize(
    ("basis", "path", "words"),
    [
        ("{implied_by: lease}", "purposes[0].bases[0].basis.implied_by", "'contract'"),
        ("{implied_by: contract, why: x}", "purposes[0].bases[0].basis.why", "unknown key"),
    ],
)
def test_it_points_at_a_bad_implied_basis(basis: str, path: str, words: str) -> None:
    text = HEAD + (
        "purposes:\n  - id: p\n    name: P\n    subject_groups: [g]\n"
        f"    bases:\n      - basis: {basis}\n"
    )
    with pytest.raises(RegisterInvalid) as caught:
        parse_register(text, FILE)
    problem = next(p for p in caught.value.problems if p.path == path)
    assert (problem.file, problem.line) == (FILE, len(text.splitlines()))
    assert words in problem.message, problem.message


# RULES: MKT-01
def test_a_marketing_channel_with_no_stated_basis_is_silence_and_linted() -> None:
    data = copy.deepcopy(BASE)
    data["marketing"] = {"carried_out": True, "channels": [{"id": "news", "channel": "email"}]}
    reg = Register.model_validate(data)
    assert reg.marketing.channels[0].basis is None
    assert [f.path for f in lint(reg) if f.rule_id == "DW047"] == [
        ("marketing", "channels", 0, "basis")
    ]
