"""A person's search never pulls in another person's rows (SAR-07, ERA-01).

The demo agency binds ``date_of_birth``, ``name`` and ``address`` as identities of its
debtors. At seed 1 with 12 people, JTR0000003 and JTR0000004 share a date of birth: a search
that counted a row as the person's on any single identity returned both debtors, and an
erasure plan for one planned to erase the other's body-worn video. A date of birth (a name,
an address) finds a row only together with another of the person's identities.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from dataward.access.build import build_package
from dataward.access.models import BUILDING, REVIEW, PackagePart
from dataward.access.service import queue_package
from dataward.demo.service import DemoOptions, create_demo
from dataward.demo.sources import FILES_DIR_FROM, OPERATIONAL_URL_FROM
from dataward.erasure.models import ErasureStep
from dataward.erasure.plan import plan_erasure, record_ground
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.source_search import search_sources, subject_identities
from dataward.requests.transitions import Step, link_subject, verify_identity
from dataward.sources.connectors import open_all
from dataward.sources.connectors.base import stream_subject
from dataward.sources.versions import current_sources
from dataward.subjects.models import Subject
from dataward.subjects.service import find_subjects
from dataward.uow import UnitOfWork

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ORG = "jtr_collections"
CASE = "user:u_case"
FIRST, SECOND = "JTR0000003", "JTR0000004"


@pytest.fixture
def demo(uow: UnitOfWork, tmp_path: Path) -> dict[str, str]:
    """The demo agency at seed 1, 12 people; the env its sources file's connections read."""
    url = f"sqlite:///{tmp_path / 'operational.db'}"
    files = tmp_path / "files"
    create_demo(
        uow,
        DemoOptions(
            subjects=12,
            seed=1,
            operational_url=url,
            files_dir=files,
            sources_path=tmp_path / "sources.yaml",
            register_path=EXAMPLES / "jtr-collections.yaml",
        ),
    )
    uow.commit()
    return {OPERATIONAL_URL_FROM: url, FILES_DIR_FROM: str(files)}


def _subject(uow: UnitOfWork, customer_ref: str) -> Subject:
    [found] = find_subjects(uow, ORG, "customer_ref", customer_ref)
    return found


def _debtor(env: dict[str, str], customer_ref: str) -> dict[str, object]:
    engine = create_engine(env[OPERATIONAL_URL_FROM])
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT id, date_of_birth FROM debtors WHERE customer_ref = :r"),
                {"r": customer_ref},
            ).one()
    finally:
        engine.dispose()
    return {"id": row[0], "date_of_birth": str(row[1])}


def _own_recordings(env: dict[str, str], debtor_id: object) -> int:
    engine = create_engine(env[OPERATIONAL_URL_FROM])
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(*) FROM body_worn_video b JOIN agent_visits v "
                        "ON b.visit_id = v.id JOIN cases c ON v.case_id = c.id "
                        "WHERE c.debtor_id = :d"
                    ),
                    {"d": debtor_id},
                ).scalar_one()
            )
    finally:
        engine.dispose()


def _request(uow: UnitOfWork, subject: Subject, rights: tuple[str, ...]) -> str:
    requester = Requester(name="A Debtor", email="debtor@example.org", words="My data.")
    row = open_request(
        uow, NewRequest(ORG, rights, "email", date(2026, 11, 20), requester), actor=CASE
    )
    link_subject(uow, ORG, row.ref, subject.ref, Step(CASE, date(2026, 11, 20)))
    verify_identity(uow, ORG, row.ref, "document", Step(CASE, date(2026, 11, 21)))
    uow.commit()
    return row.ref


def test_the_two_people_really_share_a_date_of_birth(uow: UnitOfWork, demo: dict[str, str]) -> None:
    first, second = _debtor(demo, FIRST), _debtor(demo, SECOND)
    assert first["id"] != second["id"]
    assert first["date_of_birth"] == second["date_of_birth"] == "1946-01-20"
    values = subject_identities(uow, _subject(uow, FIRST))
    assert values["date_of_birth"] == ["1946-01-20"]  # the search does look for it


def test_each_search_gets_only_its_own_debtor_row_and_cases(
    uow: UnitOfWork, demo: dict[str, str]
) -> None:
    sources = current_sources(uow, ORG).parsed().sources
    connectors = open_all(sources, demo)
    try:
        for ref, other in ((FIRST, SECOND), (SECOND, FIRST)):
            values = subject_identities(uow, _subject(uow, ref))
            own, theirs = _debtor(demo, ref)["id"], _debtor(demo, other)["id"]
            debtor_ids: set[object] = set()
            for part in stream_subject(sources, connectors, values, datasets={"customers"}):
                for row in part.rows:
                    if part.binding.table == "debtors":
                        assert row["customer_ref"] == ref
                        debtor_ids.add(row["id"])
            for part in stream_subject(sources, connectors, values, datasets={"cases"}):
                debtor_ids.update(row["debtor_id"] for row in part.rows)
            assert own in debtor_ids
            assert theirs not in debtor_ids
    finally:
        for connector in connectors.values():
            connector.close()


def test_an_erasure_plan_erases_only_the_persons_own_video(
    uow: UnitOfWork, demo: dict[str, str]
) -> None:
    for ref in (FIRST, SECOND):
        request = _request(uow, _subject(uow, ref), ("erasure",))
        record_ground(uow, ORG, request, "no_longer_necessary", actor=CASE)
        plan = plan_erasure(uow, ORG, request, actor=CASE, env=demo)
        uow.commit()
        steps = uow.session.scalars(select(ErasureStep).where(ErasureStep.plan_id == plan.id))
        by_dataset: dict[str, int] = {}
        for step in steps:
            by_dataset[step.dataset] = by_dataset.get(step.dataset, 0) + step.rows + step.rows_kept
        assert by_dataset.get("customers", 0) >= 1
        expected = _own_recordings(demo, _debtor(demo, ref)["id"])
        assert by_dataset.get("body_worn_video", 0) == expected


def test_a_request_search_counts_one_customer_row(uow: UnitOfWork, demo: dict[str, str]) -> None:
    request = _request(uow, _subject(uow, FIRST), ("access",))
    result = search_sources(uow, ORG, request, actor=CASE, env=demo)
    assert result.searched["customers"].rows == 1


def test_an_access_package_holds_only_the_persons_own_rows(
    uow: UnitOfWork, demo: dict[str, str], tmp_path: Path
) -> None:
    request = _request(uow, _subject(uow, FIRST), ("access",))
    package = queue_package(uow, ORG, request, actor=CASE)
    uow.commit()
    root = tmp_path / "packages"
    for _ in range(40):
        step = build_package(uow, package.id, env=demo, root=root)
        uow.commit()
        if step.state != BUILDING:
            break
    assert step.state == REVIEW
    parts = uow.session.scalars(select(PackagePart).where(PackagePart.package_id == package.id))
    rows: dict[str, int] = {}
    for part in parts:
        rows[part.dataset] = rows.get(part.dataset, 0) + part.rows
    assert rows["customers"] == 1  # not JTR0000004's debtor row as well
    assert rows["body_worn_video"] == _own_recordings(demo, _debtor(demo, FIRST)["id"])
