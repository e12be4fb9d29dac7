"""The demo agency's sources file runs (issue 20; RULES: RET-01, RET-03): on a fresh demo
(seed 1, 40 people, made on 25 November 2026) run as of 3 January 2033, when every case
returned by the end of 2026 is past JTR's six years, no binding is skipped for want of a way
to erase it: customers are anonymised, their cases and visits lose their customer, their
payments, notes and complaints go; a second run the next day acts on nothing again. The
agency's database is on the same kind of server as dataward's: on PostgreSQL, a strategy's
``zero`` compared with a boolean column (``vulnerable``) is typed as the column."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from dataward.clock import FixedClock
from dataward.demo.service import DemoOptions, create_demo
from dataward.demo.sources import FILES_DIR_FROM, OPERATIONAL_URL_FROM
from dataward.retention.models import RetentionEvidence
from dataward.retention.run import RunStep, run_step, what_each_did
from dataward.scratch import scratch_databases
from dataward.uow import UnitOfWork

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ORG = "jtr_collections"
# Skips the demo cannot fix: a new occupier's row and an assessment carry no date of the
# assessment that the sources format can bind (it is two tables away, or on the child).
# The evidence itself is not skipped: its files go and its row stays (the assessments point
# at it), its path emptied.
UNFIXABLE = {
    ("new_occupier_evidence", "new_occupiers"),
    ("new_occupier_evidence", "assessments"),
}


@pytest.fixture
def operational_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """The agency's own database on the same kind of server as dataward's."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'operational.db'}"
        return
    with scratch_databases(os.environ["DATAWARD_TEST_DATABASE_URL"], "run_demo_ops") as (url,):
        yield url


def _run(uow: UnitOfWork, env: dict[str, str]) -> RunStep:
    for _ in range(500):
        step = run_step(uow, ORG, worker="w", env=env)
        uow.commit()
        if step.finished:
            return step
    raise AssertionError("the run did not finish")


# RULES: RET-01, RET-03
def test_the_demo_runs_with_nothing_skipped_that_its_sources_file_could_fix(
    uow: UnitOfWork, tmp_path: Path, clock: FixedClock, operational_url: str
) -> None:
    url = operational_url
    create_demo(
        uow,
        DemoOptions(
            subjects=40,
            seed=1,
            operational_url=url,
            files_dir=tmp_path / "files",
            sources_path=tmp_path / "sources.yaml",
            register_path=EXAMPLES / "jtr-collections.yaml",
        ),
    )
    uow.commit()
    env = {OPERATIONAL_URL_FROM: url, FILES_DIR_FROM: str(tmp_path / "files")}
    clock.set(datetime(2033, 1, 3, 12, tzinfo=UTC))
    step = _run(uow, env)
    records = uow.session.scalars(
        select(RetentionEvidence).where(RetentionEvidence.run_id == step.run_id)
    ).all()
    skipped = {(r.dataset, r.table) for r in records if r.status == "skipped"}
    assert skipped <= UNFIXABLE, skipped
    evidence = next(r for r in records if r.table == "new_occupier_evidence")
    assert (evidence.status, evidence.files) == ("done", evidence.rows)
    assert evidence.rows > 0
    did = what_each_did(uow, step.run_id)
    by_table = {r.table: r for r in records if r.rule == "customer_data" and r.table}
    assert {t: did[r.id] for t, r in by_table.items()} == {
        "debtors": "anonymised",
        "cases": "anonymised",
        "payments": "deleted",
        "agent_visits": "anonymised",
        "notes": "deleted",
        "complaints": "deleted",
    }
    assert by_table["debtors"].rows > 0
    assert by_table["payments"].rows > 0
    clock.set(datetime(2033, 1, 4, 12, tzinfo=UTC))
    again = _run(uow, env)
    later = uow.session.scalars(
        select(RetentionEvidence).where(
            RetentionEvidence.run_id == again.run_id, RetentionEvidence.rule == "customer_data"
        )
    ).all()
    assert sum(r.rows for r in later) == 0
