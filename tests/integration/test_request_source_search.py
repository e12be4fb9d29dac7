"""A verified request searched in the organisation's own sources (issue 18, SAR-07), on the
demo agency built small, on SQLite and PostgreSQL.

The agency's sources file binds nine of the register's thirteen datasets; the other four
(portal accounts, research footage, vehicle cameras, web enquiries) stay manual tasks.
Dates are explicit; the clock is the test's.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from sources_support import DEMO_SOURCES, Agency, built_agency, locate
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.orm import sessionmaker
from typer.testing import CliRunner, Result
from web_support import csrf_from, fresh_console_app, signed_in

from dataward.audit.models import AuditEvent
from dataward.audit.service import verify
from dataward.cli import request_cmd
from dataward.cli.app import app
from dataward.clock import FixedClock
from dataward.crypto.keystore import Vault
from dataward.demo.people import Debtor
from dataward.publication.registers import store_register
from dataward.publication.sources import store_sources
from dataward.register.loader import load_register
from dataward.requests.errors import TransitionRefused
from dataward.requests.models import RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.source_search import (
    IdentityNotProven,
    NoSubjectLinked,
    NothingToSearch,
    search_sources,
)
from dataward.requests.task_models import RequestTask
from dataward.requests.tasks import result_of, tasks_of
from dataward.requests.transitions import Step, link_subject, verify_identity, withdraw
from dataward.runtime import Runtime
from dataward.scratch import scratch_databases
from dataward.sources.connectors import open_all
from dataward.sources.connectors.base import SourceUnavailable
from dataward.sources.errors import SourcesNotFound
from dataward.subjects.service import add_subject, merge_subjects
from dataward.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[2]
ORG = "jtr_collections"
CASE = "user:u_case"
SUBJECTS = 300
BOUND = {
    "customers",
    "cases",
    "payments",
    "visits",
    "body_worn_video",
    "call_recordings",
    "vulnerability_evidence",
    "new_occupier_evidence",
    "complaints",
}
TABLES = {
    "debtors",
    "cases",
    "payments",
    "agent_visits",
    "notes",
    "body_worn_video",
    "call_recordings",
    "vulnerability_evidence",
    "new_occupiers",
    "new_occupier_evidence",
    "complaints",
}
FROM = re.compile(r"\bFROM\s+(\w+)", re.IGNORECASE)
UNBOUND = {"portal_accounts", "research_bwv_footage", "vehicle_camera_footage", "web_enquiries"}

# (rows, files) per dataset for a set of emails {e} and phones {p}, written by hand.
HAND_SQL: dict[str, list[str]] = {
    "customers": ["SELECT COUNT(*), 0 FROM debtors d WHERE {who}"],
    "cases": ["SELECT COUNT(*), 0 FROM cases c JOIN debtors d ON c.debtor_id = d.id WHERE {who}"],
    "payments": [
        "SELECT COUNT(*), 0 FROM payments p JOIN cases c ON p.case_id = c.id "
        "JOIN debtors d ON c.debtor_id = d.id WHERE {who}"
    ],
    "visits": [
        "SELECT COUNT(*), 0 FROM agent_visits v JOIN cases c ON v.case_id = c.id "
        "JOIN debtors d ON c.debtor_id = d.id WHERE {who}",
        "SELECT COUNT(*), 0 FROM notes n JOIN cases c ON n.case_id = c.id "
        "JOIN debtors d ON c.debtor_id = d.id WHERE {who}",
    ],
    "body_worn_video": [
        "SELECT COUNT(*), COUNT(b.file_path) FROM body_worn_video b JOIN cases c "
        "ON b.case_id = c.id JOIN debtors d ON c.debtor_id = d.id WHERE {who}"
    ],
    "call_recordings": [
        "SELECT COUNT(*), COUNT(r.file_path) FROM call_recordings r WHERE r.caller_number IN "
        "({p}) OR r.case_id IN (SELECT c.id FROM cases c JOIN debtors d "
        "ON c.debtor_id = d.id WHERE {who})"
    ],
    "vulnerability_evidence": [
        "SELECT COUNT(*), COUNT(v.file_path) FROM vulnerability_evidence v "
        "JOIN debtors d ON v.debtor_id = d.id WHERE {who}"
    ],
    "new_occupier_evidence": [
        "SELECT COUNT(*), 0 FROM new_occupiers o WHERE {who_o}",
        "SELECT COUNT(*), COUNT(e.file_path) FROM new_occupier_evidence e "
        "JOIN new_occupiers o ON e.new_occupier_id = o.id WHERE {who_o}",
    ],
    "complaints": [
        "SELECT COUNT(*), 0 FROM complaints x JOIN cases c ON x.case_id = c.id "
        "JOIN debtors d ON c.debtor_id = d.id WHERE {who}"
    ],
}


@pytest.fixture(scope="session")
def agency(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agency]:
    files = tmp_path_factory.mktemp("search_agency_files")
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('search_agency') / 'agency.db'}"
        with built_agency(url, files, SUBJECTS) as built:
            yield built
        return
    admin = os.environ["DATAWARD_TEST_DATABASE_URL"]
    with (
        scratch_databases(admin, "search_agency") as (url,),
        built_agency(url, files, SUBJECTS) as built,
    ):
        yield built


@pytest.fixture
def jtr(uow: UnitOfWork, clock: FixedClock) -> UnitOfWork:
    store_register(uow, load_register(ROOT / "examples" / "jtr-collections.yaml"))
    store_sources(uow, locate(DEMO_SOURCES), organisation=ORG, actor="dpo@jtr.example")
    uow.commit()
    return uow


def _quoted(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values) or "NULL"


def _hand(agency: Agency, emails: list[str], phones: list[str]) -> dict[str, tuple[int, int]]:
    e, p = _quoted(emails), _quoted(phones)
    where = {
        "who": f"(d.email IN ({e}) OR d.phone IN ({p}))",
        "who_o": f"(o.email IN ({e}) OR o.phone IN ({p}))",
        "p": p,
    }
    engine = create_engine(agency.url)
    counts: dict[str, tuple[int, int]] = {}
    try:
        with engine.connect() as conn:
            for dataset, queries in HAND_SQL.items():
                rows = files = 0
                for sql in queries:
                    found = conn.execute(text(sql.format(**where))).one()
                    rows, files = rows + int(found[0]), files + int(found[1])
                counts[dataset] = (rows, files)
    finally:
        engine.dispose()
    return counts


def _busy_debtors(agency: Agency, count: int) -> list[Debtor]:
    """Debtors with an email and a phone whose cases have recordings (every relation used)."""
    engine = create_engine(agency.url)
    try:
        with engine.connect() as conn:
            ids = list(
                conn.execute(
                    text(
                        "SELECT DISTINCT d.id FROM debtors d JOIN cases c ON c.debtor_id = d.id "
                        "JOIN body_worn_video b ON b.case_id = c.id WHERE d.email IS NOT NULL "
                        "AND d.phone IS NOT NULL ORDER BY d.id"
                    )
                ).scalars()
            )[:count]
    finally:
        engine.dispose()
    by_id = {d.id: d for d in agency.people.debtors}
    return [by_id[int(i)] for i in ids]


def _subject(uow: UnitOfWork, debtor: Debtor) -> str:
    assert debtor.email
    assert debtor.phone
    identities = [("email", debtor.email), ("phone", debtor.phone)]
    return add_subject(uow, ORG, ["customers"], identities, actor=CASE).ref


def _request(
    uow: UnitOfWork,
    subject_ref: str | None,
    *,
    verified: bool = True,
    rights: tuple[str, ...] = ("access",),
) -> RightsRequest:
    requester = Requester(name="A Person", email="person@example.com", words="All my data.")
    row = open_request(
        uow, NewRequest(ORG, rights, "email", date(2026, 11, 20), requester), actor=CASE
    )
    if subject_ref is not None:
        link_subject(uow, ORG, row.ref, subject_ref, Step(CASE, date(2026, 11, 20)))
    if verified:
        verify_identity(uow, ORG, row.ref, "document", Step(CASE, date(2026, 11, 21)))
    uow.commit()
    return row


def _searches(uow: UnitOfWork, row: RightsRequest) -> dict[str, RequestTask]:
    return {t.dataset or "": t for t in tasks_of(uow, row) if t.kind == "manual_search"}


def _chain(uow: UnitOfWork) -> list[AuditEvent]:
    return list(uow.session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


def _counts(details: dict[str, object]) -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    for part in str(details["datasets"]).split(","):
        dataset, rows, files = part.split(":")
        out[dataset] = (int(rows), int(files))
    return out


def test_counts_equal_hand_written_sql_and_unbound_datasets_stay_open(
    jtr: UnitOfWork, agency: Agency
) -> None:
    (debtor,) = _busy_debtors(agency, 1)
    row = _request(jtr, _subject(jtr, debtor))
    assert set(_searches(jtr, row)) == BOUND | UNBOUND

    result = search_sources(jtr, ORG, row.ref, actor=CASE, env=agency.env)
    jtr.commit()

    assert debtor.email
    assert debtor.phone
    expected = _hand(agency, [debtor.email], [debtor.phone])
    got = {d: (c.rows, c.files) for d, c in result.searched.items()}
    assert got == expected
    assert expected["body_worn_video"][1] >= 1
    assert expected["cases"][0] >= 1
    assert result.version == 1
    assert result.tasks_done == len(BOUND)
    assert result.not_bound == sorted(UNBOUND)

    searches = _searches(jtr, row)
    for dataset in BOUND:
        task = searches[dataset]
        rows, files = expected[dataset]
        assert task.state == "done"
        assert task.done_by == CASE
        assert task.found is (rows + files > 0)
        row_word = "row" if rows == 1 else "rows"
        file_word = "file" if files == 1 else "files"
        assert result_of(jtr, row, task) == (
            f"searched automatically in sources v1: {rows} {row_word}, {files} {file_word}"
        )
    assert {searches[d].state for d in UNBOUND} == {"open"}

    (entry,) = [e for e in _chain(jtr) if e.action == "request.sources_searched"]
    assert _counts(entry.details) == expected
    assert entry.details["not_bound"] == ",".join(sorted(UNBOUND))
    assert entry.details["sources_version"] == 1
    # No personal data in the chain: neither the person's identities nor the requester's.
    chain_text = repr([(e.details, e.entity_id, e.subject_ref) for e in _chain(jtr)])
    for value in (debtor.email, debtor.phone, debtor.last_name, "person@example.com"):
        assert value not in chain_text
    assert verify(jtr.session).intact


def test_a_merged_subjects_identities_are_searched_too(jtr: UnitOfWork, agency: Agency) -> None:
    first, second = _busy_debtors(agency, 2)
    keep, merged = _subject(jtr, first), _subject(jtr, second)
    merge_subjects(jtr, ORG, keep, merged, actor=CASE)
    row = _request(jtr, keep)

    result = search_sources(jtr, ORG, row.ref, actor=CASE, env=agency.env)

    assert first.email
    assert first.phone
    assert second.email
    assert second.phone
    both = _hand(agency, [first.email, second.email], [first.phone, second.phone])
    alone = _hand(agency, [first.email], [first.phone])
    assert {d: (c.rows, c.files) for d, c in result.searched.items()} == both
    assert both["customers"][0] == alone["customers"][0] + 1


def test_every_rights_search_of_a_bound_dataset_is_recorded(
    jtr: UnitOfWork, agency: Agency
) -> None:
    (debtor,) = _busy_debtors(agency, 1)
    row = _request(jtr, _subject(jtr, debtor), rights=("access", "erasure"))
    result = search_sources(jtr, ORG, row.ref, actor=CASE, env=agency.env)
    jtr.commit()
    tasks = [t for t in tasks_of(jtr, row) if t.kind == "manual_search"]
    assert result.tasks_done == 2 * len(BOUND)
    assert sorted(t.dataset or "" for t in tasks if t.state == "open") == sorted(
        [*UNBOUND, *UNBOUND]
    )
    # A second search finds nothing left to search automatically.
    with pytest.raises(NothingToSearch) as refused:
        search_sources(jtr, ORG, row.ref, actor=CASE, env=agency.env)
    assert refused.value.code == "request_nothing_to_search"


def _snapshot(uow: UnitOfWork, row: RightsRequest) -> tuple[object, ...]:
    uow.session.expire_all()
    states = tuple((t.id, t.state, t.found, t.result_sealed) for t in tasks_of(uow, row))
    chain = uow.session.scalar(select(func.count()).select_from(AuditEvent))
    return states, chain


@pytest.mark.parametrize(
    "why", ["no_subject", "not_verified", "no_sources", "unavailable", "unset", "withdrawn"]
)
def test_a_refusal_changes_nothing(
    why: str, uow: UnitOfWork, clock: FixedClock, agency: Agency
) -> None:
    store_register(uow, load_register(ROOT / "examples" / "jtr-collections.yaml"))
    if why != "no_sources":
        store_sources(uow, locate(DEMO_SOURCES), organisation=ORG, actor="dpo@jtr.example")
    uow.commit()
    (debtor,) = _busy_debtors(agency, 1)
    subject = None if why == "no_subject" else _subject(uow, debtor)
    row = _request(uow, subject, verified=why != "not_verified")
    env = dict(agency.env)
    if why == "unavailable":
        env["AGENCY_DB_URL"] = "postgresql+psycopg://nobody:s3cret@127.0.0.1:1/none"
    if why == "unset":
        del env["AGENCY_FILES_DIR"]
    if why == "withdrawn":
        withdraw(uow, ORG, row.ref, Step(CASE, date(2026, 11, 22)))
        uow.commit()
    before = _snapshot(uow, row)
    expected = {
        "no_subject": (NoSubjectLinked, "request_no_subject"),
        "not_verified": (IdentityNotProven, "request_identity_not_proven"),
        "no_sources": (SourcesNotFound, "sources_not_found"),
        "unavailable": (SourceUnavailable, "source_unavailable"),
        "unset": (SourceUnavailable, "source_unavailable"),
        "withdrawn": (TransitionRefused, "request_transition_refused"),
    }[why]
    with pytest.raises(expected[0]) as refused:
        search_sources(uow, ORG, row.ref, actor=CASE, env=env)
    assert refused.value.code == expected[1]
    assert "s3cret" not in str(refused.value)
    uow.rollback()
    assert _snapshot(uow, row) == before
    ended = "cancelled" if why == "withdrawn" else "open"
    assert {t.state for t in tasks_of(uow, row) if t.kind == "manual_search"} == {ended}


# The command line ----------------------------------------------------------------------------


class _Borrowed(Runtime):
    """The test's database, key store and fixed clock, left open when the command ends."""

    def close(self) -> None:
        pass


