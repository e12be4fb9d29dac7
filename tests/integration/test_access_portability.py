"""Portability packages (issue 19, POR-01): built by the access machinery, holding only
the columns the sources file marks ``provenance: provided`` of the datasets a purpose uses
under consent or contract, as JSON and CSV in a ZIP with a short index, emailed like an
access package; a request asking for access and portability gets one package of each.

JTR Collections: ``debt_advice`` rests on consent and uses ``customer_contact``, so the
``customers`` dataset is portable and its ``email`` column (provided) goes in, its
``customer_ref`` (ours, not provided) does not; ``cases`` is portable too but binds no
provided column, so it has no part; visits and payments (legitimate interests) stay out.
SQLite and PostgreSQL; the clock is the test's.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from datetime import date
from pathlib import Path

import pytest
from package_build_support import (
    CASE,
    EMAIL,
    ORG,
    Operational,
    build_operational,
    stored_jtr,
)
from sqlalchemy import select

from dataward.access.assemble import assemble_package
from dataward.access.build import build_package
from dataward.access.delivery import announce_ready, filename, linked_package
from dataward.access.download_links import package_link_token
from dataward.access.errors import NotAnAccessRequest, PackageExists, UnknownPackageKind
from dataward.access.models import (
    ACCESS,
    APPROVED,
    PORTABILITY,
    READY,
    REVIEW,
    AccessPackage,
    PackagePart,
)
from dataward.access.service import get_package, queue_package
from dataward.access.staging import PACKAGE_FILE, read_file
from dataward.audit.models import AuditEvent
from dataward.requests.models import RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.tasks import tasks_of
from dataward.requests.transitions import Step, link_subject, verify_identity
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork

SECRET = b"test-secret-key-for-signing-links-0123456789"


@pytest.fixture
def agency(tmp_path: Path) -> Operational:
    return build_operational(tmp_path / "agency")


@pytest.fixture
def packages(tmp_path: Path) -> Path:
    return tmp_path / "packages"


def _request(uow: UnitOfWork, rights: tuple[str, ...]) -> RightsRequest:
    stored_jtr(uow)
    subject = add_subject(uow, ORG, ["customers"], [("email", EMAIL)], actor=CASE)
    requester = Requester(name="Mary Subject", email=EMAIL, words="My data, to move.")
    row = open_request(
        uow, NewRequest(ORG, rights, "email", date(2026, 11, 20), requester), actor=CASE
    )
    link_subject(uow, ORG, row.ref, subject.ref, Step(CASE, date(2026, 11, 20)))
    verify_identity(uow, ORG, row.ref, "document", Step(CASE, date(2026, 11, 21)))
    uow.commit()
    return row


def _built(uow: UnitOfWork, package: AccessPackage, agency: Operational, packages: Path) -> None:
    uow.commit()
    while build_package(uow, package.id, env=agency.env, root=packages).state != REVIEW:
        uow.commit()
    uow.commit()


def _assembled(uow: UnitOfWork, package: AccessPackage, packages: Path) -> zipfile.ZipFile:
    package.state, package.approved_by, package.approved_at = APPROVED, CASE, uow.clock.now()
    assemble_package(uow, package.id, root=packages)
    uow.commit()
    return zipfile.ZipFile(io.BytesIO(read_file(uow, package, PACKAGE_FILE, packages).read()))


def test_a_portability_package_holds_only_provided_columns_of_consent_or_contract_data(
    uow: UnitOfWork, agency: Operational, packages: Path
) -> None:
    row = _request(uow, ("portability",))
    package = queue_package(uow, ORG, row.ref, actor=CASE, kind=PORTABILITY)
    _built(uow, package, agency, packages)

    parts = uow.session.scalars(select(PackagePart).where(PackagePart.package_id == package.id))
    assert [(p.dataset, p.rows, p.files) for p in parts] == [("customers", 1, 0)]
    archive = _assembled(uow, package, packages)

    assert package.state == READY
    assert sorted(archive.namelist()) == ["data/customers.csv", "data/customers.json", "index.html"]
    assert json.loads(archive.read("data/customers.json")) == [{"email": EMAIL}]
    assert list(csv.reader(io.StringIO(archive.read("data/customers.csv").decode()))) == [
        ["email"],
        [EMAIL],
    ]
    index = archive.read("index.html").decode()
    assert "data/customers.json" in index
    assert "JTR Collections" in index
    assert "C-1" not in archive.read("data/customers.json").decode()  # ours, not provided


def test_access_and_portability_are_two_packages_and_each_finishes_its_own_task(
    uow: UnitOfWork, agency: Operational, packages: Path
) -> None:
    row = _request(uow, ("access", "portability"))
    portable = queue_package(uow, ORG, row.ref, actor=CASE, kind=PORTABILITY)
    access = queue_package(uow, ORG, row.ref, actor=CASE)
    assert (access.kind, portable.kind) == (ACCESS, PORTABILITY)
    assert get_package(uow, ORG, row.ref).id == access.id
    assert get_package(uow, ORG, row.ref, PORTABILITY).id == portable.id
    _built(uow, portable, agency, packages)
    _assembled(uow, portable, packages)

    tasks = {t.right: t.state for t in tasks_of(uow, row) if t.kind == "package"}
    assert tasks == {"access": "open", "portability": "done"}
    queued = uow.session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "access.package_queued")
    ).all()
    assert sorted(d["kind"] for d in queued) == [ACCESS, PORTABILITY]


def test_bad_kinds_and_requests_are_refused_and_change_nothing(uow: UnitOfWork) -> None:
    row = _request(uow, ("access",))
    with pytest.raises(NotAnAccessRequest, match="does not ask for portability"):
        queue_package(uow, ORG, row.ref, actor=CASE, kind=PORTABILITY)
    with pytest.raises(UnknownPackageKind):
        queue_package(uow, ORG, row.ref, actor=CASE, kind="everything")
    with pytest.raises(UnknownPackageKind):
        get_package(uow, ORG, row.ref, "everything")
    assert uow.session.scalars(select(AccessPackage)).all() == []
    queue_package(uow, ORG, row.ref, actor=CASE)
    with pytest.raises(PackageExists, match="access package already"):
        queue_package(uow, ORG, row.ref, actor=CASE)


def test_the_portability_email_link_opens_the_portability_package_only(
    uow: UnitOfWork, agency: Operational, packages: Path
) -> None:
    row = _request(uow, ("access", "portability"))
    access = queue_package(uow, ORG, row.ref, actor=CASE)
    portable = queue_package(uow, ORG, row.ref, actor=CASE, kind=PORTABILITY)
    _built(uow, portable, agency, packages)
    _assembled(uow, portable, packages)

    message = announce_ready(uow, portable, secret=SECRET, public_url="https://dw.example/")
    assert message is not None
    assert message.kind == "portability_package_ready"
    token = package_link_token(SECRET, row, portable)[0]
    opened_row, opened = linked_package(uow, SECRET, token)
    assert (opened_row.id, opened.id) == (row.id, portable.id)
    assert opened.id != access.id
    assert filename(row, portable) == f"{ORG}-{row.ref}-portable.zip"
    assert re.fullmatch(rf"{ORG}-q_[0-9a-f]+-data\.zip", filename(row, access))
