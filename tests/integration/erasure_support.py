"""A JTR-shaped operational database whose sources file says how each column is erased.

The database and its files are ``package_build_support``'s (the subject Mary with a case,
two visits, three recordings, a payment; a stranger whose rows must never change). The
sources file here binds the same tables read_write with an erasure strategy per column:
the customer's contact details set to null and name anonymised, her case, visits and
recordings deleted (recordings' files after their rows), her payments kept by the sources
file (the accounts) unless ``keep_payments`` is false.
"""

from __future__ import annotations

from datetime import date

from package_build_support import CASE, EMAIL, JTR, ORG

from dataward.accounts.passwords import Passwords
from dataward.accounts.service import create_user, user_actor
from dataward.config import Settings
from dataward.erasure.plan import record_ground
from dataward.publication.registers import store_register
from dataward.publication.sources import store_sources
from dataward.register.loader import load_register
from dataward.requests.models import RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.transitions import Step, link_subject, verify_identity
from dataward.sources.loader import parse_sources
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork

RECORDINGS = """\
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
      columns:
        file_path: {erasure: delete_row}
"""


def erasure_sources(
    *,
    keep_payments: bool = True,
    hold_visit: int | None = None,
    hold_column: str = "id",
    mode: str = "read_write",
) -> str:
    payments = (
        '{keep: "Payments on a debt: kept for the accounts"}' if keep_payments else "delete_row"
    )
    visit_hold = (
        "      holds:\n"
        f"        complaint_on_case: {{open_when: {{column: {hold_column}, in: [{hold_visit}]}}}}\n"
        if hold_visit is not None
        else ""
    )
    return f"""\
format_version: 1
organisation: jtr_collections
connections:
  agency: {{kind: sql, url_from: AGENCY_DB_URL, mode: {mode}}}
  agency_files: {{kind: files, url_from: AGENCY_FILES_DIR, mode: {mode}}}
datasets:
  customers:
    - connection: agency
      table: debtors
      key: id
      identities: {{email: email, phone: phone}}
      columns:
        customer_ref: {{erasure: {{keep: "Our own reference"}}}}
        name: {{erasure: {{anonymise: redact}}}}
        email: {{category: customer_contact, provenance: provided, erasure: set_null}}
        phone: {{erasure: set_null}}
  cases:
    - connection: agency
      table: cases
      key: id
      subject: {{via: debtor_id, table: debtors, key: id}}
      columns:
        case_ref: {{erasure: delete_row}}
  payments:
    - connection: agency
      table: payments
      key: id
      subject:
        via: case_id
        table: cases
        key: id
        then: {{via: debtor_id, table: debtors, key: id}}
      columns:
        amount: {{erasure: {payments}}}
  visits:
    - connection: agency
      table: visits
      key: id
      subject:
        via: case_id
        table: cases
        key: id
        then: {{via: debtor_id, table: debtors, key: id}}
{visit_hold}      columns:
        note: {{free_text: true, erasure: delete_row}}
{RECORDINGS}"""


def stored_for_erasure(uow: UnitOfWork, **options: object) -> None:
    store_register(uow, load_register(JTR))
    sources = parse_sources(erasure_sources(**options), "sources.yaml")  # type: ignore[arg-type]
    store_sources(uow, sources, organisation=ORG, actor="dpo")
    uow.commit()


def erasure_request(
    uow: UnitOfWork, *, ground: str | None = "no_longer_necessary"
) -> RightsRequest:
    """A verified erasure request linked to Mary, with its ground recorded (unless None)."""
    subject = add_subject(uow, ORG, ["customers"], [("email", EMAIL)], actor=CASE)
    requester = Requester(name="Mary Subject", email=EMAIL, words="Delete my data.")
    row = open_request(
        uow, NewRequest(ORG, ("erasure",), "email", date(2026, 11, 20), requester), actor=CASE
    )
    link_subject(uow, ORG, row.ref, subject.ref, Step(CASE, date(2026, 11, 20)))
    verify_identity(uow, ORG, row.ref, "document", Step(CASE, date(2026, 11, 21)))
    if ground is not None:
        record_ground(uow, ORG, row.ref, ground, actor=CASE)
    uow.commit()
    return row


def make_user(uow: UnitOfWork, email: str, role: str) -> str:
    settings = Settings(argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1)
    user, _ = create_user(uow, Passwords(settings), email, role, actor="test")
    uow.commit()
    return user_actor(user)
