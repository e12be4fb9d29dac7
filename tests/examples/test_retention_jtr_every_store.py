"""JTR's "all customer data in every datastore, except BWV footage" (issue 20; RULES: RET-01,
RET-03; fact ``retention.t2``), proved by enumeration, not by a hand list.

The tables are the demo schema's own (``schema.metadata``): a table holds a customer's data
when its foreign keys lead to ``debtors``. The datasets are the register's: those the
``customer_data`` rule covers (``covers_dataset``, as the linter and the plan read it), and
where they live is the demo's sources file. One customer whose last case came back in 2019
has a row in every such table (and a file where the table has files); on 31 December 2025
the engine runs, and afterwards no row of any table reaches the customer any more, except
in the datasets the register itself gives other rules. A table or dataset added later is
checked the same way, or fails the enumeration until the sources file says where it is.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from jtr_agency import agency, cases, debtors, with_files
from runs_support import JTR, register_of, runs
from sqlalchemy import create_engine, select

from dataward.demo import schema
from dataward.demo.sources import NOT_IN_DEMO, NOT_IN_REGISTER
from dataward.erasure.survey import (
    ANONYMISE_RULES,
    KEEP_COLUMN,
    changes_of,
    retention_how_of,
)
from dataward.register.lint_rules.retention import covers_dataset
from dataward.sources.versions import current_sources
from dataward.uow import UnitOfWork

RULE = "customer_data"
ROOT = schema.debtors.name
Rows = dict[str, dict[int, dict[str, Any]]]


def _holding_customer_data() -> set[str]:
    """The schema's tables whose foreign keys lead, in any number of hops, to debtors."""
    found = {ROOT}
    grew = True
    while grew:
        grew = False
        for table in schema.TABLES:
            if table.name not in found and any(
                fk.column.table.name in found for fk in table.foreign_keys
            ):
                found.add(table.name)
                grew = True
    return found


def _read_all(url: str) -> Rows:
    """Every table of the demo schema, row by key (a few rows each)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: {row.id: dict(row._mapping) for row in conn.execute(select(table))}
                for table in schema.TABLES
            }
    finally:
        engine.dispose()


def _reaches(rows: Rows, table: str, key: int, customer: int) -> bool:
    """Whether this row leads to the customer's row, along any of its foreign keys."""
    if table == ROOT:
        return key == customer
    row = rows[table][key]
    for fk in schema.metadata.tables[table].foreign_keys:
        parent = fk.column.table.name
        value = row[fk.parent.name]
        if value is not None and value in rows[parent] and _reaches(rows, parent, value, customer):
            return True
    return False


def _of_customer(rows: Rows, customer: int) -> dict[str, set[int]]:
    """Per table, the keys of the rows that reach the customer."""
    return {t: {k for k in found if _reaches(rows, t, k, customer)} for t, found in rows.items()}


