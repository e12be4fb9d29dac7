"""The examples' own data, for the access facts: small operational databases and their
sources files, and an access request taken as far as the search of those sources.

JTR Collections has the demo agency (``dataward.demo`` writes its database and its sources
file). Johnnie Johnson Housing and R3 have no operational database of their own yet, so a
small SQLite one is built here, shaped as their registers' datasets say (tenants ->
tenancies -> rent and repairs; customers -> jobs -> visits), with two people in each so a
search can be shown to find one person's rows and not the other's. Their sources files are
``examples/sources/*.yaml``, read by the tests as any organisation's would be.
"""

from __future__ import annotations

import io
import sqlite3
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from bs4 import BeautifulSoup
from runs_support import EXAMPLES, Example, register_of
from sqlalchemy import create_engine, select, text

from dataward.access.assemble import assemble_package
from dataward.access.build import build_package
from dataward.access.controller_transfer import record_destination
from dataward.access.delivery import announce_ready
from dataward.access.download_codes import send_download_code
from dataward.access.models import PORTABILITY, REVIEW
from dataward.access.review import approve_package
from dataward.access.service import queue_package
from dataward.access.staging import PACKAGE_FILE, read_file
from dataward.demo import schema
from dataward.demo.operational import build_operational
from dataward.demo.people import People, draw_people
from dataward.demo.sources import OPERATIONAL_URL_FROM, sources_document, sources_text
from dataward.outbox.config import MailSettings
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import open_message
from dataward.publication.sources import store_sources
from dataward.register.lint_rules.retention import covers_dataset
from dataward.register.models import Dataset, Register
from dataward.requests.models import RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.source_search import subject_identities
from dataward.requests.task_models import RequestTask
from dataward.requests.tasks import tasks_of
from dataward.requests.transitions import Step, link_subject, verify_identity
from dataward.sources.connectors import open_all
from dataward.sources.connectors.base import stream_subject
from dataward.sources.loader import LoadedSources, load_sources, parse_sources
from dataward.subjects.models import Subject
from dataward.subjects.service import get_subject
from dataward.uow import UnitOfWork

SOURCES = EXAMPLES / "sources"
JJH_SOURCES = SOURCES / "johnnie-johnson-housing.yaml"
R3_SOURCES = SOURCES / "r3-repairs.yaml"
JJH_URL_FROM = "JJH_HOUSING_DB_URL"
R3_URL_FROM = "R3_JOBS_DB_URL"
STAFF = "user:u_case"


# -- requests ----------------------------------------------------------------------------------


def store_sources_file(uow: UnitOfWork, organisation: str, loaded: LoadedSources) -> int:
    """Store the organisation's sources file as ``dataward sources load`` does."""
    return store_sources(uow, loaded, organisation=organisation, actor="dpo").version.version


def verified_access_request(
    uow: UnitOfWork,
    organisation: str,
    subject_ref: str,
    channel: str,
    *,
    method: str = "document",
    verified: bool = True,
    email: str = "person@example.com",
    rights: tuple[str, ...] = ("access",),
) -> RightsRequest:
    """An access request (or one for ``rights``) linked to the subject, its identity proven
    (unless not ``verified``); ``email`` is the requester's address ("": they gave none)."""
    today = uow.clock.today()
    requester = Requester(name="A Person", email=email, words="All my data.")
    row = open_request(
        uow, NewRequest(organisation, rights, channel, today, requester), actor=STAFF
    )
    link_subject(uow, organisation, row.ref, subject_ref, Step(STAFF, today))
    if verified:
        verify_identity(uow, organisation, row.ref, method, Step(STAFF, today))
    return row


def searches(uow: UnitOfWork, row: RightsRequest) -> dict[str, RequestTask]:
    """The request's search task of each register dataset."""
    return {t.dataset or "": t for t in tasks_of(uow, row) if t.kind == "manual_search"}


