"""The database refuses audit rows with an id or seq of 0 or below, on both backends, and
migration 0008 adds that rule to a database that already holds a chain (issue 14, item 2)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from dataward.audit.service import record, verify
from dataward.clock import FixedClock
from dataward.db import make_engine, make_session_factory
from dataward.migrate import upgrade
from dataward.scratch import scratch_databases
from dataward.uow import UnitOfWork

_COPY_FIRST_ROW = (
    "INSERT INTO audit_events (id, seq, occurred_at, actor, action, entity_type, entity_id,"
    " subject_ref, before_hash, after_hash, details, prev_hash, row_hash)"
    " SELECT {id}, {seq}, occurred_at, actor, 'subject.erased', entity_type, entity_id,"
    " subject_ref, before_hash, after_hash, details, prev_hash, row_hash"
    " FROM audit_events WHERE seq = 1"
)


def _append(uow: UnitOfWork, clock: FixedClock, n: int) -> None:
    for i in range(n):
        record(
            uow, actor="dpo:1", action="subject.created", entity_type="subject", entity_id=str(i)
        )
        clock.advance(timedelta(seconds=1))
    uow.commit()


@pytest.mark.parametrize(("row_id", "seq"), [(0, 1000), (-1, 1000), (1000, 0), (1001, -1)], ids=str)
def test_it_refuses_a_row_with_an_id_or_seq_below_one(
    uow: UnitOfWork, clock: FixedClock, row_id: int, seq: int
) -> None:
    """issue 14, item 2: a forged row at id or seq 0 or below never reaches the table."""
    _append(uow, clock, 1)
    with pytest.raises(IntegrityError):
        uow.session.execute(text(_COPY_FIRST_ROW.format(id=row_id, seq=seq)))
    uow.rollback()
    count = uow.session.execute(text("SELECT count(*) FROM audit_events")).scalar_one()
    assert count == 1


@pytest.fixture
def empty_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database of its own, not yet migrated."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    with scratch_databases(os.environ["DATAWARD_TEST_DATABASE_URL"], "dataward_0008") as (url,):
        yield url


def _chain_at_0007(url: str, clock: FixedClock, rows: int) -> Any:
    upgrade(url, "0007")
    engine = make_engine(url)
    with UnitOfWork(make_session_factory(engine), clock, None) as unit:
        _append(unit, clock, rows)
    return engine


def test_the_migration_keeps_an_existing_chain_and_then_refuses_forged_rows(
    empty_url: str, clock: FixedClock
) -> None:
    """issue 14, item 2: 0008 applies to a database holding rows; the chain stays intact."""
    engine = _chain_at_0007(empty_url, clock, 5)
    try:
        with make_session_factory(engine)() as session:
            before = verify(session)
        upgrade(empty_url)
        with make_session_factory(engine)() as session:
            after = verify(session)
            assert after.intact
            assert (after.rows, after.head_hash) == (5, before.head_hash)
            with pytest.raises(IntegrityError):
                session.execute(text(_COPY_FIRST_ROW.format(id=0, seq=99)))
            session.rollback()
        with UnitOfWork(make_session_factory(engine), clock, None) as unit:
            _append(unit, clock, 1)  # appending still works on the rebuilt table
        with make_session_factory(engine)() as session:
            assert verify(session).rows == 6
    finally:
        engine.dispose()


def test_the_migration_stops_on_a_forged_row_and_names_it(
    empty_url: str, clock: FixedClock
) -> None:
    """issue 14, item 2: a row already at id 0 is not dropped silently; the upgrade says why."""
    engine = _chain_at_0007(empty_url, clock, 2)
    try:
        with engine.begin() as conn:
            conn.execute(text(_COPY_FIRST_ROW.format(id=0, seq=1000)))
        with pytest.raises(RuntimeError, match="1 row\\(s\\) with an id or seq of 0 or below"):
            upgrade(empty_url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar_one() == 3
    finally:
        engine.dispose()