def _everywhere(customer: int, case: int, returned: date, files: Path) -> dict[str, list[Any]]:
    """One customer with a row in every table holding customer data: ids are the
    customer's number, so one customer's rows never collide with another's."""
    n, when = customer, datetime(returned.year, returned.month, returned.day, 10)
    person = {"email": f"c{n}@example.com", "phone": "07700900123", "ni_number": "QQ123456C"}
    more = {"middle_name": "M", "date_of_birth": date(1980, 1, 1), "address_line2": "Flat 1"}
    on_case = {"case_id": case}
    return {
        "debtors": [row | person | more | {"vulnerable": True} for row in debtors(n)],
        "cases": cases((case, n, returned)),
        "payments": [
            {"id": n, **on_case, "paid_on": returned, "amount_pence": 500} | {"method": "card"}
        ],
        "agent_visits": [
            {"id": n, **on_case, "visited_at": when, "agent": "EA1", "outcome": "paid"}
        ],
        "notes": [
            {"id": n, **on_case, "written_at": when, "author": "EA1", "body": "Paid in full."}
        ],
        "complaints": [
            {"id": n, **on_case, "opened_on": returned, "closed_on": returned}
            | {"category": "conduct"}
        ],
        "investigations": [
            {"id": n, **on_case, "opened_on": returned, "closed_on": returned}
            | {"reason": "conduct"}
        ],
        "body_worn_video": with_files(
            files, [{"id": n, **on_case, "visit_id": n, "recorded_at": when}], "body_worn_video"
        ),
        "call_recordings": with_files(
            files,
            [
                {
                    "id": n,
                    **on_case,
                    "recorded_at": when,
                    "caller_number": "07700900123",
                    "direction": "in",
                    "duration_seconds": 60,
                }
            ],
            "call_recordings",
        ),
        "vulnerability_evidence": with_files(
            files,
            [
                {
                    "id": n,
                    "debtor_id": n,
                    **on_case,
                    "received_on": returned,
                    "kind": "medical letter",
                    "assessed_at": when,
                }
            ],
            "vulnerability_evidence",
        ),
        "new_occupiers": [
            {
                "id": n,
                "occupier_ref": f"N{n}",
                **on_case,
                "title": "Mx",
                "first_name": "N",
                "last_name": "O",
                "address_line1": "1 High Street",
                "town": "Leeds",
                "postcode": "LS1 1AA",
                "reported_on": returned,
            }
        ],
        "new_occupier_evidence": with_files(
            files,
            [
                {
                    "id": n,
                    "new_occupier_id": n,
                    "received_on": returned,
                    "kind": "lease",
                    "channel": "post",
                }
            ],
            "new_occupier_evidence",
        ),
        "assessments": [
            {
                "id": n,
                "evidence_id": n,
                "assessed_at": when,
                "assessor": "back office",
                "outcome": "accepted",
            }
        ],
    }


def _personal(binding: Any) -> set[str]:
    """The columns the sources file says find or describe the person: identities, and
    columns with a register data category."""
    found: set[str] = set()
    for column in binding.identities.values():
        found.update([column] if isinstance(column, str) else column)
    found.update(name for name, info in binding.columns.items() if info.category is not None)
    return found


def _kept_with_reason(binding: Any) -> set[str]:
    """Columns the end of the period keeps, each with the sources file's reason
    (``{keep: reason}``)."""
    return {name for name, how in retention_how_of(binding).items() if how == KEEP_COLUMN}