def rows_found(
    uow: UnitOfWork,
    organisation: str,
    subject_ref: str,
    loaded: LoadedSources,
    env: Mapping[str, str],
) -> dict[str, list[dict[str, Any]]]:
    """Every row the sources give for the subject, by ``dataset/table``: what the search
    counted, read back to see whose rows they are."""
    subject: Subject = get_subject(uow, organisation, subject_ref)
    values = subject_identities(uow, subject)
    opened = open_all(loaded.sources, env)
    found: dict[str, list[dict[str, Any]]] = {}
    try:
        for part in stream_subject(loaded.sources, opened, values):
            found.setdefault(f"{part.dataset}/{part.binding.table}", []).extend(part.rows)
    finally:
        for connector in opened.values():
            connector.close()
    return found


# -- the package ------------------------------------------------------------------------------


def assembled_letter(
    uow: UnitOfWork, row: RightsRequest, env: Mapping[str, str], root: Path
) -> tuple[zipfile.ZipFile, dict[str, list[str]]]:
    """The request's package built from the sources (``env``), approved as built, assembled;
    its ZIP and the cover letter's sections (heading -> bullets, or paragraphs where the
    section has no bullets)."""
    package = queue_package(uow, row.organisation, row.ref, actor=STAFF)
    uow.commit()
    while build_package(uow, package.id, env=env, root=root).state != REVIEW:
        uow.commit()
    approve_package(uow, row.organisation, row.ref, actor=STAFF)
    assemble_package(uow, package.id, root=root)
    uow.commit()
    archive = zipfile.ZipFile(io.BytesIO(read_file(uow, package, PACKAGE_FILE, root).read()))
    letter = BeautifulSoup(archive.read("index.html").decode("utf-8"), "html.parser")
    sections: dict[str, list[str]] = {}
    for section in letter.find_all("section"):
        heading = section.find("h2").get_text(" ", strip=True)
        bullets = [li.get_text(" ", strip=True) for li in section.find_all("li")]
        sections[heading] = bullets or [p.get_text(" ", strip=True) for p in section("p")]
    return archive, sections


def claims_only_the_register(
    sections: Mapping[str, Sequence[str]], register: Register, found: Sequence[str]
) -> None:
    """Every purpose and retention line of the letter is one of the register's, and the
    retention lines are exactly the datasets found that a rule covers (never a default)."""
    names = {p.name for p in register.purposes}
    for line in sections.get("Why we use it", ()):
        assert line.split(":")[0].split(" (lawful basis")[0] in names, line
    for line in sections.get("Who we share it with", ()):
        assert any(line.startswith(r.name) for r in register.recipients), line
    datasets = {d.id: d for d in register.datasets}
    kept = sections.get("How long we keep it", ())
    assert [line.split(":")[0] for line in kept] == [
        d.name for d in register.datasets if d.id in found and _covered(register, datasets[d.id])
    ]
    for line in kept:
        dataset = next(d for d in register.datasets if line.startswith(f"{d.name}: "))
        said = line.removeprefix(f"{dataset.name}: ")
        covering = [r.name for r in register.retention_rules if covers_dataset(r, dataset)]
        assert said.startswith(f"{covering[0]}: "), line


def _covered(register: Register, dataset: Dataset) -> bool:
    return any(covers_dataset(r, dataset) for r in register.retention_rules)


# -- JTR: the demo agency -----------------------------------------------------------------------


@dataclass(frozen=True)
class Agency:
    url: str
    people: People
    loaded: LoadedSources

    @property
    def env(self) -> dict[str, str]:
        return {OPERATIONAL_URL_FROM: self.url}


