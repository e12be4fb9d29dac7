"""Connectors and `sources check --connect` on the demo agency, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sources_support import (
    DEMO_SOURCES,
    Agency,
    built_agency,
    line_of,
    locate,
)
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import DBAPIError

from dataward.scratch import scratch_databases
from dataward.sources.check import check_connected
from dataward.sources.connectors import open_all, open_connector
from dataward.sources.connectors.base import (
    Connector,
    SourceUnavailable,
    root_of,
    stream_subject,
)
from dataward.sources.connectors.blobs import BlobConnector
from dataward.sources.connectors.sql import SqlConnector

SUBJECTS = 1200


@pytest.fixture(scope="session")
def agency(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agency]:
    files = tmp_path_factory.mktemp("agency_files")
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('agency') / 'agency.db'}"
        with built_agency(url, files, SUBJECTS) as built:
            yield built
        return
    import os

    admin = os.environ["DATAWARD_TEST_DATABASE_URL"]
    with scratch_databases(admin, "agency") as (url,), built_agency(url, files, SUBJECTS) as built:
        yield built


@pytest.fixture
def connectors(agency: Agency) -> Iterator[dict[str, Connector]]:
    opened = open_all(locate(DEMO_SOURCES).sources, agency.env)
    yield opened
    for connector in opened.values():
        connector.close()


def _check(agency: Agency, text_: str) -> list[str]:
    result = check_connected(locate(text_), env=agency.env)
    return [line for finding in result.findings for line in finding.lines()]


# The check -----------------------------------------------------------------------------------


def test_the_demo_sources_pass_the_check(agency: Agency) -> None:
    result = check_connected(locate(DEMO_SOURCES), env=agency.env)
    assert result.errors == [], [f.lines() for f in result.errors]
    assert sorted(result.connected) == ["agency", "agency_files"]
    assert result.exit_code == 0


def test_an_identity_column_without_an_index_is_a_warning_with_the_statement(
    agency: Agency,
) -> None:
    result = check_connected(locate(DEMO_SOURCES), env=agency.env)
    email = [
        f for f in result.warnings if f.problem.path == "datasets.customers[0].identities.email"
    ]
    assert len(email) == 1
    assert email[0].problem.line == line_of(DEMO_SOURCES, "        ni_number: ni_number") - 2
    assert email[0].fix == "CREATE INDEX ix_debtors_email ON debtors (email);"
    # customer_ref is unique (indexed), and every relation column of the demo is indexed.
    paths = {f.problem.path for f in result.warnings}
    assert "datasets.customers[0].identities.customer_ref" not in paths
    assert not any(".subject" in p for p in paths)


def test_the_statement_removes_the_warning(agency: Agency, tmp_path: Path) -> None:
    engine = create_engine(agency.url)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE INDEX ix_debtors_email ON debtors (email)"))
        result = check_connected(locate(DEMO_SOURCES), env=agency.env)
        assert "datasets.customers[0].identities.email" not in {
            f.problem.path for f in result.warnings
        }
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_debtors_email"))
        engine.dispose()


@pytest.mark.parametrize(
    ("old", "new", "path", "message"),
    [
        (
            "      table: agent_visits",
            "      table: agent_visitz",
            "datasets.visits[0].table",
            "table agent_visitz does not exist in connection agency",
        ),
        (
            "        ni_number: ni_number",
            "        ni_number: ni_numbr",
            "datasets.customers[0].identities.ni_number",
            "identity (ni_number) column ni_numbr does not exist in table debtors",
        ),
        (
            "      subject: {via: new_occupier_id, table: new_occupiers, key: id}",
            "      subject: {via: new_occupier_id, table: occupiers, key: id}",
            "datasets.new_occupier_evidence[1].subject.table",
            "table occupiers does not exist in connection agency",
        ),
        (
            "      subject: {via: debtor_id, table: debtors, key: id}\n      files",
            "      subject: {via: debtor, table: debtors, key: id}\n      files",
            "datasets.vulnerability_evidence[0].subject.via",
            "relation column debtor does not exist in table vulnerability_evidence",
        ),
        (
            "        case_returned: returned_on",
            "        case_returned: case_ref",
            "datasets.cases[0].events.case_returned",
            "event column cases.case_ref is VARCHAR(30), not a date",
        ),
        (
            "      subject: {via: debtor_id, table: debtors, key: id}\n      events",
            "      subject: {via: case_ref, table: debtors, key: id}\n      events",
            "datasets.cases[0].subject.via",
            "cases.case_ref (VARCHAR(30)) cannot be compared with debtors.id",
        ),
        (
            "      subject: {via: debtor_id, table: debtors, key: id}\n      events",
            "      subject: {via: debtor_id, table: debtors, key: id, "
            "then: {via: id, table: debtors, key: id}}\n      events",
            "datasets.cases[0].subject",
            "the relation through debtors loops back on itself",
        ),
    ],
)
def test_each_problem_is_reported_at_its_line(
    agency: Agency, old: str, new: str, path: str, message: str
) -> None:
    assert DEMO_SOURCES.count(old) == 1
    broken = DEMO_SOURCES.replace(old, new)
    result = check_connected(locate(broken), env=agency.env)
    assert result.exit_code == 1
    found = [f for f in result.errors if f.problem.path == path]
    assert len(found) == 1, [f.lines() for f in result.errors]
    assert found[0].problem.message.startswith(message)
    assert found[0].problem.line == line_of(broken, new.splitlines()[0])


def test_a_relation_column_without_an_index_is_warned(agency: Agency) -> None:
    engine = create_engine(agency.url)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX ix_complaints_case_id"))
        result = check_connected(locate(DEMO_SOURCES), env=agency.env)
        found = [
            f for f in result.warnings if f.problem.path == "datasets.complaints[0].subject.via"
        ]
        assert len(found) == 1
        assert found[0].fix == "CREATE INDEX ix_complaints_case_id ON complaints (case_id);"
        assert found[0].problem.line == line_of(DEMO_SOURCES, "      table: complaints") + 3
    finally:
        with engine.begin() as conn:
            conn.execute(text("CREATE INDEX ix_complaints_case_id ON complaints (case_id)"))
        engine.dispose()


def test_an_unset_variable_is_named_and_the_url_never_shown(agency: Agency) -> None:
    env = {"AGENCY_FILES_DIR": str(agency.files)}
    result = check_connected(locate(DEMO_SOURCES), env=env)
    assert result.exit_code == 1
    (finding,) = [f for f in result.errors if f.problem.path == "connections.agency.url_from"]
    assert "AGENCY_DB_URL is not set" in finding.problem.message
    assert finding.problem.line == line_of(DEMO_SOURCES, "url_from: AGENCY_DB_URL")
    with pytest.raises(SourceUnavailable, match="AGENCY_DB_URL") as raised:
        open_connector("agency", locate(DEMO_SOURCES).sources.connections["agency"], env)
    assert "postgres" not in str(raised.value)
    assert "sqlite" not in str(raised.value)


def test_a_database_that_is_down_names_the_connection_not_its_password() -> None:
    env = {
        "AGENCY_DB_URL": "postgresql+psycopg://agency:s3cret-pw@127.0.0.1:1/agency",
        "AGENCY_FILES_DIR": "/nonexistent-folder",
    }
    result = check_connected(locate(DEMO_SOURCES), env=env)
    lines = [line for f in result.findings for line in f.lines()]
    assert any("connection agency: the database cannot be reached" in line for line in lines)
    assert any("connection agency_files: its folder does not exist" in line for line in lines)
    assert not any("s3cret" in line or "127.0.0.1" in line for line in lines)


def test_a_read_only_connection_refuses_writes(agency: Agency) -> None:
    connector = SqlConnector("agency", agency.url, read_only=True)
    try:
        with connector.engine.connect() as conn, pytest.raises(DBAPIError):
            conn.execute(text("UPDATE debtors SET email = NULL WHERE id = 1"))
        with pytest.raises(Exception, match="read_only"):
            connector.write_guard()
    finally:
        connector.close()


# Streaming a subject's rows --------------------------------------------------------------

HAND_SQL = {
    "debtors": "SELECT d.id FROM debtors d WHERE {who}",
    "cases": "SELECT c.id FROM cases c JOIN debtors d ON c.debtor_id = d.id WHERE {who}",
    **{
        table: f"SELECT x.id FROM {table} x JOIN cases c ON x.case_id = c.id "
        "JOIN debtors d ON c.debtor_id = d.id WHERE {who}"
        for table in ("payments", "agent_visits", "notes", "body_worn_video", "complaints")
    },
    "call_recordings": "SELECT x.id FROM call_recordings x JOIN cases c ON x.case_id = c.id "
    "JOIN debtors d ON c.debtor_id = d.id WHERE {who} "
    "UNION SELECT x.id FROM call_recordings x WHERE x.caller_number IN ({phones})",
    "vulnerability_evidence": "SELECT x.id FROM vulnerability_evidence x "
    "JOIN debtors d ON x.debtor_id = d.id WHERE {who}",
    "new_occupiers": "SELECT o.id FROM new_occupiers o WHERE {who_o}",
    "new_occupier_evidence": "SELECT e.id FROM new_occupier_evidence e "
    "JOIN new_occupiers o ON e.new_occupier_id = o.id WHERE {who_o}",
}


def _quoted(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values) or "NULL"


def _hand(agency: Agency, emails: list[str], phones: list[str]) -> dict[str, set[int]]:
    e, p = _quoted(emails), _quoted(phones)
    where = {
        "who": f"(d.email IN ({e}) OR d.phone IN ({p}))",
        "who_o": f"(o.email IN ({e}) OR o.phone IN ({p}))",
        "phones": p,
    }
    engine = create_engine(agency.url)
    try:
        with engine.connect() as conn:
            return {
                table: {int(r[0]) for r in conn.execute(text(sql.format(**where)))}
                for table, sql in HAND_SQL.items()
            }
    finally:
        engine.dispose()


def _streamed(
    connectors: dict[str, Connector], values: dict[str, Any]
) -> tuple[dict[str, set[int]], dict[str, int]]:
    found: dict[str, set[int]] = {}
    rows: dict[str, int] = {}
    for part in stream_subject(locate(DEMO_SOURCES).sources, connectors, values):
        table = part.binding.table or ""
        ids = [int(row["id"]) for row in part.rows]
        rows[table] = rows.get(table, 0) + len(ids)
        found.setdefault(table, set()).update(ids)
    return found, rows


def test_a_subjects_rows_are_exactly_what_hand_written_sql_returns(
    agency: Agency, connectors: dict[str, Connector]
) -> None:
    # Debtors with visits, so that every relation has rows to follow; and an occupier.
    engine = create_engine(agency.url)
    with engine.connect() as conn:
        chosen = conn.execute(
            text(
                "SELECT DISTINCT d.email, d.phone FROM debtors d JOIN cases c "
                "ON c.debtor_id = d.id JOIN body_worn_video b ON b.case_id = c.id "
                "WHERE d.email IS NOT NULL AND d.phone IS NOT NULL ORDER BY d.email LIMIT 3"
            )
        ).all()
        occupier = conn.execute(
            text("SELECT email FROM new_occupiers WHERE email IS NOT NULL ORDER BY id LIMIT 1")
        ).scalar_one()
    engine.dispose()
    emails = [r[0] for r in chosen] + [occupier]
    phones = [r[1] for r in chosen]
    found, rows = _streamed(connectors, {"email": emails, "phone": phones})
    expected = _hand(agency, emails, phones)
    for table, ids in expected.items():
        assert found.get(table, set()) == ids, table
        assert rows.get(table, 0) == len(ids), f"{table}: a row was yielded twice"
    assert len(expected["body_worn_video"]) >= 3
    assert expected["new_occupier_evidence"]


def test_rows_for_a_thousand_subjects_take_a_bounded_number_of_queries(
    agency: Agency, connectors: dict[str, Connector]
) -> None:
    sql = connectors["agency"]
    assert isinstance(sql, SqlConnector)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    emails = sorted(d.email for d in agency.people.debtors if d.email)
    _streamed(connectors, {"email": emails[:1]})  # reflects the tables, once per connector
    event.listen(sql.engine, "before_cursor_execute", count)
    try:
        few, _ = _streamed(connectors, {"email": emails[:10]})
        queries_for_ten = len(statements)
        statements.clear()
        many, _ = _streamed(connectors, {"email": emails[:1000]})
        queries_for_thousand = len(statements)
    finally:
        event.remove(sql.engine, "before_cursor_execute", count)
    assert len(many["debtors"]) == 1000
    assert len(few["debtors"]) == 10
    assert sum(len(v) for v in many.values()) > 10_000
    # One query per root table, one per binding with rows to find: not one per subject.
    # A binding with more rows than a batch (2,000) streams the rest with one more query.
    assert queries_for_ten <= queries_for_thousand <= queries_for_ten + len(_bindings())
    assert queries_for_ten <= 2 + len(_bindings())


def _bindings() -> list[Any]:
    return [b for bs in locate(DEMO_SOURCES).sources.datasets.values() for b in bs]


def test_small_batches_stream_the_same_rows(
    agency: Agency, connectors: dict[str, Connector]
) -> None:
    sources = locate(DEMO_SOURCES).sources
    emails = sorted(d.email for d in agency.people.debtors if d.email)[:50]
    binding = sources.datasets["payments"][0]
    root = root_of(sources, binding)
    assert root is not None
    assert root.table == "debtors"
    sql = connectors["agency"]
    keys = sql.subject_keys(root.table, root.key, root.identities, {"email": emails})
    whole = [r["id"] for r in sql.rows_for(binding, keys, {}, batch_size=5000)]
    small = [r["id"] for r in sql.rows_for(binding, keys, {}, batch_size=7)]
    assert sorted(whole) == sorted(small)
    assert len(whole) > 7


def test_the_files_of_a_subjects_rows_are_found_with_their_sizes(
    agency: Agency, connectors: dict[str, Connector]
) -> None:
    sources = locate(DEMO_SOURCES).sources
    blobs = connectors["agency_files"]
    assert isinstance(blobs, BlobConnector)
    debtor = next(d for d in agency.people.debtors if d.email)
    for part in stream_subject(
        sources, connectors, {"email": [debtor.email]}, datasets={"call_recordings"}
    ):
        assert part.binding.files is not None
        rows = list(part.rows)
        files = list(blobs.files_for(rows, part.binding.files))
        assert [f["path"] for f in files] == [r["file_path"] for r in rows]
        assert all(f["size"] == r["size_bytes"] for f, r in zip(files, rows, strict=True))


def test_a_csv_source_follows_its_relation_into_the_database(
    agency: Agency, tmp_path: Path
) -> None:
    # Letters exported as CSV by another system: each names the debtor it went to.
    (tmp_path / "letters").mkdir()
    debtors = [d for d in agency.people.debtors if d.email][:3]
    lines = ["id,debtor_id,sent_on"] + [
        f"{n},{debtors[n % 3].id},2026-0{n % 9 + 1}-01" for n in range(1, 10)
    ]
    (tmp_path / "letters" / "2026.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    text_ = DEMO_SOURCES.replace(
        "datasets:\n",
        "  letters:\n    kind: csv\n    url_from: LETTERS_DIR\ndatasets:\n",
        1,
    ).replace(
        "  complaints:\n",
        "  web_enquiries:\n    - connection: letters\n      pattern: letters/*.csv\n"
        "      key: id\n      subject: {via: debtor_id, table: debtors, key: id}\n"
        "  complaints:\n",
        1,
    )
    env = {**agency.env, "LETTERS_DIR": str(tmp_path)}
    located = locate(text_)
    assert check_connected(located, env=env).errors == []
    opened = open_all(located.sources, env)
    try:
        found = {
            part.dataset: [row["id"] for row in part.rows]
            for part in stream_subject(
                located.sources,
                opened,
                {"email": [debtors[1].email]},
                datasets={"web_enquiries"},
            )
        }
    finally:
        for connector in opened.values():
            connector.close()
    assert found == {"web_enquiries": ["1", "4", "7"]}