def _cli(
    jtr: UnitOfWork,
    session_factory: sessionmaker[Any],
    clock: FixedClock,
    vault: Vault,
    monkeypatch: pytest.MonkeyPatch,
    env: dict[str, str],
    ref: str,
) -> Result:
    borrowed = _Borrowed(session_factory.kw["bind"], session_factory, vault, clock)
    monkeypatch.setattr(request_cmd, "open_runtime", lambda *a, **k: borrowed)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return CliRunner().invoke(app, ["request", "search", ORG, ref, "--actor", CASE])


def test_the_command_searches_and_prints_the_counts(
    jtr: UnitOfWork,
    agency: Agency,
    session_factory: sessionmaker[Any],
    clock: FixedClock,
    vault: Vault,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (debtor,) = _busy_debtors(agency, 1)
    row = _request(jtr, _subject(jtr, debtor))
    result = _cli(jtr, session_factory, clock, vault, monkeypatch, agency.env, row.ref)
    assert result.exit_code == 0, result.output
    assert debtor.email
    assert debtor.phone
    expected = _hand(agency, [debtor.email], [debtor.phone])
    lines = result.output.splitlines()
    assert lines[0] == f"{row.ref}: searched in sources v1"
    for dataset, (rows, files) in expected.items():
        assert f"  {dataset}: {rows} rows, {files} files" in lines
    assert lines[-1] == (
        "left to search by hand (no source binds them): " + ", ".join(sorted(UNBOUND))
    )
    assert debtor.email not in result.output
    jtr.session.expire_all()
    assert {t.dataset for t in tasks_of(jtr, row) if t.state == "done"} == BOUND


def test_the_command_refuses_in_one_line_without_the_password(
    jtr: UnitOfWork,
    agency: Agency,
    session_factory: sessionmaker[Any],
    clock: FixedClock,
    vault: Vault,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (debtor,) = _busy_debtors(agency, 1)
    row = _request(jtr, _subject(jtr, debtor))
    down = {**agency.env, "AGENCY_DB_URL": "postgresql+psycopg://nobody:s3cret@127.0.0.1:1/x"}
    result = _cli(jtr, session_factory, clock, vault, monkeypatch, down, row.ref)
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        "refused [source_unavailable]: connection agency: the database cannot be reached"
    ]
    jtr.session.expire_all()
    assert {t.state for t in tasks_of(jtr, row) if t.kind == "manual_search"} == {"open"}


# The console -----------------------------------------------------------------------------


@pytest.fixture
def console(database_url: str, clock: FixedClock, vault: Vault) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


def test_the_console_button_searches_and_flashes_the_counts(
    console: FastAPI, agency: Agency, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in agency.env.items():
        monkeypatch.setenv(name, value)
    (debtor,) = _busy_debtors(agency, 1)
    state = console.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        store_register(uow, load_register(ROOT / "examples" / "jtr-collections.yaml"))
        uow.commit()
        row = _request(uow, _subject(uow, debtor), verified=False)
        ref = row.ref
    location = f"/console/requests/{ORG}/{ref}"
    case = signed_in(console, "case@jtr.example", "caseworker")
    # No sources stored and identity not proven: no button.
    assert "search_sources" not in case.get(location).text
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        store_sources(uow, locate(DEMO_SOURCES), organisation=ORG, actor="dpo@jtr.example")
        verify_identity(uow, ORG, ref, "document", Step(CASE, date(2026, 11, 21)))
        uow.commit()
    page = case.get(location)
    assert "Search the organisation's sources</button>" in page.text, page.text[
        page.text.find("request-tasks") :
    ][:1500]
    url = f"{location}/search_sources"
    fields = {"csrf_token": csrf_from(page.text)}
    asked = case.post(url, data=fields)
    assert asked.status_code == 200  # the confirmation page, nothing done yet
    assert case.post(url, data={**fields, "confirm": "yes"}).status_code == 303
    page = case.get(location)
    assert debtor.email
    assert debtor.phone
    expected = _hand(agency, [debtor.email], [debtor.phone])
    rows = sum(r for r, _ in expected.values())
    files = sum(f for _, f in expected.values())
    assert f"Searched 9 datasets in sources v1: {rows} rows, {files} files; 4 left" in page.text
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        row = uow.session.scalars(select(RightsRequest).where(RightsRequest.ref == ref)).one()
        tasks = [
            (t.dataset, t.state, t.done_by) for t in tasks_of(uow, row) if t.kind == "manual_search"
        ]
    assert {d for d, state, _ in tasks if state == "done"} == BOUND
    assert {d for d, state, _ in tasks if state == "open"} == UNBOUND
    (done_by,) = {who for _, state, who in tasks if state == "done"}
    assert str(done_by).startswith("user:u_")
    assert "search_sources" not in page.text  # nothing bound is left to search


def test_an_auditor_cannot_search(console: FastAPI) -> None:
    auditor = signed_in(console, "auditor@jtr.example", "auditor")
    answer = auditor.post(f"/console/requests/{ORG}/q_0000000000000000/search_sources", data={})
    assert answer.status_code == 403


def test_a_search_is_a_handful_of_set_based_queries_whatever_the_rows(
    jtr: UnitOfWork, agency: Agency
) -> None:
    """Root keys once per root table and identity kind, then one query per binding: the
    same number of statements for one person as for two merged ones with more rows."""

    def statements(subject_ref: str) -> tuple[int, int]:
        row = _request(jtr, subject_ref)
        opened = open_all(locate(DEMO_SOURCES).sources, agency.env)
        seen: list[str] = []
        engine = opened["agency"].engine
        listen = event.listens_for(engine, "before_cursor_execute")
        listen(lambda *args: seen.append(str(args[2])))
        try:
            result = search_sources(jtr, ORG, row.ref, actor=CASE, connectors=opened)
        finally:
            for connector in opened.values():
                connector.close()
        jtr.commit()
        # The agency's own tables, not the reflection a connector does once when opened.
        data = [q for q in seen if (m := FROM.search(q)) and m.group(1) in TABLES]
        return len(data), sum(c.rows for c in result.searched.values())

    first, second, third = _busy_debtors(agency, 3)
    one, one_rows = statements(_subject(jtr, first))
    keep, merged = _subject(jtr, second), _subject(jtr, third)
    merge_subjects(jtr, ORG, keep, merged, actor=CASE)
    two, two_rows = statements(keep)
    # Root keys: 2 identity kinds x 2 root tables (debtors, new_occupiers); then one query
    # per binding leading to a root with keys (9: these people are no new occupier, so the
    # two occupier bindings need none), and call_recordings' own phone column: 14.
    assert one == two == 14
    assert two_rows > one_rows
