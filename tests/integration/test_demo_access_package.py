"""The demo's access package (issue 18): `make run` queues one, once, for a verified access
request about a customer of the demo agency, and the worker builds it for review."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dataward.access.models import QUEUED, REVIEW, AccessPackage
from dataward.access.service import BUILD_JOB, request_of
from dataward.audit.models import AuditEvent
from dataward.config import get_settings
from dataward.demo.access_package import queue_demo_package
from dataward.demo.rights_requests import ACTOR, open_demo_requests
from dataward.demo.service import DemoOptions, create_demo
from dataward.jobs.models import Job
from dataward.outbox.config import get_mail_settings
from dataward.requests.models import RightsRequest
from dataward.runtime import open_runtime
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork
from dataward.web import serve
from dataward.workers import build_worker

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ORG = "jtr_collections"


def _demo(uow: UnitOfWork, tmp_path: Path) -> None:
    create_demo(
        uow,
        DemoOptions(
            subjects=12,
            seed=1,
            operational_url=f"sqlite:///{tmp_path / 'operational.db'}",
            files_dir=None,
            sources_path=tmp_path / "sources.yaml",
            register_path=EXAMPLES / "jtr-collections.yaml",
        ),
    )
    uow.commit()


def test_one_verified_access_request_about_a_customer_gets_its_package_once(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    assert queue_demo_package(uow, ORG) is None  # no demo requests: nothing to package
    _demo(uow, tmp_path)
    open_demo_requests(uow, ORG, seed=1)
    uow.commit()

    package = queue_demo_package(uow, ORG)
    uow.commit()
    assert package is not None
    assert (package.state, package.queued_by) == (QUEUED, ACTOR)
    row = request_of(uow, package)
    assert "access" in row.rights
    assert row.outcome is None
    assert row.identity_verified_on is not None
    subject = uow.session.get(Subject, row.subject_id)
    assert subject is not None
    assert "customers" in subject.groups  # a debtor: rows in the agency's database
    assert package.subject_id == subject.id
    # The oldest such request answered by email: the overdue one of the queue.
    assert row.received_on == min(
        r.received_on
        for r in uow.session.scalars(select(RightsRequest))
        if "access" in r.rights and r.identity_verified_on is not None and r.outcome is None
    )
    jobs = uow.session.scalars(select(Job).where(Job.kind == BUILD_JOB)).all()
    assert [j.payload["package"] for j in jobs] == [package.id]

    # A second start queues nothing more.
    assert queue_demo_package(uow, ORG) is None
    uow.commit()
    assert uow.session.scalar(select(func.count()).select_from(AccessPackage)) == 1
    queued = uow.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "access.package_queued")
    ).all()
    assert [e.actor for e in queued] == [ACTOR]


@pytest.fixture
def first_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> Iterator[Path]:
    """`make run`'s first start: local keys, and no variable naming the demo's database."""
    for name in (
        "DATAWARD_KEK",
        "DATAWARD_BLIND_INDEX_KEY",
        "DATAWARD_SECRET_KEY",
        "DATAWARD_DEMO_OPERATIONAL_URL",
        "DATAWARD_DEMO_FILES_DIR",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATAWARD_DATABASE_URL", database_url)
    monkeypatch.setenv("DATAWARD_KEYSTORE_URL", f"sqlite:///{tmp_path / 'keys.db'}")
    monkeypatch.setenv("DATAWARD_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DATAWARD_EXAMPLES_DIR", str(EXAMPLES))
    monkeypatch.setenv("DATAWARD_DEMO_SUBJECTS", "20")
    get_settings.cache_clear()
    yield tmp_path / "var"
    get_settings.cache_clear()


def test_make_run_queues_the_package_and_its_worker_builds_it_for_review(
    first_start: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    uow: UnitOfWork,  # its teardown empties the shared test database again
) -> None:
    from dataward.localkeys import ensure_local_keys
    from dataward.migrate import upgrade

    ensure_local_keys()
    get_settings.cache_clear()
    upgrade(database_url)
    serve.ensure_demo(get_settings())
    started = capsys.readouterr().err
    assert "Demo access package: queued for request" in started
    serve.ensure_demo(get_settings())  # a second start queues nothing
    assert "Demo access package" not in capsys.readouterr().err

    settings = get_settings()
    # As `serve` does before starting its worker: the demo's places, under the names its
    # sources file gives (nothing else tells the worker where the demo was made).
    for name, value in serve.demo_locations(settings).items():
        monkeypatch.setenv(name, value)
    with open_runtime(settings) as runtime:
        worker = build_worker(
            runtime.session_factory, runtime.clock, runtime.vault, get_mail_settings()
        )
        worker.run(once=True)
    uow.session.expire_all()
    package = uow.session.scalars(select(AccessPackage)).one()
    assert (package.state, package.failed_source, package.last_error) == (REVIEW, None, None)
    assert package.rows > 0
    assert (first_start / "packages" / ORG / package.id).is_dir()