def demo_agency(folder: Path, example: Example, subjects: int = 40) -> Agency:
    """The demo agency's operational database (SQLite, no files) and the sources file the
    demo writes for it, against the example's register."""
    today = date(2026, 11, 25)
    people = draw_people(18, subjects, today)
    url = f"sqlite:///{folder / 'agency.db'}"
    engine = create_engine(url)
    try:
        schema.metadata.create_all(engine)
        with engine.begin() as conn:
            build_operational(conn, people, seed=18, today=today, files=None)
    finally:
        engine.dispose()
    register = register_of(example)
    document = sources_document(
        organisation=register.organisation,
        files_dir=None,
        register_datasets={d.id for d in register.datasets},
    )
    body = sources_text(document, operational_url=url, files_dir=None, seed=18, subjects=subjects)
    return Agency(url, people, parse_sources(body, str(folder / "demo-sources.yaml")))


def count(url: str, sql: str, **params: Any) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql), params).scalar_one())
    finally:
        engine.dispose()


# -- Johnnie Johnson Housing and R3: small fixture databases -------------------------------------


def _fill(path: Path, ddl: Sequence[str], rows: Mapping[str, Sequence[tuple[Any, ...]]]) -> str:
    with sqlite3.connect(path) as db:
        for statement in ddl:
            db.execute(statement)
        for table, values in rows.items():
            marks = ", ".join("?" * len(values[0]))
            db.executemany(f"INSERT INTO {table} VALUES ({marks})", values)
    db.close()
    return f"sqlite:///{path}"


JJH_DDL = (
    "CREATE TABLE tenants (id INTEGER PRIMARY KEY, tenant_ref TEXT NOT NULL UNIQUE, "
    "full_name TEXT NOT NULL, phone TEXT, date_of_birth DATE)",
    "CREATE TABLE tenancies (id INTEGER PRIMARY KEY, tenant_id INTEGER NOT NULL "
    "REFERENCES tenants (id), address TEXT NOT NULL, started_on DATE NOT NULL, ended_on DATE)",
    "CREATE INDEX ix_tenancies_tenant_id ON tenancies (tenant_id)",
    "CREATE TABLE rent_transactions (id INTEGER PRIMARY KEY, tenancy_id INTEGER NOT NULL "
    "REFERENCES tenancies (id), posted_on DATE NOT NULL, amount_pence INTEGER NOT NULL)",
    "CREATE INDEX ix_rent_transactions_tenancy_id ON rent_transactions (tenancy_id)",
    "CREATE TABLE repairs (id INTEGER PRIMARY KEY, tenancy_id INTEGER NOT NULL "
    "REFERENCES tenancies (id), reported_on DATE NOT NULL, description TEXT NOT NULL)",
    "CREATE INDEX ix_repairs_tenancy_id ON repairs (tenancy_id)",
    "CREATE TABLE applications (id INTEGER PRIMARY KEY, tenant_id INTEGER "
    "REFERENCES tenants (id), applied_on DATE NOT NULL, household_size INTEGER NOT NULL, "
    "circumstances TEXT)",
    "CREATE INDEX ix_applications_tenant_id ON applications (tenant_id)",
    "CREATE TABLE calls (id INTEGER PRIMARY KEY, caller_number TEXT NOT NULL, "
    "called_at TIMESTAMP NOT NULL, recording_path TEXT NOT NULL)",
    "CREATE INDEX ix_calls_caller_number ON calls (caller_number)",
    # The retention triggers, indexed as the run needs (sources check advises them).
    "CREATE INDEX ix_tenancies_ended_on ON tenancies (ended_on)",
    "CREATE INDEX ix_calls_called_at ON calls (called_at)",
)
# Ayo Bello (tenant 1) is the person who asks; Bea Cole (tenant 2) took over Ayo's old home,
# so the two share an address, and Bea is named in one of Ayo's repair notes.
AYO = {"customer_ref": "JJH-T-1001", "phone": "+447911123101"}
JJH_ROWS: dict[str, list[tuple[Any, ...]]] = {
    "tenants": [
        (1, "JJH-T-1001", "Ayo Bello", "+447911123101", "1984-02-29"),
        (2, "JJH-T-1002", "Bea Cole", "+447911123202", "1990-07-14"),
    ],
    "tenancies": [
        (10, 1, "1 Elm Row, Worcester WR1 1AA", "2019-04-01", "2023-03-31"),
        (11, 1, "4 Oak Court, Worcester WR2 4BB", "2023-04-01", None),
        (12, 2, "1 Elm Row, Worcester WR1 1AA", "2023-05-01", None),
    ],
    "rent_transactions": [
        (100, 10, "2023-03-01", 52000),
        (101, 11, "2026-01-05", 61000),
        (102, 11, "2026-02-05", 61000),
        (103, 12, "2026-02-05", 48000),
    ],
    "repairs": [
        (200, 11, "2026-02-10", "Boiler fault; neighbour Bea Cole let the engineer in."),
        (201, 12, "2026-03-02", "Damp in the back bedroom."),
    ],
    "applications": [
        (300, 1, "2018-11-20", 2, "Overcrowded in a one-bedroom flat."),
        (301, 2, "2023-01-09", 1, None),
        (302, None, "2026-05-01", 3, "Applicant not yet housed."),
    ],
    "calls": [
        (400, "+447911123101", "2026-02-09 09:15:00", "calls/2026/02/400.wav"),
        (401, "+447911123101", "2026-02-11 14:02:00", "calls/2026/02/401.wav"),
        (402, "+447911123202", "2026-03-02 10:30:00", "calls/2026/03/402.wav"),
        (403, "+441905000000", "2026-03-03 11:00:00", "calls/2026/03/403.wav"),
    ],
}
# Ayo's rows, dataset by dataset: 1 tenant + 2 tenancies + 3 rent lines + 1 repair; 1
# application; 2 calls.
AYO_ROWS = {"tenancy_records": 7, "housing_applications": 1, "call_recordings": 2}


