"""Index advice read from described tables, without a database (issue 20).

RULES: RET-01 (the plan counts rows due by the trigger column).
"""

from __future__ import annotations

from dataward.sources.connectors.base import ColumnDescription, Description, TableDescription
from dataward.sources.index_advice import advice, index_statement
from dataward.sources.models import Binding


def _table(name: str, *columns: str, indexes: tuple[tuple[str, ...], ...] = ()) -> TableDescription:
    described = {c: ColumnDescription(c, "string", "VARCHAR") for c in columns}
    return TableDescription(name, described, indexes)


def _binding(**fields: object) -> Binding:
    return Binding.model_validate({"connection": "db", "table": "cases", "key": "id", **fields})


def test_it_advises_a_column_once_when_two_queries_filter_on_it() -> None:
    # RULES: RET-01
    cases = _table("cases", "id", "opened_on", indexes=(("id",),))
    binding = _binding(identities={"case_ref": "opened_on"}, events={"case_opened": "opened_on"})
    found = list(advice(("datasets", "cases", 0), binding, Description({"cases": cases})))
    assert [(a.table, a.columns) for a in found] == [("cases", ("opened_on",))]


def test_it_follows_a_relation_that_loops_back_and_stops() -> None:
    cases = _table("cases", "id", "parent_id", indexes=(("id",),))
    binding = _binding(subject={"via": "parent_id", "table": "cases", "key": "id"})
    found = list(advice(("datasets", "cases", 0), binding, Description({"cases": cases})))
    assert [a.path[-2:] for a in found] == [("subject", "via")]


def test_an_index_led_by_another_column_does_not_count() -> None:
    # RULES: RET-01
    cases = _table(
        "cases", "id", "returned_on", "debtor_id", indexes=(("debtor_id", "returned_on"),)
    )
    binding = _binding(events={"case_returned": "returned_on"})
    found = list(advice(("datasets", "cases", 0), binding, Description({"cases": cases})))
    assert [a.statement for a in found] == [
        "CREATE INDEX ix_cases_id ON cases (id);",
        "CREATE INDEX ix_cases_returned_on ON cases (returned_on);",
    ]


def test_a_long_name_is_cut_to_what_postgresql_keeps() -> None:
    statement = index_statement("s" * 40 + ".t" + "u" * 30, ("c" * 20,))
    name = statement.split()[2]
    assert len(name) == 63
    assert statement.endswith(f"ON {'s' * 40}.t{'u' * 30} ({'c' * 20});")
