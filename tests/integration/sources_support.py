"""The demo agency as a data source for the connector tests: a tiny operational database, its
files, and a sources file describing it (the demo's own map, in the sources file format).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine

from dataward.demo import schema
from dataward.demo.operational import build_operational
from dataward.demo.people import People, draw_people
from dataward.sources.loader import LoadedSources, parse_sources

SEED = 18
TODAY = date(2026, 11, 25)

DEMO_SOURCES = """\
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
        customer_ref: customer_ref
        email: email
        phone: phone
        ni_number: ni_number
  cases:
    - connection: agency
      table: cases
      key: id
      identities:
        case_ref: case_ref
      subject: {via: debtor_id, table: debtors, key: id}
      events:
        case_returned: returned_on
      holds:
        live_case: {open_when_null: returned_on}
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
      table: agent_visits
      key: id
      subject:
        via: case_id
        table: cases
        key: id
        then: {via: debtor_id, table: debtors, key: id}
    - connection: agency
      table: notes
      key: id
      subject:
        via: case_id
        table: cases
        key: id
        then: {via: debtor_id, table: debtors, key: id}
      columns:
        body: {free_text: true}
  body_worn_video:
    - connection: agency
      table: body_worn_video
      key: id
      subject:
        via: case_id
        table: cases
        key: id
        then: {via: debtor_id, table: debtors, key: id}
      files: {connection: agency_files, column: file_path}
      events:
        recording_made: recorded_at
  call_recordings:
    - connection: agency
      table: call_recordings
      key: id
      identities:
        phone: caller_number
      subject:
        via: case_id
        table: cases
        key: id
        then: {via: debtor_id, table: debtors, key: id}
      files: {connection: agency_files, column: file_path}
      events:
        call_recorded: recorded_at
  vulnerability_evidence:
    - connection: agency
      table: vulnerability_evidence
      key: id
      subject: {via: debtor_id, table: debtors, key: id}
      files: {connection: agency_files, column: file_path}
      events:
        assessment_completed: assessed_at
  new_occupier_evidence:
    - connection: agency
      table: new_occupiers
      key: id
      identities:
        customer_ref: occupier_ref
        email: email
        phone: phone
    - connection: agency
      table: new_occupier_evidence
      key: id
      subject: {via: new_occupier_id, table: new_occupiers, key: id}
      files: {connection: agency_files, column: file_path}
      events:
        assessment_completed: {table: assessments, via: evidence_id, column: assessed_at}
  complaints:
    - connection: agency
      table: complaints
      key: id
      subject:
        via: case_id
        table: cases
        key: id
        then: {via: debtor_id, table: debtors, key: id}
      events:
        complaint_closed: closed_on
"""


def locate(text: str) -> LoadedSources:
    """The sources file parsed by the loader, which knows the line of each field."""
    return parse_sources(text, "sources.yaml")


def line_of(text: str, needle: str) -> int:
    """The 1-based line of the only line containing ``needle``."""
    found = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(found) == 1, (needle, found)
    return found[0]


@dataclass(frozen=True)
class Agency:
    url: str
    files: Path
    people: People
    counts: dict[str, int]

    @property
    def env(self) -> dict[str, str]:
        return {"AGENCY_DB_URL": self.url, "AGENCY_FILES_DIR": str(self.files)}


@contextmanager
def built_agency(url: str, files: Path, subjects: int) -> Iterator[Agency]:
    """The demo agency's operational database and files, at a small scale."""
    people = draw_people(SEED, subjects, TODAY)
    engine = create_engine(url)
    try:
        schema.metadata.create_all(engine)
        with engine.begin() as conn:
            counts = build_operational(conn, people, seed=SEED, today=TODAY, files=files)
    finally:
        engine.dispose()
    yield Agency(url, files, people, counts)
