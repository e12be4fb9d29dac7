"""The audit chain detects every kind of tampering (DESIGN: Audit), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import sessionmaker
from typer.testing import CliRunner

from dataward.audit.chain import GENESIS
from dataward.audit.models import AuditEvent
from dataward.audit.service import Anchor, record, verify
from dataward.cli.app import app
from dataward.clock import FixedClock
from dataward.errors import ValidationFailed
from dataward.uow import UnitOfWork


def _append(uow: UnitOfWork, clock: FixedClock, n: int) -> None:
    for i in range(n):
        record(
            uow,
            actor="caseworker:7",
            action="subject.updated",
            entity_type="subject",
            entity_id=f"s{i}",
            subject_ref=f"ps_{i:04d}",
            before={"state": i},
            after={"state": i + 1},
            details={"fields": 2, "reason": "test"},
        )
        clock.advance(timedelta(seconds=1))
    uow.commit()


def _verify(session_factory: sessionmaker[Any]) -> Any:
    with session_factory() as session:
        return verify(session)


def test_it_links_each_row_to_the_one_before(uow: UnitOfWork, clock: FixedClock) -> None:
    _append(uow, clock, 3)
    rows = uow.session.execute(
        text("SELECT seq, prev_hash, row_hash FROM audit_events ORDER BY seq")
    ).all()
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].prev_hash == GENESIS
    assert rows[1].prev_hash == rows[0].row_hash
    assert rows[2].prev_hash == rows[1].row_hash


def test_it_verifies_an_intact_chain(
    uow: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any]
) -> None:
    _append(uow, clock, 5)
    result = _verify(session_factory)
    assert result.intact
    assert result.rows == 5
    assert result.head_seq == 5


def test_it_detects_an_edited_row(
    uow: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any]
) -> None:
    _append(uow, clock, 5)
    uow.session.execute(text("UPDATE audit_events SET actor = 'dpo:1' WHERE seq = 3"))
    uow.commit()
    result = _verify(session_factory)
    assert result.first_break is not None
    assert result.first_break.seq == 3
    assert "hash" in result.first_break.reason


def test_it_detects_an_edited_detail(
    uow: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any]
) -> None:
    _append(uow, clock, 4)
    details = json.dumps({"fields": 3, "reason": "test"})
    uow.session.execute(text("UPDATE audit_events SET details = :d WHERE seq = 2"), {"d": details})
    uow.commit()
    assert _verify(session_factory).first_break.seq == 2


def test_it_detects_a_deleted_row(
    uow: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any]
) -> None:
    _append(uow, clock, 5)
    uow.session.execute(text("DELETE FROM audit_events WHERE seq = 2"))
    uow.commit()
    brk = _verify(session_factory).first_break
    assert brk is not None
    assert brk.seq == 3
    assert "missing" in brk.reason


def test_it_detects_an_inserted_row(
    uow: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any]
) -> None:
    _append(uow, clock, 3)
    # A forger copies row 3 as a new row 4 with a plausible link but cannot make the hash.
    uow.session.execute(
        text(
            "INSERT INTO audit_events (seq, occurred_at, actor, action, entity_type, entity_id,"
            " subject_ref, before_hash, after_hash, details, prev_hash, row_hash)"
            " SELECT 4, occurred_at, actor, 'subject.erased', entity_type, entity_id,"
            " subject_ref, before_hash, after_hash, details, row_hash, row_hash"
            " FROM audit_events WHERE seq = 3"
        )
    )
    uow.commit()
    brk = _verify(session_factory).first_break
    assert brk is not None
    assert brk.seq == 4


def test_it_detects_reordered_rows(
    uow: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any]
) -> None:
    _append(uow, clock, 4)
    # Swap the sequence numbers of rows 2 and 3 (via a free value, for the unique index).
    session = uow.session
    session.execute(text("UPDATE audit_events SET seq = 1000 WHERE seq = 2"))
    session.execute(text("UPDATE audit_events SET seq = 2 WHERE seq = 3"))
    session.execute(text("UPDATE audit_events SET seq = 3 WHERE seq = 1000"))
    uow.commit()
    brk = _verify(session_factory).first_break
    assert brk is not None
    assert brk.seq == 3
    # Row 2 is still there, further on: the break says so rather than calling it missing.
    assert "row 2 is out of order" in brk.reason


def test_it_refuses_details_that_are_not_plain_values(uow: UnitOfWork) -> None:
    with pytest.raises(ValidationFailed):
        record(
            uow,
            actor="system",
            action="x",
            entity_type="t",
            entity_id="1",
            details={"nested": {"a": 1}},
        )  # type: ignore[dict-item]
    assert uow.session.execute(text("SELECT count(*) FROM audit_events")).scalar() == 0


def test_it_records_a_register_version_in_the_chain(
    uow: UnitOfWork, session_factory: sessionmaker[Any], examples_dir: Any
) -> None:
    from pathlib import Path

    from dataward.publication.registers import store_register
    from dataward.register.loader import load_register

    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "loader" / "minimal.yaml"
    store_register(uow, load_register(fixture))
    uow.commit()
    row = uow.session.execute(
        text(
            "SELECT action, entity_id, actor FROM audit_events"
            " WHERE action = 'register.version_stored'"
        )
    ).one()
    assert row.action == "register.version_stored"
    assert row.entity_id.endswith(":1")
    assert _verify(session_factory).intact


def test_the_cli_names_the_first_broken_row(
    uow: UnitOfWork, clock: FixedClock, database_url: str
) -> None:
    _append(uow, clock, 3)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify", "--url", database_url])
    assert ok.exit_code == 0, ok.output
    assert "intact: 3 rows" in ok.output
    head = runner.invoke(app, ["audit", "head", "--url", database_url]).output.strip()
    assert head.startswith("3:")
    uow.session.execute(text("DELETE FROM audit_events WHERE seq = 3"))
    uow.commit()
    # Cutting the tail leaves a valid shorter chain: only the anchor reveals it.
    assert runner.invoke(app, ["audit", "verify", "--url", database_url]).exit_code == 0
    cut = runner.invoke(app, ["audit", "verify", "--url", database_url, "--anchor", head])
    assert cut.exit_code == 1
    assert "TRUNCATED" in cut.output
    uow.session.execute(text("UPDATE audit_events SET action = 'x' WHERE seq = 1"))
    uow.commit()
    broken = runner.invoke(app, ["audit", "verify", "--url", database_url])
    assert broken.exit_code == 1
    assert "BROKEN at seq 1" in broken.output


def _rehash_from(uow: UnitOfWork, seq: int) -> None:
    """Rewrite the history from row ``seq`` on and re-hash every link after it, as a
    database writer who knows the hash function could: the chain alone stays valid."""
    from dataward.audit.chain import row_digest

    session = uow.session
    table = AuditEvent.__table__
    rows = (
        session.execute(select(table).where(table.c.seq >= seq).order_by(table.c.seq))
        .mappings()
        .all()
    )
    prev = session.execute(
        text("SELECT row_hash FROM audit_events WHERE seq = :s"), {"s": seq - 1}
    ).scalar_one()
    for row in rows:
        fields = {
            k: row[k]
            for k in (
                "seq",
                "occurred_at",
                "actor",
                "action",
                "entity_type",
                "entity_id",
                "subject_ref",
                "before_hash",
                "after_hash",
                "details",
                "prev_hash",
            )
        }
        if isinstance(fields["details"], str):
            fields["details"] = json.loads(fields["details"])
        fields["action"] = "subject.erased" if row["seq"] == seq else row["action"]
        fields["prev_hash"] = prev
        prev = row_digest(**fields)
        session.execute(
            text(
                "UPDATE audit_events SET action = :a, prev_hash = :p, row_hash = :h WHERE seq = :s"
            ),
            {"a": fields["action"], "p": fields["prev_hash"], "h": prev, "s": row["seq"]},
        )
    uow.commit()


def test_it_refuses_a_history_rewritten_and_rehashed_behind_an_anchor(
    uow: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any], database_url: str
) -> None:
    _append(uow, clock, 5)
    runner = CliRunner()
    head = runner.invoke(app, ["audit", "head", "--url", database_url]).output.strip()
    _rehash_from(uow, 3)
    # The rewritten chain is consistent with itself ...
    assert _verify(session_factory).intact
    # ... but not with the head kept elsewhere before the rewrite.
    result = runner.invoke(app, ["audit", "verify", "--url", database_url, "--anchor", head])
    assert result.exit_code == 1, result.output
    assert "BROKEN at seq 5" in result.output
    assert "anchor" in result.output


def test_it_refuses_a_made_up_anchor(
    uow: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any]
) -> None:
    _append(uow, clock, 3)
    with session_factory() as session:
        brk = verify(session, anchors=[Anchor(2, "0" * 64)]).first_break
        assert brk is not None
        assert brk.seq == 2
        assert "anchor" in brk.reason
        good = verify(session)
        assert verify(session, anchors=[Anchor(good.head_seq, good.head_hash)]).intact


def test_it_reports_a_truncated_chain_against_an_anchor(
    uow: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any]
) -> None:
    _append(uow, clock, 4)
    with session_factory() as session:
        head = verify(session)
    uow.session.execute(text("DELETE FROM audit_events WHERE seq = 4"))
    uow.commit()
    with session_factory() as session:
        brk = verify(session, anchors=[Anchor(head.head_seq, head.head_hash)]).first_break
    assert brk is not None
    assert brk.truncated
    assert "ends at seq 3" in brk.reason


@pytest.mark.parametrize("text_", ["3", "x:" + "a" * 64, "3:abc", "0:" + "a" * 64, "3:" + "A" * 64])
def test_it_refuses_an_anchor_that_is_not_seq_and_hash(text_: str) -> None:
    with pytest.raises(ValidationFailed):
        Anchor.parse(text_)


def test_the_cli_answers_a_malformed_anchor_with_exit_2(database_url: str) -> None:
    result = CliRunner().invoke(app, ["audit", "verify", "--url", database_url, "--anchor", "7"])
    assert result.exit_code == 2
    assert "SEQ:HASH" in result.output
    assert "Traceback" not in result.output


def test_it_verifies_a_row_slipped_in_below_the_first_id(
    uow: UnitOfWork, clock: FixedClock, backend: str
) -> None:
    _append(uow, clock, 2)
    # A forged row with id 0, which a walk starting "above id 0" never saw. The database
    # refuses it since migration 0008, so the forger here first lifts that CHECK, as a
    # writer with DDL rights could; the walk must still see the row. Everything happens in
    # one transaction that is rolled back, so the shared table keeps its constraints.
    if backend == "sqlite":
        uow.session.execute(text("PRAGMA ignore_check_constraints = ON"))
    else:
        uow.session.execute(
            text("ALTER TABLE audit_events DROP CONSTRAINT ck_audit_events_id_positive")
        )
    uow.session.execute(
        text(
            "INSERT INTO audit_events (id, seq, occurred_at, actor, action, entity_type,"
            " entity_id, subject_ref, before_hash, after_hash, details, prev_hash, row_hash)"
            " SELECT 0, 1000, occurred_at, actor, 'subject.erased', entity_type, entity_id,"
            " subject_ref, before_hash, after_hash, details, prev_hash, row_hash"
            " FROM audit_events WHERE seq = 1"
        )
    )
    try:
        result = verify(uow.session)
    finally:
        if backend == "sqlite":  # before the rollback hands the connection back to the pool
            uow.session.execute(text("PRAGMA ignore_check_constraints = OFF"))
        uow.rollback()
    assert result.first_break is not None
    assert result.first_break.row_id == 0


def test_it_names_a_row_whose_details_cannot_be_read(
    uow: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any], backend: str
) -> None:
    _append(uow, clock, 2)
    if backend == "sqlite":
        uow.session.execute(text("UPDATE audit_events SET details = '[1, [2' WHERE seq = 2"))
    else:
        uow.session.execute(
            text("UPDATE audit_events SET details = CAST('[[1, 2]]' AS JSON) WHERE seq = 2")
        )
    uow.commit()
    brk = _verify(session_factory).first_break
    assert brk is not None
    assert brk.seq == 2
