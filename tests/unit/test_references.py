"""Cross-reference checks on a register: here, commitments must name real lint rules."""

from __future__ import annotations

from lint_fixtures import add, build

from dataward.register.references import check_references


def commitment(lint_rule: str, commitment_id: str = "every_purpose_has_a_basis") -> dict[str, str]:
    return {
        "id": commitment_id,
        "lint_rule": lint_rule,
        "statement": "Every purpose has a lawful basis.",
    }


def test_it_finds_no_problem_in_the_base_register() -> None:
    assert list(check_references(build())) == []


def test_it_accepts_a_commitment_to_an_existing_rule() -> None:
    register = build(add(("commitments",), commitment("DW001")))
    assert list(check_references(register)) == []


def test_it_reports_a_commitment_to_a_rule_that_does_not_exist() -> None:
    register = build(
        add(("commitments",), commitment("DW001")),
        add(("commitments",), commitment("DW899", "breaches_reported")),
    )
    problems = list(check_references(register))
    assert [path for path, _ in problems] == [("commitments", 1, "lint_rule")]
    assert "'DW899'" in problems[0][1]
    assert "'breaches_reported'" in problems[0][1]


def test_it_still_reports_dangling_references_beside_commitments() -> None:
    register = build(
        add(("purposes", 0, "categories"), "no_such_category"),
        add(("commitments",), commitment("DW999")),
    )
    paths = [path for path, _ in check_references(register)]
    assert paths == [("purposes", 0, "categories", 1), ("commitments", 0, "lint_rule")]
