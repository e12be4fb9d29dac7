"""Ready access packages for the delivery tests, made without the build and assembly.

A verified access request of the web fixture organisation, linked to its subject, and its
package in state ``ready`` with a small sealed ZIP written through ``staging.write_file``.
The ZIP holds an incompressible file bigger than a sealed chunk, so a download crosses
chunk boundaries. Dates are explicit: received 2026-11-20, verified 2026-11-21.
"""

from __future__ import annotations

import hashlib
import io
import random
import uuid
import zipfile
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from dataward.access.models import READY, AccessPackage
from dataward.access.staging import PACKAGE_FILE, write_file
from dataward.crypto.sealed_files import CHUNK
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.requests.models import RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.transitions import Step, link_subject, verify_identity
from dataward.subjects.models import Subject
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork

ORG = "acme_widgets"
CASE = "user:u_case"
EMAIL = "jane.doe@example.com"
REGISTER = Path(__file__).resolve().parents[1] / "fixtures" / "web" / "registers" / "acme.yaml"
# The fixture organisation's one dataset bound to a customers table (``ACME_CRM_URL``).
SOURCES_TEXT = """\
format_version: 1
organisation: acme_widgets
connections:
  crm:
    kind: sql
    url_from: ACME_CRM_URL
datasets:
  crm:
    - connection: crm
      table: customers
      key: id
      identities:
        email: email
"""
# What no audit entry, log line or error may ever hold.
PERSONAL = ("Jane Doe", EMAIL, "1 High Street", "All my data")


@dataclass(frozen=True)
class Ready:
    row: RightsRequest
    package: AccessPackage
    zip_bytes: bytes


def store_fixture_register(uow: UnitOfWork) -> None:
    store_register(uow, load_register(REGISTER))
    uow.commit()


def package_zip() -> bytes:
    """A ZIP of a JSON file and a recording a little over one sealed chunk."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("customers.json", '[{"name": "Jane Doe"}]')
        archive.writestr("recording.bin", random.Random(18).randbytes(CHUNK + 4321))
    return buffer.getvalue()


def verified_request(
    uow: UnitOfWork,
    *,
    by_post: bool = False,
    email: str = EMAIL,
    rights: tuple[str, ...] = ("access",),
) -> tuple[RightsRequest, str]:
    """An access request linked to a new subject (``email``) and verified; (request,
    subject id)."""
    subject = add_subject(uow, ORG, ["customers"], [("email", email)], actor=CASE)
    requester = Requester(
        name="Jane Doe",
        email="" if by_post else email,
        address="1 High Street" if by_post else "",
        words="All my data.",
        reply_by="post" if by_post else "",
    )
    new = NewRequest(ORG, rights, "email", date(2026, 11, 20), requester)
    row = open_request(uow, new, actor=CASE)
    link_subject(uow, ORG, row.ref, subject.ref, Step(CASE, date(2026, 11, 20)))
    verify_identity(uow, ORG, row.ref, "document", Step(CASE, date(2026, 11, 21)))
    return row, subject.id


def ready_package(
    uow: UnitOfWork, *, by_post: bool = False, days: int = 30, email: str = EMAIL
) -> Ready:
    """A verified request's package, ready now and expiring ``days`` from the clock."""
    row, subject_id = verified_request(uow, by_post=by_post, email=email)
    subject = uow.session.get(Subject, subject_id)
    assert subject is not None
    now = uow.clock.now()
    package = AccessPackage(
        id=str(uuid.uuid4()),
        organisation=ORG,
        request_id=row.id,
        subject_id=subject.id,
        key_id=subject.key_id,
        sources_version=1,
        state=READY,
        rows=1,
        files=1,
        queued_by=CASE,
        built_at=now,
        approved_by=CASE,
        approved_at=now,
        ready_at=now,
        expires_at=now + timedelta(days=days),
        created_at=now,
        updated_at=now,
    )
    uow.session.add(package)
    uow.session.flush()
    data = package_zip()
    with write_file(uow, package, PACKAGE_FILE) as writer:
        writer.write(data)
    package.size = len(data)
    package.sha256 = hashlib.sha256(data).hexdigest()
    uow.commit()
    return Ready(row, package, data)