def jjh_housing(folder: Path) -> str:
    """JJH's housing management database (SQLite), with its two tenants."""
    return _fill(folder / "jjh-housing.db", JJH_DDL, JJH_ROWS)


R3_DDL = (
    "CREATE TABLE customers (id INTEGER PRIMARY KEY, account_id TEXT UNIQUE, "
    "full_name TEXT NOT NULL, email TEXT, phone TEXT, address TEXT)",
    "CREATE INDEX ix_customers_email ON customers (email)",
    "CREATE INDEX ix_customers_phone ON customers (phone)",
    "CREATE TABLE jobs (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL "
    "REFERENCES customers (id), property_address TEXT NOT NULL, reported_on DATE NOT NULL, "
    "completed_on DATE, fault TEXT NOT NULL)",
    "CREATE INDEX ix_jobs_customer_id ON jobs (customer_id)",
    "CREATE TABLE job_visits (id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL "
    "REFERENCES jobs (id), visited_on DATE NOT NULL, engineer TEXT NOT NULL, notes TEXT)",
    "CREATE INDEX ix_job_visits_job_id ON job_visits (job_id)",
    "CREATE TABLE members (id INTEGER PRIMARY KEY, full_name TEXT NOT NULL, email TEXT, "
    "phone TEXT, joined_on DATE NOT NULL, left_on DATE)",
    "CREATE INDEX ix_members_email ON members (email)",
    "CREATE INDEX ix_members_phone ON members (phone)",
    # The retention triggers, indexed as the run needs (sources check advises them).
    "CREATE INDEX ix_jobs_completed_on ON jobs (completed_on)",
    "CREATE INDEX ix_members_left_on ON members (left_on)",
    "CREATE TABLE web_sessions (id INTEGER PRIMARY KEY, account_id TEXT, "
    "ip_address TEXT NOT NULL, seen_at TIMESTAMP NOT NULL, path TEXT NOT NULL)",
    "CREATE INDEX ix_web_sessions_account_id ON web_sessions (account_id)",
)
# Ali Reid (customer 1, also an R3 Direct member) asks; Bo Muir (customer 2) is another.
ALI = {"email": "ali.reid@example.com", "phone": "+447911123301"}
R3_ROWS: dict[str, list[tuple[Any, ...]]] = {
    "customers": [
        (1, "ACC-501", "Ali Reid", "ali.reid@example.com", "+447911123301", "2 Court St"),
        (2, "ACC-502", "Bo Muir", "bo.muir@example.com", "+447911123302", "9 Hardgate"),
    ],
    "jobs": [
        (10, 1, "2 Court St, Haddington EH41 3JD", "2026-01-12", "2026-01-20", "Phone screen"),
        (11, 1, "2 Court St, Haddington EH41 3JD", "2026-03-03", None, "Washing machine"),
        (12, 2, "9 Hardgate, Haddington EH41 3JS", "2026-02-01", "2026-02-02", "Laptop hinge"),
    ],
    "job_visits": [
        (20, 10, "2026-01-14", "Engineer A", "Screen replaced."),
        (21, 11, "2026-03-05", "Engineer B", "Part ordered; Ali's neighbour Bo Muir was in."),
        (22, 12, "2026-02-02", "Engineer A", None),
    ],
    "members": [
        (30, "Ali Reid", "ali.reid@example.com", None, "2024-06-01", None),
        (31, "Cara Lamb", "cara@example.com", "+447911123303", "2025-01-10", "2026-01-10"),
    ],
    "web_sessions": [
        (40, "ACC-501", "203.0.113.7", "2026-03-01 08:00:00", "/account"),
        (41, "ACC-501", "203.0.113.7", "2026-03-02 19:30:00", "/jobs/11"),
        (42, "ACC-502", "198.51.100.4", "2026-02-01 12:00:00", "/account"),
        (43, None, "192.0.2.1", "2026-02-03 12:00:00", "/"),
    ],
}
# Ali's rows: 1 account; 2 jobs + 2 visits; 1 membership; 2 web sessions.
ALI_ROWS = {
    "customer_accounts": 1,
    "service_records": 4,
    "r3_direct_members": 1,
    "website_logs": 2,
}


