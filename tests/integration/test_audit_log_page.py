"""The console's audit log: filters, keyset pages, UK times and the CSV export (issue 15, item 4).

An auditor must be able to find who did what to whom and when, and take the rows away with
their hashes; a caseworker, who may not read the chain, is refused.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from web_support import fresh_console_app, signed_in

from dataward.audit.models import AuditEvent
from dataward.audit.service import record, verify
from dataward.clock import FixedClock
from dataward.uow import UnitOfWork


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


def _write(
    app: FastAPI,
    at: datetime,
    actor: str,
    action: str,
    subject: str | None = None,
    **details: str | int,
) -> None:
    with UnitOfWork(app.state.session_factory, FixedClock(at)) as uow:
        record(
            uow,
            actor=actor,
            action=action,
            entity_type="thing",
            entity_id="e-1",
            subject_ref=subject,
            details=dict(details),
        )
        uow.commit()


def _rows(html: str) -> list[list[str]]:
    table = BeautifulSoup(html, "html.parser").find("table", class_="audit-log")
    if table is None:
        return []
    return [
        [c.get_text(" ", strip=True) for c in tr.find_all("td")]
        for tr in table.tbody.find_all("tr")
    ]


def test_an_auditor_reads_the_log_and_a_caseworker_is_refused(app: FastAPI) -> None:
    _write(app, datetime(2026, 7, 1, 8, 0, tzinfo=UTC), "user:u_auditee", "consent.given", "s_1")
    auditor = signed_in(app, "audit@acme.example", "auditor")
    page = auditor.get("/console/audit?actor=user:u_auditee")
    assert page.status_code == 200
    rows = _rows(page.text)
    assert len(rows) == 1
    # UK time with its zone: 08:00 UTC on 1 July is 09:00 BST.
    assert rows[0][1] == "1 July 2026, 09:00 BST"
    assert rows[0][2] == "consent.given"
    assert rows[0][5] == "s_1"
    assert 'href="/console/audit"' in page.text  # the nav shows the page to an auditor
    caseworker = signed_in(app, "case@acme.example", "caseworker")
    assert caseworker.get("/console/audit").status_code == 403
    assert caseworker.get("/console/audit/export.csv").status_code == 403


def test_filters_by_actor_action_family_subject_and_uk_day(app: FastAPI) -> None:
    # 23:30 UTC on 30 June is 00:30 BST on 1 July: it belongs to the UK day of 1 July.
    _write(app, datetime(2026, 6, 30, 23, 30, tzinfo=UTC), "user:x_a", "consent.given", "s_1")
    _write(app, datetime(2026, 7, 1, 12, 0, tzinfo=UTC), "user:x_b", "consent.withdrawn", "s_2")
    _write(app, datetime(2026, 7, 2, 12, 0, tzinfo=UTC), "user:x_a", "subject.viewed", "s_1")
    client = signed_in(app, "dpo@acme.example", "dpo")

    def actions(query: str) -> list[str]:
        page = client.get("/console/audit?" + query)
        assert page.status_code == 200, page.text
        return [r[2] for r in _rows(page.text) if r[3].startswith("user:x_")]

    assert actions("actor=user:x_a") == ["subject.viewed", "consent.given"]
    assert actions("action=consent.") == ["consent.withdrawn", "consent.given"]
    assert actions("action=consent") == []  # no dot: an exact action, and there is none
    assert actions("subject=s_2") == ["consent.withdrawn"]
    assert actions("from=2026-07-01&to=2026-07-01") == ["consent.withdrawn", "consent.given"]
    assert actions("from=2026-07-02") == ["subject.viewed"]


def test_a_bad_day_is_explained_and_the_query_stays_in_the_form(app: FastAPI) -> None:
    client = signed_in(app, "dpo@acme.example", "dpo")
    page = client.get("/console/audit?actor=user:u_kept&from=31/12/2026")
    assert page.status_code == 422
    soup = BeautifulSoup(page.text, "html.parser")
    assert "must be a date like 2026-11-25" in soup.find(role="alert").get_text()
    assert soup.find("input", id="f-actor")["value"] == "user:u_kept"
    inverted = client.get("/console/audit?from=2026-07-02&to=2026-07-01")
    assert inverted.status_code == 422
    assert "after the" in inverted.text


def test_pages_go_back_by_sequence_without_gaps_or_repeats(app: FastAPI) -> None:
    for n in range(120):
        _write(app, datetime(2026, 7, 1, 9, 0, tzinfo=UTC), "user:u_pager", "thing.done", n=n)
    client = signed_in(app, "dpo@acme.example", "dpo")
    seen: list[int] = []
    url = "/console/audit?actor=user:u_pager"
    pages = 0
    while url:
        page = client.get(url)
        assert page.status_code == 200
        seen += [int(r[0]) for r in _rows(page.text)]
        older = BeautifulSoup(page.text, "html.parser").find("a", string="Older")
        url = older["href"] if older else ""
        assert "actor=user%3Au_pager" in url or not url  # the filter travels with the pages
        pages += 1
    assert pages == 3
    assert seen == sorted(seen, reverse=True)
    assert len(seen) == len(set(seen)) == 120


def test_the_csv_export_has_every_match_oldest_first_with_hashes(app: FastAPI) -> None:
    _write(app, datetime(2026, 7, 1, 9, 0, tzinfo=UTC), "user:u_csv", "thing.one", note="=SUM(A1)")
    _write(app, datetime(2026, 7, 1, 9, 5, tzinfo=UTC), "user:u_csv", "thing.two")
    _write(app, datetime(2026, 7, 1, 9, 9, tzinfo=UTC), "user:u_other", "thing.three")
    client = signed_in(app, "audit@acme.example", "auditor")
    answer = client.get("/console/audit/export.csv?actor=user:u_csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["action"] for r in rows] == ["thing.one", "thing.two"]
    with app.state.session_factory() as session:
        stored = {e.seq: e.row_hash for e in session.scalars(select(AuditEvent))}
        assert verify(session).intact
    assert all(stored[int(r["seq"])] == r["row_hash"] for r in rows)
    # Details are JSON (they start with "{"), so a formula inside stays a string.
    assert rows[0]["details"] == '{"note": "=SUM(A1)"}'
    assert client.get("/console/audit/export.csv?from=nope").status_code == 422


def test_a_forged_row_with_unreadable_details_does_not_break_the_page(
    app: FastAPI, backend: str
) -> None:
    _write(app, datetime(2026, 7, 1, 9, 0, tzinfo=UTC), "user:u_real", "thing.done")
    forge = text(
        "INSERT INTO audit_events (seq, occurred_at, actor, action, entity_type, entity_id,"
        " details, prev_hash, row_hash) VALUES (:seq, :at, 'user:u_forger', 'thing.forged',"
        " 'thing', 'e-2', :details, 'x', 'y')"
    )
    with app.state.session_factory() as session:
        seq = session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc())) + 1
        if backend == "postgresql":
            # PostgreSQL's json type refuses text that is not JSON at the door.
            with pytest.raises(DBAPIError):
                session.execute(
                    forge, {"seq": seq, "at": datetime(2026, 7, 1, 9, 1), "details": "{not json"}
                )
            return
        session.execute(
            forge, {"seq": seq, "at": datetime(2026, 7, 1, 9, 1), "details": "{not json"}
        )
        session.commit()
    client = signed_in(app, "audit@acme.example", "auditor")
    page = client.get("/console/audit?actor=user:u_forger")
    assert page.status_code == 200
    assert "(unreadable: not JSON)" in _rows(page.text)[0][6]
