"""One access request end to end through the real edges (issue 18, ACC-01..03, SAR-07),
on SQLite and PostgreSQL.

A verified access request of JTR Collections, linked to Mary, whose data sits in the small
operational database of ``package_build_support`` (debtor -> case -> visits -> recordings,
a files folder). Two extra visit notes name Sam Stranger, another subject of the store (and
the other debtor, whose rows must never appear). The caseworker builds the package from the
console, the worker builds it, the caseworker undoes one redaction, withholds a recording
and approves; the worker assembles it and emails the link; the requester asks for a code
and downloads the ZIP; after its date the expiry sweep deletes it. The clock is the test's,
shared by the app and the worker.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from package_build_support import (
    EMAIL,
    NOTE,
    ORG,
    OTHER_EMAIL,
    PHONE,
    STRANGER_EMAIL,
    Operational,
    access_request,
    build_operational,
    stored_jtr,
)
from sqlalchemy import create_engine, select, text
from web_support import SECRET_KEY, csrf_from, fresh_console_app, signed_in

from dataward.access.jobs import access_jobs
from dataward.access.models import DELETED, READY, REVIEW, AccessPackage, PackagePart
from dataward.access.released import REDACTED
from dataward.access.staging import package_dir
from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.config import get_settings
from dataward.crypto.keystore import Vault
from dataward.jobs.worker import Worker
from dataward.outbox.config import MailSettings
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import open_message
from dataward.requests.models import RightsRequest
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork

MAIL = MailSettings(mail_from="privacy@jtr.example")
OTHER_NAME = "Sam Stranger"
SHOWN_NOTE = f"Met {OTHER_NAME} at the door."  # its redaction is undone: a false one
HIDDEN_NOTE = f"{OTHER_NAME} rang on Mary's behalf."
LPP = "Legal professional privilege"
WITHHELD_FILE = "visit-1b.mp4"
# What the other debtor's rows hold: none of it may reach Mary's package.
OTHERS_ROWS = ("C-2", "CASE-20", "stranger.mp4", "not yours", STRANGER_EMAIL, "07700900999")
# No audit entry may hold any of these.
PERSONAL = ("Mary Subject", EMAIL, PHONE, OTHER_NAME, OTHER_EMAIL, STRANGER_EMAIL)


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: Vault) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


@pytest.fixture
def agency(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Operational]:
    """The operational database with two more notes, its variables set; the worker and the
    web server share the packages folder and the link key, as one deployment does."""
    made = build_operational(tmp_path / "agency")
    engine = create_engine(made.url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO visits VALUES (102, 10, '2026-03-16', :a), (103, 10, '2026-03-23', :b)"
            ),
            {"a": HIDDEN_NOTE, "b": SHOWN_NOTE},
        )
    engine.dispose()
    for name, value in made.env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("DATAWARD_ACCESS_PACKAGES_DIR", str(tmp_path / "packages"))
    monkeypatch.setenv("DATAWARD_SECRET_KEY", SECRET_KEY)
    get_settings.cache_clear()
    yield made
    get_settings.cache_clear()


def _uow(app: FastAPI) -> UnitOfWork:
    return UnitOfWork(app.state.session_factory, app.state.clock, app.state.vault)


def _worker(app: FastAPI) -> Worker:
    domain = access_jobs(get_settings(), MAIL)
    worker = Worker(
        app.state.session_factory,
        app.state.clock,
        domain.handlers,
        vault=app.state.vault,
        worker_id="w-pipeline",
    )
    worker.sweeps.extend(domain.sweeps)
    return worker


def _opened(app: FastAPI) -> RightsRequest:
    """JTR's register and sources stored; Mary's verified request; Sam in the store."""
    with _uow(app) as uow:
        stored_jtr(uow)
        add_subject(
            uow,
            ORG,
            ["customers"],
            [("email", STRANGER_EMAIL), ("name", OTHER_NAME)],
            actor="test",
        )
        uow.commit()
        row = access_request(uow)
        uow.session.expunge_all()
        return row


def _package(app: FastAPI) -> AccessPackage:
    with app.state.session_factory() as session:
        found = session.scalars(select(AccessPackage)).one()
        session.expunge(found)
        return found


def _parts(app: FastAPI) -> dict[str, PackagePart]:
    with app.state.session_factory() as session:
        parts = list(session.scalars(select(PackagePart)))
        session.expunge_all()
        return {p.dataset: p for p in parts}


def _post(client: TestClient, page: str, path: str, **data: str) -> Any:
    csrf = csrf_from(client.get(page).text)
    return client.post(path, data={**data, "csrf_token": csrf})


def _build_from_console(client: TestClient, page: str) -> None:
    done = _post(client, page, f"{page}/package/build", confirm="yes")
    assert done.status_code == 303, done.text
    assert "Access package queued" in client.get(page).text


def _outbox_body(app: FastAPI, kind: str) -> tuple[str, str]:
    """(To, plain body) of the latest message of ``kind``."""
    with _uow(app) as uow:
        message = uow.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == kind)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id)
        ).first()
        assert message is not None, kind
        mime = open_message(uow, message, MAIL)
        return str(mime["To"]), mime.get_body(("plain",)).get_content()


def _all_text(archive: zipfile.ZipFile) -> str:
    return "\n".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())


def _review(app: FastAPI, client: TestClient, base: str) -> None:
    """Undo the redaction of the shown note, withhold the recording ``WITHHELD_FILE``."""
    parts = _parts(app)
    visits = parts["visits"]
    page = f"{base}/package/redactions?part={visits.id}"
    soup = BeautifulSoup(client.get(page).text, "html.parser")
    marks = [m.get_text() for m in soup.find_all("mark")]
    assert sorted(marks) == sorted([OTHER_EMAIL, OTHER_NAME, OTHER_NAME])
    # The row whose note is SHOWN_NOTE (rows are staged in key order: 100, 101, 102, 103).
    row = soup.find(id="row-3")
    assert row is not None
    section = row.find_parent("section")
    assert "at the door" in section.get_text()
    undo = section.find("form", action=re.compile(r"/undo$"))
    assert undo is not None
    done = _post(client, page, undo["action"], back=page)
    assert done.status_code == 303
    assert [i.get_text() for i in BeautifulSoup(client.get(page).text, "html.parser")("ins")] == [
        OTHER_NAME
    ]
    # Row 2 of the recordings (keys 1000, 1001, 1002) is the one with WITHHELD_FILE.
    package_page = f"{base}/package"
    withheld = _post(
        client,
        package_page,
        f"{package_page}/withhold",
        part=parts["body_worn_video"].id,
        row="2",
        exemption=LPP,
        reason="Advice taken on the recording.",
    )
    assert withheld.status_code == 303
    assert "Row 2 withheld" in client.get(package_page).text


def test_an_access_request_from_the_console_to_the_downloaded_zip_and_its_expiry(
    app: FastAPI, agency: Operational, clock: FixedClock
) -> None:
    row = _opened(app)
    client = signed_in(app, "case@jtr.example", "caseworker")
    base = f"/console/requests/{ORG}/{row.ref}"
    _build_from_console(client, base)

    _worker(app).run(once=True)
    package = _package(app)
    assert package.state == REVIEW
    listing = client.get(f"{base}/package").text
    assert "Built: waiting for your review" in listing

    _review(app, client, base)
    approved = _post(client, f"{base}/package", f"{base}/package/approve", confirm="yes")
    assert approved.status_code == 303
    _worker(app).run(once=True)
    package = _package(app)
    assert package.state == READY
    assert package.expires_at is not None

    # The requester's email carries the link; the page sends a code; the code opens the ZIP.
    to, body = _outbox_body(app, "package_ready")
    assert EMAIL in to
    found = re.search(r"/packages/(\S+)", body)
    assert found is not None
    token = found.group(1)
    link = f"/packages/{token}"
    public = TestClient(app, follow_redirects=False)
    sent = _post(public, link, f"{link}/code")
    assert sent.headers["location"] == f"{link}?code=sent"
    _, code_body = _outbox_body(app, "package_code")
    code = re.search(r"\b(\d{6})\b", code_body)
    assert code is not None
    got = _post(public, link, f"{link}/download", code=code.group(1))
    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(got.content))
    names = set(archive.namelist())

    customers = json.loads(archive.read("data/customers.json"))
    assert [(c["customer_ref"], c["email"]) for c in customers] == [("C-1", EMAIL)]
    table = list(csv.DictReader(io.StringIO(archive.read("data/customers.csv").decode())))
    assert [(c["customer_ref"], c["phone"]) for c in table] == [("C-1", PHONE)]
    notes = [v["note"] for v in json.loads(archive.read("data/visits.json"))]
    assert notes == [
        NOTE.replace(OTHER_EMAIL, REDACTED),
        '=HYPERLINK("x")',
        HIDDEN_NOTE.replace(OTHER_NAME, REDACTED),
        SHOWN_NOTE,  # the undone redaction: shown as it is
    ]
    visits_csv = archive.read("data/visits.csv").decode()
    assert HIDDEN_NOTE.replace(OTHER_NAME, REDACTED) in visits_csv
    assert OTHER_EMAIL not in _all_text(archive)
    assert _all_text(archive).count(OTHER_NAME) == _all_text(archive).count(SHOWN_NOTE)
    # The withheld recording: neither its row nor its file.
    recordings = json.loads(archive.read("data/body_worn_video.json"))
    assert [r["id"] for r in recordings] == [1000, 1001]
    assert not [n for n in names if WITHHELD_FILE in n]
    assert "files/body_worn_video/visit-1.mp4" in names
    # The other debtor's rows are nowhere.
    everything = _all_text(archive)
    for value in OTHERS_ROWS:
        assert value not in everything, value
    letter = archive.read("index.html").decode("utf-8")
    for fact in (
        "JTR Collections",
        "Why we use it",
        "Everyday business activities",  # a purpose of the register for these datasets
        "Where we looked",
        "Searched automatically",
        LPP,
    ):
        assert fact in letter, fact
    assert "Advice taken" not in letter  # the exemption is named; the reason is sealed

    # Past its date, the sweep deletes it: the link opens nothing, the files are gone.
    folder = package_dir(package)
    assert folder.exists()
    clock.set(package.expires_at + timedelta(minutes=1))
    _worker(app).run(once=True)  # every run sweeps first
    assert _package(app).state == DELETED
    assert not folder.exists() or not any(folder.iterdir())
    gone = public.get(link)
    assert gone.status_code == 410  # the link expires with the package
    assert "application/zip" not in gone.headers["content-type"]

    # The request's chain: each step once, ids and counts only.
    with app.state.session_factory() as session:
        entries = list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.action.like("access.%"))
                .order_by(AuditEvent.seq)
            )
        )
    actions = [e.action for e in entries]
    for action in (
        "access.package_queued",
        "access.package_built",
        "access.redaction_undone",
        "access.item_withheld",
        "access.package_approved",
        "access.package_ready",
        "access.package_downloaded",
        "access.package_deleted",
    ):
        assert actions.count(action) == 1, action
    for entry in entries:
        assert not any(value in repr(entry.details) for value in PERSONAL), entry.action


def test_a_source_down_while_building_is_named_on_the_request_then_retried_to_review(
    app: FastAPI, agency: Operational, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = _opened(app)
    client = signed_in(app, "case@jtr.example", "caseworker")
    base = f"/console/requests/{ORG}/{row.ref}"
    monkeypatch.delenv("AGENCY_DB_URL")
    _build_from_console(client, base)

    _worker(app).run(once=True)
    package = _package(app)
    assert (package.state, package.failed_source) == ("building", "agency")
    panel = BeautifulSoup(client.get(base).text, "html.parser").find(id="access-package")
    assert panel is not None
    words = panel.find_parent("section").get_text(" ", strip=True)
    assert "agency (source_unavailable): the worker will try it again" in words
    assert "Built: waiting for your review" not in client.get(f"{base}/package").text

    # The variable is set again: the retry, once due, builds the rest.
    monkeypatch.setenv("AGENCY_DB_URL", agency.url)
    _worker(app).run(once=True)
    assert _package(app).state == "building"  # the retry is not due yet
    clock.advance(timedelta(minutes=5))
    _worker(app).run(once=True)
    package = _package(app)
    assert (package.state, package.failed_source, package.last_error) == (REVIEW, None, None)
    assert "Built: waiting for your review" in client.get(f"{base}/package").text
    with app.state.session_factory() as session:
        failed = list(
            session.scalars(
                select(AuditEvent.details).where(AuditEvent.action == "access.source_failed")
            )
        )
    assert [(d["source"], d["package"]) for d in failed] == [("agency", package.id)]
