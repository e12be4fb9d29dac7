"""`sources check --connect` advises the indexes the retention run needs (issue 20), on
SQLite and PostgreSQL: trigger columns, the `via` column of a hold or a trigger read on a
related table, an entity's reference where a hold is bound and each hop to it, and the key a
run pages by. Advice is a warning with the CREATE INDEX to run; the statement removes it.
RULES: RET-01 (the plan counts the rows due by the trigger), RET-02 (holds are read per row).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sources_support import line_of, locate
from sqlalchemy import create_engine, text

from dataward.scratch import scratch_databases
from dataward.sources.check import check_connected

SCHEMA = (
    "CREATE TABLE debtors (id INTEGER PRIMARY KEY, email VARCHAR(254))",
    "CREATE TABLE cases (id INTEGER PRIMARY KEY, case_ref VARCHAR(20), debtor_id INTEGER)",
    "CREATE TABLE case_closures (id INTEGER PRIMARY KEY, case_id INTEGER, closed_on DATE)",
    "CREATE TABLE complaints (id INTEGER PRIMARY KEY, case_id INTEGER, closed_on DATE)",
    "CREATE TABLE recordings (id INTEGER PRIMARY KEY, case_ref VARCHAR(20), recorded_at TIMESTAMP)",
    # No primary key: the run pages through it by ref, and nothing indexes ref.
    "CREATE TABLE notes (ref VARCHAR(20), written_on DATE)",
)

SOURCES = """\
format_version: 1
organisation: jtr_collections
connections:
  shop:
    kind: sql
    url_from: SHOP_DB_URL
datasets:
  cases:
    - connection: shop
      table: cases
      key: id
      subject: {via: debtor_id, table: debtors, key: id}
      entities:
        case: case_ref
      events:
        case_closed: {table: case_closures, via: case_id, column: closed_on}
      holds:
        complaint_open: {table: complaints, via: case_id, open_when_null: closed_on}
  recordings:
    - connection: shop
      table: recordings
      key: id
      entities:
        case: {via: case_ref, table: cases, key: case_ref}
      events:
        recording_made: recorded_at
  notes:
    - connection: shop
      table: notes
      key: ref
      events:
        note_written: written_on
"""

# What the check advises: the sources file's path, the line naming the column, the statement.
ADVISED = {
    "datasets.cases[0].subject.via": (
        "subject: {via: debtor_id",
        "CREATE INDEX ix_cases_debtor_id ON cases (debtor_id);",
    ),
    "datasets.cases[0].entities.case": (
        "case: case_ref",
        "CREATE INDEX ix_cases_case_ref ON cases (case_ref);",
    ),
    "datasets.cases[0].events.case_closed.via": (
        "case_closed:",
        "CREATE INDEX ix_case_closures_case_id ON case_closures (case_id);",
    ),
    "datasets.cases[0].holds.complaint_open.via": (
        "complaint_open:",
        "CREATE INDEX ix_complaints_case_id ON complaints (case_id);",
    ),
    "datasets.recordings[0].entities.case.key": (
        "case: {via: case_ref",
        "CREATE INDEX ix_cases_case_ref ON cases (case_ref);",
    ),
    "datasets.recordings[0].events.recording_made": (
        "recording_made:",
        "CREATE INDEX ix_recordings_recorded_at ON recordings (recorded_at);",
    ),
    "datasets.notes[0].key": ("key: ref", "CREATE INDEX ix_notes_ref ON notes (ref);"),
    "datasets.notes[0].events.note_written": (
        "note_written:",
        "CREATE INDEX ix_notes_written_on ON notes (written_on);",
    ),
}


@pytest.fixture
def shop(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database with the tables above and no index but the primary keys'."""

    def build(url: str) -> str:
        engine = create_engine(url)
        with engine.begin() as conn:
            for statement in SCHEMA:
                conn.execute(text(statement))
        engine.dispose()
        return url

    if backend == "sqlite":
        yield build(f"sqlite:///{tmp_path_factory.mktemp('shop') / 'shop.db'}")
        return
    admin = os.environ["DATAWARD_TEST_DATABASE_URL"]
    with scratch_databases(admin, "shop") as (url,):
        yield build(url)


def test_it_advises_each_column_the_retention_run_filters_on_without_an_index(
    shop: str,
) -> None:
    # RULES: RET-01, RET-02
    result = check_connected(locate(SOURCES), env={"SHOP_DB_URL": shop})
    assert result.errors == [], [f.lines() for f in result.errors]
    advised = {f.problem.path: (f.problem.line, f.fix) for f in result.warnings}
    assert advised == {
        path: (line_of(SOURCES, needle), fix) for path, (needle, fix) in ADVISED.items()
    }
    # Advice, not a problem: the check still passes.
    assert result.exit_code == 0
    trigger = next(f for f in result.warnings if f.problem.path.endswith("recording_made"))
    assert trigger.problem.message.startswith(
        "no index on recordings.recorded_at: the trigger recording_made: the retention plan "
        "counts the rows due by it"
    )


def test_the_statements_advised_remove_the_advice(shop: str) -> None:
    # RULES: RET-01, RET-02
    engine = create_engine(shop)
    with engine.begin() as conn:
        for statement in sorted({fix for _, fix in ADVISED.values()}):
            conn.execute(text(statement))
    engine.dispose()
    result = check_connected(locate(SOURCES), env={"SHOP_DB_URL": shop})
    assert result.findings == []


def test_a_table_with_a_primary_key_gets_no_key_advice(shop: str) -> None:
    result = check_connected(locate(SOURCES), env={"SHOP_DB_URL": shop})
    paths = {f.problem.path for f in result.warnings}
    assert "datasets.cases[0].key" not in paths
    assert "datasets.recordings[0].key" not in paths
