"""Assembling an approved access package (issue 18, ACC-01..03, SAR-07) into one sealed ZIP,
opened here by decrypting it: data, files, pages and the cover letter, on SQLite and
PostgreSQL. The clock is the test's.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import uuid
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from package_build_support import (
    CASE,
    EMAIL,
    ORG,
    OTHER_EMAIL,
    VIDEO,
    Operational,
    access_request,
    build_operational,
    stored_jtr,
)
from sqlalchemy import select

from dataward.access.assemble import assemble_package
from dataward.access.build import build_package
from dataward.access.cover_letter import NOTHING_HELD
from dataward.access.errors import PackageRefused
from dataward.access.models import (
    APPROVED,
    READY,
    REVIEW,
    AccessPackage,
    PackagePart,
    Withholding,
)
from dataward.access.released import REDACTED
from dataward.access.search_record import AUTOMATIC, BY_HAND, OPEN, search_record
from dataward.access.service import queue_package, request_of
from dataward.access.staging import PACKAGE_FILE, package_dir, read_file
from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.config import get_settings
from dataward.requests.errors import TransitionRefused
from dataward.requests.tasks import holding_up_response, record_search, tasks_of
from dataward.requests.transitions import Step, respond
from dataward.uow import UnitOfWork

EXEMPTION = "Legal professional privilege (DPA 2018 Sch 2 para 19)"


@pytest.fixture
def agency(tmp_path: Path) -> Operational:
    return build_operational(tmp_path / "agency")


@pytest.fixture
def packages(tmp_path: Path) -> Path:
    return tmp_path / "packages"


def _built(
    uow: UnitOfWork,
    agency: Operational,
    packages: Path,
    *,
    email: str = EMAIL,
    silent_on_transfers: bool = False,
) -> AccessPackage:
    stored_jtr(uow, silent_on_transfers=silent_on_transfers)
    row = access_request(uow, email)
    package = queue_package(uow, ORG, row.ref, actor=CASE)
    uow.commit()
    while build_package(uow, package.id, env=agency.env, root=packages).state != REVIEW:
        uow.commit()
    uow.commit()
    return package


def _approve(uow: UnitOfWork, package: AccessPackage) -> None:
    # The review's own step (access.review) is another slice's; its outcome is this state.
    package.state = APPROVED
    package.approved_by, package.approved_at = CASE, uow.clock.now()
    uow.commit()


def _part(uow: UnitOfWork, package: AccessPackage, dataset: str) -> PackagePart:
    return uow.session.scalars(
        select(PackagePart).where(
            PackagePart.package_id == package.id, PackagePart.dataset == dataset
        )
    ).one()


def _withhold(
    uow: UnitOfWork, package: AccessPackage, part: PackagePart, row_no: int | None
) -> None:
    uow.session.add(
        Withholding(
            id=str(uuid.uuid4()),
            package_id=package.id,
            part_id=part.id,
            row_no=row_no,
            exemption=EXEMPTION,
            reason_sealed=b"sealed elsewhere",
            withheld_by=CASE,
            withheld_at=uow.clock.now(),
        )
    )


def _zip(uow: UnitOfWork, package: AccessPackage, packages: Path) -> zipfile.ZipFile:
    data = read_file(uow, package, PACKAGE_FILE, packages).read()
    assert package.sha256 == hashlib.sha256(data).hexdigest()
    assert package.size == len(data)
    return zipfile.ZipFile(io.BytesIO(data))


def _all_text(archive: zipfile.ZipFile) -> str:
    return "\n".join(
        archive.read(n).decode("utf-8", "replace") for n in archive.namelist() if "." in n
    )


def test_the_zip_holds_data_files_pages_and_the_letter(
    uow: UnitOfWork, agency: Operational, packages: Path, clock: FixedClock
) -> None:
    package = _built(uow, agency, packages)
    bwv = _part(uow, package, "body_worn_video")
    _withhold(uow, package, bwv, 0)  # the recording visit-1.mp4 and its file
    _withhold(uow, package, _part(uow, package, "payments"), None)  # the whole part
    _approve(uow, package)

    assembled = assemble_package(uow, package.id, root=packages)
    uow.commit()

    assert assembled.state == READY
    assert assembled.ready_at == clock.now()
    assert assembled.expires_at == clock.now() + timedelta(
        days=get_settings().access_package_keep_days
    )
    archive = _zip(uow, assembled, packages)
    names = set(archive.namelist())
    assert {
        "data/customers.json",
        "data/customers.csv",
        "data/visits.json",
        "data/visits.csv",
        "data/body_worn_video.json",
        "pages/visits.html",
        "pages/body_worn_video.html",
        "files/body_worn_video/visit-1b.mp4",
        "index.html",
        "cover-letter.pdf",
    } <= names
    # Withheld: the recording's row and its file; the whole payments part.
    assert "files/body_worn_video/visit-1.mp4" not in names
    assert not [n for n in names if "payments" in n]
    assert archive.read("files/body_worn_video/visit-1b.mp4") == b"second recording"
    assert VIDEO not in b"".join(archive.read(n) for n in names)
    recordings = json.loads(archive.read("data/body_worn_video.json"))
    assert [r["id"] for r in recordings] == [1001, 1002]
    assert recordings[0]["files"] == ["gone.mp4 (missing)"]
    assert recordings[1]["files"] == ["files/body_worn_video/visit-1b.mp4"]

    # The third party's email is redacted everywhere; the subject's own stays.
    visits = json.loads(archive.read("data/visits.json"))
    assert visits[0]["note"] == f"Spoke to neighbour ({REDACTED}) who said Mary ({EMAIL}) was out."
    assert OTHER_EMAIL not in _all_text(archive)
    # The other debtor's rows are nowhere.
    assert "stranger" not in _all_text(archive).lower()
    rows = list(csv.reader(io.StringIO(archive.read("data/visits.csv").decode("utf-8"))))
    assert rows[0] == ["id", "case_id", "visited_on", "note"]
    assert rows[2][3] == '\'=HYPERLINK("x")'  # formula injection defused
    assert len(rows) == 3

    page = archive.read("pages/visits.html").decode("utf-8")
    assert "The agent&#39;s note of the visit" in page
    # A page is HTML, not a spreadsheet: the value shows as it is, escaped.
    assert "&#39;=HYPERLINK" not in page
    assert "=HYPERLINK(&#34;x&#34;)" in page
    customers_page = archive.read("pages/customers.html").decode("utf-8")
    assert "Our reference for you" in customers_page
    assert "you gave us this" in customers_page

    letter = archive.read("index.html").decode("utf-8")
    for fact in (
        "JTR Collections",
        "Ascendant Solutions Ltd",  # a recipient, named as the register names it
        "Customer data",  # the retention rule covering the customers dataset
        "We do not send your personal information outside of the UK",
        "https://ico.org.uk",
        "Not searched yet",  # a dataset no source binds, still open (SAR-07)
        EXEMPTION,
        REDACTED,
    ):
        assert fact in letter, fact
    assert "sealed elsewhere" not in letter
    assert archive.read("cover-letter.pdf").startswith(b"%PDF")

    # Staged parts and files are gone; only the sealed ZIP stays.
    assert [p.name for p in package_dir(package, packages).iterdir()] == [PACKAGE_FILE]
    (ready,) = uow.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "access.package_ready")
    ).all()
    assert ready.details["size"] == assembled.size
    assert ready.details["sha256"] == assembled.sha256

    # Rerun (a worker killed after the commit): nothing changes, nothing is audited again.
    again = assemble_package(uow, package.id, root=packages)
    uow.commit()
    assert (again.sha256, again.state) == (assembled.sha256, READY)
    assert (
        len(
            uow.session.scalars(
                select(AuditEvent).where(AuditEvent.action == "access.package_ready")
            ).all()
        )
        == 1
    )


def test_a_kill_before_the_commit_finishes_the_same_zip(
    uow: UnitOfWork, agency: Operational, packages: Path
) -> None:
    package = _built(uow, agency, packages)
    _approve(uow, package)
    first = assemble_package(uow, package.id, root=packages)
    digest = first.sha256
    uow.rollback()  # the staged parts were removed; the ZIP is complete under its name
    uow.session.expire_all()
    again = assemble_package(uow, package.id, root=packages)
    uow.commit()
    assert (again.state, again.sha256) == (READY, digest)


def test_only_an_approved_package_is_assembled(
    uow: UnitOfWork, agency: Operational, packages: Path
) -> None:
    package = _built(uow, agency, packages)
    with pytest.raises(PackageRefused) as refused:
        assemble_package(uow, package.id, root=packages)
    assert refused.value.code == "package_refused"
    uow.rollback()
    assert not (package_dir(package, packages) / PACKAGE_FILE).exists()


def test_a_subject_found_nowhere_gets_an_honest_letter(
    uow: UnitOfWork, agency: Operational, packages: Path
) -> None:
    package = _built(uow, agency, packages, email="nobody.here@example.org")
    assert package.rows == 0
    record = search_record(uow, request_of(uow, package))
    bound = {e.dataset: e for e in record if e.how == AUTOMATIC}
    assert set(bound) == {"customers", "cases", "payments", "visits", "body_worn_video"}
    assert {(e.rows, e.files, e.found) for e in bound.values()} == {(0, 0, False)}
    assert {e.how for e in record if e.dataset not in bound} == {OPEN}
    _approve(uow, package)

    assembled = assemble_package(uow, package.id, root=packages)
    archive = _zip(uow, assembled, packages)
    assert [n for n in archive.namelist() if n.startswith(("data/", "files/", "pages/"))] == []
    letter = archive.read("index.html").decode("utf-8")
    assert NOTHING_HELD in letter
    assert "Where we looked" in letter
    assert "Searched automatically" in letter
    assert "Why we use it" not in letter


def test_a_register_silent_on_transfers_says_nothing_of_them(
    uow: UnitOfWork, agency: Operational, packages: Path
) -> None:
    package = _built(uow, agency, packages, silent_on_transfers=True)
    _approve(uow, package)
    assembled = assemble_package(uow, package.id, root=packages)
    letter = _zip(uow, assembled, packages).read("index.html").decode("utf-8")
    assert "Why we use it" in letter  # the letter does speak where the register does
    assert "Transfers" not in letter
    assert "outside of the UK" not in letter


def test_a_search_recorded_by_hand_is_in_the_record_and_the_letter(
    uow: UnitOfWork, agency: Operational, packages: Path
) -> None:
    package = _built(uow, agency, packages)
    row = request_of(uow, package)
    (task,) = [
        t for t in tasks_of(uow, row) if t.kind == "manual_search" and t.dataset == "web_enquiries"
    ]
    record_search(uow, ORG, row.ref, task.id, True, "Two enquiry emails in the inbox", actor=CASE)
    uow.commit()

    record = {e.dataset: e for e in search_record(uow, row)}
    assert [e.dataset for e in search_record(uow, row)][:2] == ["customers", "cases"]
    by_hand = record["web_enquiries"]
    assert (by_hand.how, by_hand.found, by_hand.result) == (
        BY_HAND,
        True,
        "Two enquiry emails in the inbox",
    )
    assert (record["visits"].how, record["visits"].rows, record["visits"].sources_version) == (
        AUTOMATIC,
        2,
        1,
    )
    _approve(uow, package)
    letter = (
        _zip(uow, assemble_package(uow, package.id, root=packages), packages)
        .read("index.html")
        .decode("utf-8")
    )
    assert "Data found: Two enquiry emails in the inbox" in letter


def test_the_response_waits_for_the_package_then_its_task_is_done(
    uow: UnitOfWork, agency: Operational, packages: Path
) -> None:
    package = _built(uow, agency, packages)
    row = request_of(uow, package)

    def put_together() -> list[str]:
        return [t.state for t in tasks_of(uow, row) if t.kind == "package"]

    # The datasets no source binds are searched by hand meanwhile (SAR-07).
    for task in holding_up_response(uow, row):
        if task.kind == "manual_search":
            record_search(uow, ORG, row.ref, task.id, False, "paper files: none", actor=CASE)
    uow.commit()
    # Built, but not yet reviewed and assembled: the response cannot go out.
    assert put_together() == ["open"]
    assert [t.kind for t in holding_up_response(uow, row)] == ["package"]
    with pytest.raises(TransitionRefused, match=r"1 task.* still open: Put the response together"):
        respond(uow, ORG, row.ref, Step(CASE, uow.clock.today()))
    uow.rollback()
    _approve(uow, package)
    assemble_package(uow, package.id, root=packages)
    uow.commit()
    assert put_together() == ["done"]
    assert holding_up_response(uow, row) == []
    assert respond(uow, ORG, row.ref, Step(CASE, uow.clock.today())).outcome == "responded"
