"""Building an access package (issue 18, ACC-01/02, SAR-07): part by part through the worker,
resumable after a kill, a source down recorded and retried, on SQLite and PostgreSQL.

The organisation's own data is the small fixture database of ``package_build_support`` (SQLite);
dataward's database is the test's backend. The clock is the test's.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from package_build_support import (
    BOUND,
    CASE,
    EMAIL,
    NOTE,
    ORG,
    OTHER_EMAIL,
    PHONE,
    VIDEO,
    Operational,
    access_request,
    build_operational,
    stored_jtr,
)
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from dataward.access.build import build_package
from dataward.access.jobs import AssembleHandler, BuildHandler, access_jobs
from dataward.access.models import (
    BUILDING,
    PART_DONE,
    PART_PENDING,
    REVIEW,
    AccessPackage,
    PackagePart,
    Redaction,
)
from dataward.access.service import ASSEMBLE_JOB, BUILD_JOB, queue_package
from dataward.access.staging import FILES_FIELD, read_file, read_part
from dataward.audit.models import AuditEvent
from dataward.audit.service import verify
from dataward.clock import FixedClock
from dataward.config import get_settings
from dataward.crypto.keystore import Vault
from dataward.jobs.models import Job
from dataward.jobs.worker import Worker
from dataward.outbox.config import get_mail_settings
from dataward.requests.models import RightsRequest
from dataward.requests.tasks import result_of, tasks_of
from dataward.uow import UnitOfWork
from dataward.workers import domain_jobs

EXPECTED = {  # rows, files per dataset for the subject (the stranger's rows never count)
    "customers": (1, 0),
    "cases": (1, 0),
    "payments": (1, 0),
    "visits": (2, 0),
    "body_worn_video": (3, 2),
}


@pytest.fixture
def agency(tmp_path: Path) -> Operational:
    return build_operational(tmp_path / "agency")


@pytest.fixture
def packages(tmp_path: Path) -> Path:
    return tmp_path / "packages"


def _worker(
    session_factory: sessionmaker[Any], clock: FixedClock, vault: Vault, root: Path
) -> Worker:
    handlers = {BUILD_JOB: BuildHandler(root), ASSEMBLE_JOB: AssembleHandler(root)}
    return Worker(session_factory, clock, handlers, vault=vault, worker_id="w-test")


def _chain(uow: UnitOfWork, action: str) -> list[AuditEvent]:
    return list(
        uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def _parts(uow: UnitOfWork, package_id: str) -> list[PackagePart]:
    uow.session.expire_all()
    return list(
        uow.session.scalars(
            select(PackagePart)
            .where(PackagePart.package_id == package_id)
            .order_by(PackagePart.dataset, PackagePart.binding)
        )
    )


def _due_builds(uow: UnitOfWork) -> list[Job]:
    return list(uow.session.scalars(select(Job).where(Job.kind == BUILD_JOB, Job.state == "due")))


def _queued(uow: UnitOfWork) -> tuple[RightsRequest, str]:
    stored_jtr(uow)
    row = access_request(uow)
    package = queue_package(uow, ORG, row.ref, actor=CASE)
    uow.commit()
    return row, package.id


def test_the_worker_builds_every_part_then_the_package_waits_for_review(
    uow: UnitOfWork,
    session_factory: sessionmaker[Any],
    clock: FixedClock,
    vault: Vault,
    agency: Operational,
    packages: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name, value in agency.env.items():
        monkeypatch.setenv(name, value)
    row, package_id = _queued(uow)

    stats = _worker(session_factory, clock, vault, packages).run(once=True)

    # One run plans, one run per part (five bindings), one run finishes.
    assert stats.by_kind == {BUILD_JOB: 1 + len(BOUND) + 1}
    parts = _parts(uow, package_id)
    assert [(p.dataset, p.state) for p in parts] == [(d, PART_DONE) for d in BOUND]
    assert {p.dataset: (p.rows, p.files) for p in parts} == EXPECTED
    package = uow.session.get(AccessPackage, package_id)
    assert package is not None
    assert package.state == REVIEW
    assert package.built_at == clock.now()
    assert (package.rows, package.files) == (8, 2)
    assert package.failed_source is None
    assert _due_builds(uow) == []

    # The third party's email in the agent's note is redacted; the subject's own is not.
    (redaction,) = uow.session.scalars(select(Redaction)).all()
    visits = next(p for p in parts if p.dataset == "visits")
    assert (redaction.part_id, redaction.row_no, redaction.column, redaction.kind) == (
        visits.id,
        0,
        "note",
        "email",
    )
    assert NOTE[redaction.start : redaction.end] == OTHER_EMAIL
    assert visits.redactions == 1

    # Staged rows hold the subject's rows only; relation rows reached four tables away.
    staged = list(read_part(uow, package, visits, packages))
    assert [r["id"] for r in staged] == [100, 101]
    assert staged[0]["note"] == NOTE
    bwv = next(p for p in parts if p.dataset == "body_worn_video")
    recordings = list(read_part(uow, package, bwv, packages))
    assert [r["id"] for r in recordings] == [1000, 1001, 1002]
    first = recordings[0][FILES_FIELD]
    assert [(f["path"], f["size"]) for f in first] == [("bwv/visit-1.mp4", len(VIDEO))]
    assert read_file(uow, package, first[0]["staged"], packages).read() == VIDEO
    assert recordings[1][FILES_FIELD] == [
        {"path": "bwv/gone.mp4", "name": "gone.mp4", "missing": True}
    ]
    customer = next(p for p in parts if p.dataset == "customers")
    assert [r["email"] for r in read_part(uow, package, customer, packages)] == [EMAIL]

    # SAR-07: each bound dataset's search recorded from the counts; the rest stay open.
    searches = {t.dataset: t for t in tasks_of(uow, row) if t.kind == "manual_search"}
    for dataset, (rows, files) in EXPECTED.items():
        task = searches[dataset]
        assert (task.state, task.found, task.done_by) == ("done", True, "worker")
        assert result_of(uow, row, task) == (
            f"searched automatically in sources v1: {rows} row{'s' if rows != 1 else ''}, "
            f"{files} file{'s' if files != 1 else ''}"
        )
    assert {t.state for d, t in searches.items() if d not in EXPECTED} == {"open"}
    assert row.outcome is None

    assert len(_chain(uow, "access.part_built")) == len(BOUND)
    (built,) = _chain(uow, "access.package_built")
    assert built.details["rows"] == 8
    assert built.details["redactions"] == 1
    assert built.details["tasks_done"] == len(BOUND)
    text = repr([(e.details, e.entity_id) for e in uow.session.scalars(select(AuditEvent))])
    for value in (EMAIL, PHONE, OTHER_EMAIL, "Mary", "visit-1.mp4"):
        assert value not in text
    assert verify(uow.session).intact


def test_a_killed_run_is_done_again_and_makes_no_second_package(
    uow: UnitOfWork, agency: Operational, packages: Path, clock: FixedClock
) -> None:
    _row, package_id = _queued(uow)
    step = build_package(uow, package_id, env=agency.env, root=packages)
    uow.commit()
    assert (step.state, step.planned) == (BUILDING, len(BOUND))

    # Killed after staging a part (its redactions written) but before the commit.
    parts_before = [p.id for p in _parts(uow, package_id)]
    for _ in range(len(BOUND)):
        build_package(uow, package_id, env=agency.env, root=packages)
    assert uow.session.scalars(select(Redaction)).all() != []
    uow.rollback()
    parts = _parts(uow, package_id)
    assert [p.id for p in parts] == parts_before
    assert {p.state for p in parts} == {PART_PENDING}
    assert uow.session.scalars(select(Redaction)).all() == []

    # Resumed: the same parts, each once; one redaction, not two.
    while True:
        step = build_package(uow, package_id, env=agency.env, root=packages)
        uow.commit()
        if step.state == REVIEW:
            break
    assert {p.dataset: (p.rows, p.files) for p in _parts(uow, package_id)} == EXPECTED
    assert len(uow.session.scalars(select(Redaction)).all()) == 1
    assert len(_chain(uow, "access.package_built")) == 1

    # A stray run for a built package does nothing: no job, no entry, no part.
    chain = uow.session.scalars(select(AuditEvent.id)).all()
    jobs = _due_builds(uow)
    step = build_package(uow, package_id, env=agency.env, root=packages)
    uow.commit()
    assert step.state == REVIEW
    assert step.built is None
    assert uow.session.scalars(select(AuditEvent.id)).all() == chain
    assert _due_builds(uow) == jobs


def test_a_source_down_is_named_retried_later_and_never_completes_the_request(
    uow: UnitOfWork, agency: Operational, packages: Path, clock: FixedClock, tmp_path: Path
) -> None:
    row, package_id = _queued(uow)
    down = {**agency.env, "AGENCY_DB_URL": f"sqlite:///{tmp_path / 'missing' / 'x.db'}"}
    build_package(uow, package_id, env=down, root=packages)  # plans: reads no source
    uow.commit()

    for attempt in range(2):
        step = build_package(uow, package_id, env=down, root=packages, attempt=attempt)
        uow.commit()
        assert step.failed_source == "agency"
    uow.session.expire_all()
    package = uow.session.get(AccessPackage, package_id)
    assert package is not None
    assert (package.state, package.failed_source, package.last_error) == (
        BUILDING,
        "agency",
        "source_unavailable",
    )
    # Audited once for the episode, with the connection's name and no URL.
    (failed,) = _chain(uow, "access.source_failed")
    assert failed.details["source"] == "agency"
    assert failed.details["error"] == "source_unavailable"
    assert "missing" not in repr(failed.details)
    # Nothing of a part was kept; the retries wait with a growing backoff.
    assert {p.state for p in _parts(uow, package_id)} == {PART_PENDING}
    assert uow.session.scalars(select(Redaction)).all() == []
    retries = sorted(_due_builds(uow), key=lambda j: j.id)
    assert [j.payload.get("attempt") for j in retries[-2:]] == [1, 2]
    assert retries[-1].due_at == clock.now() + timedelta(minutes=1)
    assert row.outcome is None
    assert {t.state for t in tasks_of(uow, row) if t.kind == "package"} == {"open"}

    # The source is back: the build finishes and the failure is cleared.
    while build_package(uow, package_id, env=agency.env, root=packages).state != REVIEW:
        uow.commit()
    uow.commit()
    uow.session.expire_all()
    package = uow.session.get(AccessPackage, package_id)
    assert package is not None
    assert (package.state, package.failed_source, package.last_error) == (REVIEW, None, None)


def test_the_workers_know_both_jobs() -> None:
    kinds = {kind for domain in domain_jobs(get_mail_settings()) for kind in domain.handlers}
    assert {BUILD_JOB, ASSEMBLE_JOB} <= kinds
    handlers = access_jobs(get_settings(), get_mail_settings()).handlers
    assert all(h.needs_keys for h in handlers.values())


def test_a_file_gone_between_listing_and_copying_fails_its_source_until_it_is_missing(
    uow: UnitOfWork,
    agency: Operational,
    packages: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import dataward.access.build as build_module

    _row, package_id = _queued(uow)
    real_open = open

    def vanishing(path: Any, *args: Any, **kwargs: Any) -> Any:
        if str(path).endswith("visit-1.mp4"):
            raise FileNotFoundError(path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(build_module, "open", vanishing, raising=False)
    step = build_package(uow, package_id, env=agency.env, root=packages)  # plans
    step = build_package(uow, package_id, env=agency.env, root=packages)  # body_worn_video
    uow.commit()
    assert step.failed_source == "agency_files"
    package = uow.session.get(AccessPackage, package_id)
    assert package is not None
    assert (package.failed_source, package.last_error) == ("agency_files", "file_unreadable")
    bwv = next(p for p in _parts(uow, package_id) if p.dataset == "body_worn_video")
    assert (bwv.state, bwv.rows, bwv.files) == (PART_PENDING, 0, 0)

    # Gone for good: the retry lists it as missing, and the build goes on.
    (agency.files / "bwv" / "visit-1.mp4").unlink()
    monkeypatch.undo()
    step = build_package(uow, package_id, env=agency.env, root=packages, attempt=1)
    uow.commit()
    assert step.built == bwv.id
    bwv = next(p for p in _parts(uow, package_id) if p.dataset == "body_worn_video")
    assert (bwv.state, bwv.rows, bwv.files) == (PART_DONE, 3, 1)
    staged = list(read_part(uow, package, bwv, packages))
    assert staged[0][FILES_FIELD] == [
        {"path": "bwv/visit-1.mp4", "name": "visit-1.mp4", "missing": True}
    ]
