"""A retention period the law makes the organisation keep (issue 19, ERA-02): the register's
``keeps_for`` loads, refuses a bad form at its line, and the notice says it only where the
register does, in the register's (the notice's) words.
"""

from __future__ import annotations

import pytest
from test_format_retention import FILE, HEAD, retention_row, with_rule

from dataward.errors import RegisterInvalid
from dataward.register.loader import parse_register


# RULES: ERA-02, NTC-01
def test_it_renders_a_legal_obligation_in_the_notices_words() -> None:
    reg = with_rule(keeps_for={"legal_obligation": "the Housing Act 1988"})
    row = retention_row(reg)
    assert "Kept to meet a legal obligation: the Housing Act 1988" in row
    assert "legal claims" not in row


# RULES: ERA-02
def test_it_renders_a_legal_claims_period_in_the_notices_words() -> None:
    reg = with_rule(keeps_for={"legal_claims": "claims about your tenancy"})
    assert "Kept for legal claims: claims about your tenancy" in retention_row(reg)


# RULES: ERA-02, NTC-01 (silence stays silence)
def test_it_says_nothing_of_a_legal_obligation_the_register_does_not_state() -> None:
    reg = with_rule()
    assert reg.retention_rules[0].keeps_for is None
    row = retention_row(reg).lower()
    assert "legal obligation" not in row
    assert "legal claims" not in row


# RULES: ERA-02
@pytest.mark.parametrize(
    ("section", "path", "words"),
    [
        ("    keeps_for: {}\n", "keeps_for", "exactly one of legal_obligation or legal_claims"),
        (
            "    keeps_for: {legal_obligation: a, legal_claims: b}\n",
            "keeps_for",
            "exactly one of legal_obligation or legal_claims",
        ),
        ("    keeps_for: {statute: x}\n", "keeps_for.statute", "unknown key"),
        ("    keeps_for: the law\n", "keeps_for", "valid dictionary"),
    ],
)
def test_it_points_at_a_bad_keeps_for(section: str, path: str, words: str) -> None:
    text = HEAD + "retention_rules:\n  - id: deeds\n    name: Deeds\n" + section
    with pytest.raises(RegisterInvalid) as caught:
        parse_register(text, FILE)
    problem = next(p for p in caught.value.problems if p.path == f"retention_rules[0].{path}")
    assert (problem.file, problem.line) == (FILE, 9)
    assert words in problem.message, problem.message