# RULES: RET-01 (6 years after the end of the year of the last case returned, in every
# datastore but BWV), RET-03 (each change counted by its table's evidence). Fact retention.t2.
@runs("retention.t2")
def test_it_leaves_nothing_of_a_customer_in_any_datastore_but_what_other_rules_govern(
    uow: UnitOfWork, source_url: str, tmp_path: Path
) -> None:
    files = tmp_path / "files"
    first = _everywhere(1, 1, date(2019, 11, 30), files)  # last case back in 2019: goes
    second = _everywhere(2, 2, date(2021, 6, 1), files)  # back in 2021: not yet
    rows = {table: first[table] + second[table] for table in first}
    holding = _holding_customer_data()
    # A row in every table holding customer data: a table added to the schema fails here
    # until this customer has a row in it.
    assert holding == {table for table, found in rows.items() if found}
    sweep = agency(uow, source_url, rows, files=files)

    register = register_of(JTR)
    rule = next(r for r in register.retention_rules if r.id == RULE)
    sources = current_sources(uow, sweep.organisation).parsed().sources
    tables_of = {d: {b.table for b in bound} for d, bound in sources.datasets.items()}
    covered = {d.id for d in register.datasets if covers_dataset(rule, d)}
    bindings = {b.table: b for d in covered & set(tables_of) for b in sources.datasets[d]}
    # The register gives these to other rules: BWV (RET-01 90 days, t4), call recordings
    # (30 days, t7) and vulnerability evidence ("as soon as reasonably necessary", t9) are
    # excepted from the six years because the notice gives them their own periods.
    excepted = {t for d in rule.covers.except_datasets for t in tables_of.get(d, set())}
    governed_by = {
        d: [r.id for r in register.retention_rules if covers_dataset(r, ds)]
        for ds in register.datasets
        if (d := ds.id) in rule.covers.except_datasets and d in tables_of
    }
    assert governed_by == {
        "body_worn_video": ["body_worn_video"],
        "call_recordings": ["call_recordings"],
        "vulnerability_evidence": ["vulnerability_evidence"],
    }
    # Datasets of other groups only (the new occupiers' own, t10), and tables the sources
    # file says are outside the register, with its reason (investigations: hold records).
    others = {
        t
        for ds in register.datasets
        if ds.id in tables_of and "customers" not in ds.subject_groups
        for t in tables_of[ds.id]
    }
    outside = set(sources.not_in_register) & holding
    # (The clients, also outside the register, are organisations: no key leads to a debtor.)
    assert outside == set(NOT_IN_REGISTER) - {"clients"} == {"investigations"}
    # Every datastore: each table holding customer data is bound by the rule, or the
    # register gives it to another rule or another group, or it is declared outside it.
    assert holding - set(bindings) - excepted - others - outside == set()
    assert excepted == {"body_worn_video", "call_recordings", "vulnerability_evidence"}
    # A dataset the rule covers that no connection reaches is searched by hand, never lost.
    unbound = covered - set(tables_of)
    assert unbound <= set(sources.searched_by_hand) == set(NOT_IN_DEMO)
    # The one personal column a kept row keeps, with the sources file's reason: the case's
    # reference, which the client's figures are reported by; the case no longer leads to
    # the customer (its debtor_id is emptied).
    kept = {t: _personal(b) & _kept_with_reason(b) for t, b in bindings.items()}
    assert {t: found for t, found in kept.items() if found} == {"cases": {"case_ref"}}

    before = _read_all(source_url)
    mine = _of_customer(before, 1)
    assert all(mine[table] for table in holding)
    day = sweep.day(date(2025, 12, 31))
    after = _read_all(source_url)

    assert {
        r.dataset: r.status for r in day.records_of(RULE) if r.dataset in unbound
    } == dict.fromkeys(unbound, "searched_by_hand")
    for table, binding in bindings.items():
        # Exactly this customer's rows are acted on, and each is counted by the evidence.
        went = day.gone(RULE, table) + day.anonymised(RULE, table)
        assert sorted(went) == sorted(mine[table]), table
        how = retention_how_of(binding)
        delete_row, values = changes_of(how)
        for key in mine[table]:
            if delete_row:
                assert key not in after[table], (table, key)
                continue
            row = after[table][key]
            # Kept: every personal column holds what the sources file says the end of the
            # period leaves, but for a column it keeps with a reason.
            for column in _personal(binding) - _kept_with_reason(binding):
                assert column in values, (table, column, "kept with no reason")
            for column, value in values.items():
                assert row[column] == value, (table, key, column, row[column])
        # The other customer's rows are not this rule's yet.
        for key in _of_customer(before, 2)[table]:
            assert after[table][key] == before[table][key], (table, key)

    # Nothing else reaches the customer: the anonymised row itself, and vulnerability
    # evidence, whose rule needs a decision (t9): kept, with its file.
    left = {table: keys for table, keys in _of_customer(after, 1).items() if keys}
    assert left == {"debtors": {1}, "vulnerability_evidence": {1}}
    assert day.rule("vulnerability_evidence").status == "needs_decision"
    assert (files / "vulnerability_evidence/1.pdf").exists()
    # BWV and call recordings are theirs: this rule has no record of them, their own rules
    # deleted both customers' (past 90 and 30 days), with their files.
    acted_here = {r.table for r in day.records_of(RULE) if r.table}
    assert acted_here == set(bindings)
    assert not acted_here & (excepted | others | outside)
    for table in ("body_worn_video", "call_recordings"):
        assert day.gone(table, table) == [1, 2]
        assert not (files / f"{table}/1.pdf").exists()
    # The debtor's row: the client's reference, contact details, identity, name and
    # address all gone or overwritten; only its key and the day it was created remain.
    debtor = after["debtors"][1]
    assert debtor["customer_ref"] is None
    assert debtor["first_name"] == ANONYMISE_RULES["redact"]
    assert {k for k, v in debtor.items() if v == before["debtors"][1][k]} == {"id", "created_on"}