def r3_jobs(folder: Path) -> str:
    """R3's jobs database (SQLite): customers, repair jobs and visits, members, web logs."""
    return _fill(folder / "r3-jobs.db", R3_DDL, R3_ROWS)


def example_sources(path: Path) -> LoadedSources:
    return load_sources(path)


__all__ = [
    "ALI",
    "ALI_ROWS",
    "AYO",
    "AYO_ROWS",
    "JJH_SOURCES",
    "JJH_URL_FROM",
    "R3_SOURCES",
    "R3_URL_FROM",
    "Agency",
    "assembled_letter",
    "claims_only_the_register",
    "count",
    "demo_agency",
    "example_sources",
    "jjh_housing",
    "r3_jobs",
    "rows_found",
    "searches",
    "store_sources_file",
    "verified_access_request",
]


CONTROLLER = ("Example Energy Ltd", "data.moves@example-energy.co.uk")
LINK_SECRET = b"example-secret-for-signing-package-links-0123"


def sent_to_controller(
    uow: UnitOfWork, row: RightsRequest, env: Mapping[str, str], root: Path
) -> dict[str, EmailMessage]:
    """POR-01, Art 20(2): record ``CONTROLLER`` on the portability request, build, approve
    and assemble its package, announce it; the emails by kind (and the download code's)."""
    record_destination(uow, row.organisation, row.ref, *CONTROLLER, actor=STAFF)
    package = queue_package(uow, row.organisation, row.ref, actor=STAFF, kind=PORTABILITY)
    uow.commit()
    while build_package(uow, package.id, env=env, root=root).state != REVIEW:
        uow.commit()
    approve_package(uow, row.organisation, row.ref, actor=STAFF, kind=PORTABILITY)
    assemble_package(uow, package.id, root=root)
    announce_ready(uow, package, secret=LINK_SECRET, public_url="https://dw.example")
    send_download_code(uow, package, actor="portal")
    uow.commit()
    mail = MailSettings(mail_from="privacy@example.org")
    return {
        m.kind: open_message(uow, m, mail)
        for m in uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.request_id == row.id)
        )
    }
