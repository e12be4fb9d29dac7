"""The proof of identity each right needs, as the register states it (issue 16).

Rules: SAR-05. Stated per right (``identity_proof``), rendered only when stated, linted
(DW055) with the finding's file and line; silence renders nothing, and dataward's default
is never shown as a promise.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
from bs4 import BeautifulSoup
from lint_fixtures import BASE

from dataward.errors import RegisterInvalid
from dataward.notice.render import render_html
from dataward.register.lint import lint
from dataward.register.loader import parse_register
from dataward.register.models import Register
from dataward.requests.identity_strength import needed_for

FILE = "register.yaml"
REGISTER = """dataward: 1
organisation: acme
controller:
  name: Acme
  legal_name: Acme Ltd
rights:
  identity_check: {required: false}
  items:
    - {right: access, applies: always}
    - {right: erasure, applies: always, identity_proof: none}
    - {right: rectification, applies: always, identity_proof: document}
"""


def _with_items(**proofs: str) -> Register:
    data: dict[str, Any] = copy.deepcopy(BASE)
    for item in data["rights"]["items"]:
        if item["right"] in proofs:
            item["identity_proof"] = proofs[item["right"]]
    return Register.model_validate(data)


def _text(register: Register) -> str:
    soup = BeautifulSoup(render_html(register), "html.parser")
    return re.sub(r"\s+", " ", soup.get_text(" "))


# RULES: SAR-05
def test_it_points_at_each_contradiction_with_its_file_and_line() -> None:
    loaded = parse_register(REGISTER, FILE)
    found = [f for f in lint(loaded.register) if f.rule_id == "DW055"]
    places = [(f.dotted_path, loaded.line_of(f.path)[0]) for f in found]
    assert places == [
        ("rights.items[1].identity_proof", 10),
        ("rights.items[2].identity_proof", 11),
    ]
    assert "erasure" in found[0].message
    assert "required is false" in found[1].message


def test_it_refuses_a_proof_it_does_not_know() -> None:
    with pytest.raises(RegisterInvalid) as caught:
        parse_register(REGISTER.replace("identity_proof: none", "identity_proof: selfie"), FILE)
    [problem] = caught.value.problems
    assert (problem.path, problem.line) == ("rights.items[1].identity_proof", 10)


def test_the_notice_shows_the_proof_only_where_the_register_states_it() -> None:
    assert "Proof of identity we ask for" not in _text(_with_items())
    stated = _text(_with_items(access="knowledge"))
    assert "Proof of identity we ask for Knowledge" in stated


def test_the_strongest_need_of_the_rights_asked_wins() -> None:
    register = _with_items(access="knowledge", erasure="document", objection="email")
    assert needed_for(register, ["access"], "email") == "knowledge"
    assert needed_for(register, ["access", "erasure"], "email") == "document"
    assert needed_for(register, ["objection"], "document") == "email"
    # Silent rights: the default for those that disclose or change data, nothing for others.
    silent = _with_items()
    assert needed_for(silent, ["portability"], "knowledge") == "knowledge"
    assert needed_for(silent, ["objection_direct_marketing"], "document") == "none"
