"""A small operational database and files folder for the access package tests.

Two debtors of JTR Collections (the example register's datasets): the subject, with a case,
two visits (an agent's note naming a third party's email), two recordings (one file has
vanished from the folder) and a payment; and another person, whose rows must never appear
in the subject's package. A sources file binds them with relations
debtor -> cases -> visits -> recordings.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text

from dataward.publication.registers import store_register
from dataward.publication.sources import store_sources
from dataward.register.loader import load_register, parse_register
from dataward.requests.models import RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.transitions import Step, link_subject, verify_identity
from dataward.sources.loader import parse_sources
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[2]
JTR = ROOT / "examples" / "jtr-collections.yaml"
ORG = "jtr_collections"
CASE = "user:u_case"
EMAIL = "mary.subject@example.org"
PHONE = "07700900123"
OTHER_EMAIL = "neighbour.third@example.net"
STRANGER_EMAIL = "stranger@example.com"
NOTE = f"Spoke to neighbour ({OTHER_EMAIL}) who said Mary ({EMAIL}) was out."
VIDEO = b"\x00VIDEO" + bytes(range(256)) * 4000  # ~1 MB: more than one sealed chunk

SOURCES = """\
format_version: 1
organisation: jtr_collections
connections:
  agency:
    kind: sql
    url_from: AGENCY_DB_URL
  agency_files:
    kind: files
    url_from: AGENCY_FILES_DIR
datasets:
  customers:
    - connection: agency
      table: debtors
      key: id
      identities:
        email: email
        phone: phone
      columns:
        customer_ref: {description: "Our reference for you", category: customer_identity}
        email: {category: customer_contact, provenance: provided}
  cases:
    - connection: agency
      table: cases
      key: id
      subject: {via: debtor_id, table: debtors, key: id}
  payments:
    - connection: agency
      table: payments
      key: id
      subject:
        via: case_id
        table: cases
        key: id
        then: {via: debtor_id, table: debtors, key: id}
  visits:
    - connection: agency
      table: visits
      key: id
      subject:
        via: case_id
        table: cases
        key: id
        then: {via: debtor_id, table: debtors, key: id}
      columns:
        note: {free_text: true, description: "The agent's note of the visit"}
  body_worn_video:
    - connection: agency
      table: recordings
      key: id
      subject:
        via: visit_id
        table: visits
        key: id
        then:
          via: case_id
          table: cases
          key: id
          then: {via: debtor_id, table: debtors, key: id}
      files: {connection: agency_files, column: file_path}
"""

BOUND = ("body_worn_video", "cases", "customers", "payments", "visits")


@dataclass(frozen=True)
class Operational:
    url: str
    files: Path

    @property
    def env(self) -> dict[str, str]:
        return {"AGENCY_DB_URL": self.url, "AGENCY_FILES_DIR": str(self.files)}


def build_operational(folder: Path, *, payments: int = 1) -> Operational:
    """The fixture database (SQLite) and its files folder under ``folder``."""
    files = folder / "files"
    (files / "bwv").mkdir(parents=True)
    (files / "bwv" / "visit-1.mp4").write_bytes(VIDEO)
    (files / "bwv" / "visit-1b.mp4").write_bytes(b"second recording")
    (files / "bwv" / "stranger.mp4").write_bytes(b"not yours")
    url = f"sqlite:///{folder / 'agency.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        for ddl in (
            "CREATE TABLE debtors (id INTEGER PRIMARY KEY, customer_ref TEXT, name TEXT, "
            "email TEXT, phone TEXT)",
            "CREATE TABLE cases (id INTEGER PRIMARY KEY, debtor_id INTEGER, case_ref TEXT, "
            "opened_on DATE)",
            "CREATE TABLE payments (id INTEGER PRIMARY KEY, case_id INTEGER, amount NUMERIC, "
            "paid_on DATE)",
            "CREATE TABLE visits (id INTEGER PRIMARY KEY, case_id INTEGER, visited_on DATE, "
            "note TEXT)",
            "CREATE TABLE recordings (id INTEGER PRIMARY KEY, visit_id INTEGER, file_path TEXT)",
            "CREATE INDEX ix_debtors_email ON debtors (email)",
            "CREATE INDEX ix_cases_debtor ON cases (debtor_id)",
            "CREATE INDEX ix_payments_case ON payments (case_id)",
            "CREATE INDEX ix_visits_case ON visits (case_id)",
            "CREATE INDEX ix_recordings_visit ON recordings (visit_id)",
        ):
            conn.execute(text(ddl))
        conn.execute(
            text(
                "INSERT INTO debtors VALUES (1, 'C-1', 'Mary Subject', :e, :p), "
                "(2, 'C-2', 'Sam Stranger', :s, '07700900999')"
            ),
            {"e": EMAIL, "p": PHONE, "s": STRANGER_EMAIL},
        )
        conn.execute(
            text(
                "INSERT INTO cases VALUES (10, 1, 'CASE-10', '2026-01-05'), "
                "(20, 2, 'CASE-20', '2026-02-01')"
            )
        )
        conn.execute(
            text("INSERT INTO payments (case_id, amount, paid_on) VALUES (:c, :a, '2026-03-01')"),
            [{"c": 10, "a": -12.5 if n == 0 else 20 + n} for n in range(payments)]
            + [{"c": 20, "a": 99}],
        )
        conn.execute(
            text(
                "INSERT INTO visits VALUES (100, 10, '2026-03-02', :n), "
                "(101, 10, '2026-03-09', '=HYPERLINK(\"x\")'), (200, 20, '2026-03-03', 'x')"
            ),
            {"n": NOTE},
        )
        conn.execute(
            text(
                "INSERT INTO recordings VALUES (1000, 100, 'bwv/visit-1.mp4'), "
                "(1001, 101, 'bwv/gone.mp4'), (1002, 100, 'bwv/visit-1b.mp4'), "
                "(2000, 200, 'bwv/stranger.mp4')"
            )
        )
    engine.dispose()
    return Operational(url, files)


def without_transfers(register_text: str) -> str:
    """The JTR register with its transfers section removed: the register is silent."""
    lines = register_text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("transfers:"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i][:1].isalpha())
    return "".join(lines[:start] + lines[end:])


def stored_jtr(uow: UnitOfWork, *, silent_on_transfers: bool = False) -> None:
    if silent_on_transfers:
        loaded = parse_register(without_transfers(JTR.read_text(encoding="utf-8")), str(JTR))
    else:
        loaded = load_register(JTR)
    store_register(uow, loaded)
    store_sources(uow, parse_sources(SOURCES, "sources.yaml"), organisation=ORG, actor="dpo")
    uow.commit()


def access_request(uow: UnitOfWork, email: str = EMAIL, phone: str | None = None) -> RightsRequest:
    """A verified access request linked to a subject with these identities."""
    identities = [("email", email)] + ([("phone", phone)] if phone else [])
    subject = add_subject(uow, ORG, ["customers"], identities, actor=CASE)
    requester = Requester(name="Mary Subject", email=email, words="All my data.")
    row = open_request(
        uow, NewRequest(ORG, ("access",), "email", date(2026, 11, 20), requester), actor=CASE
    )
    link_subject(uow, ORG, row.ref, subject.ref, Step(CASE, date(2026, 11, 20)))
    verify_identity(uow, ORG, row.ref, "document", Step(CASE, date(2026, 11, 21)))
    uow.commit()
    return row
