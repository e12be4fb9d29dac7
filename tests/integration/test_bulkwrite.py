"""Batch writes (``dataward.bulkwrite``) store what the ORM would, on both backends.

The recompute and ``record_many`` write through them (issue 16: the calendar recompute
benchmark); a value converted differently from the ORM's would read back wrong.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import cast

import pytest
from sqlalchemy import Table, select

from dataward.audit.models import AuditEvent
from dataward.audit.service import AuditEntry, record, record_many, verify
from dataward.bulkwrite import insert_rows, update_rows
from dataward.errors import ValidationFailed
from dataward.requests.models import RightsRequest
from dataward.uow import UnitOfWork

AUDIT = cast(Table, AuditEvent.__table__)
REQUESTS = cast(Table, RightsRequest.__table__)
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def _request(i: int, due: date | None) -> RightsRequest:
    return RightsRequest(
        id=f"00000000-0000-0000-0000-{i:012d}",
        ref=f"q_{i:016x}",
        organisation="corner_shop",
        rights=["access"],
        not_offered=[],
        channel="post",
        state="received",
        nation="ENG",
        received_on=date(2026, 11, 2),
        clock_starts_on=date(2026, 11, 2),
        paused_days=0,
        extended=False,
        due_on=due,
        extension_notice_by=due,
        requester_kind="self",
        key_id="k",
        requester_sealed=b"x",
        created_at=NOW,
        updated_at=NOW,
    )


def test_update_rows_sets_each_rows_own_values_and_no_other(uow: UnitOfWork) -> None:
    for i in range(1, 5):
        uow.session.add(_request(i, date(2020, 1, 1)))
    uow.commit()
    update_rows(
        uow.session,
        REQUESTS,
        "id",
        ("due_on", "extension_notice_by"),
        [
            (f"00000000-0000-0000-0000-{1:012d}", date(2026, 12, 2), date(2026, 12, 2)),
            (f"00000000-0000-0000-0000-{2:012d}", date(2027, 2, 2), date(2026, 12, 2)),
            (f"00000000-0000-0000-0000-{3:012d}", None, None),
        ],
    )
    uow.commit()
    rows = uow.session.execute(
        select(RightsRequest.ref, RightsRequest.due_on, RightsRequest.extension_notice_by)
        .order_by(RightsRequest.ref)
        .execution_options(populate_existing=True)
    ).all()
    assert [tuple(r) for r in rows] == [
        ("q_0000000000000001", date(2026, 12, 2), date(2026, 12, 2)),
        ("q_0000000000000002", date(2027, 2, 2), date(2026, 12, 2)),
        ("q_0000000000000003", None, None),
        ("q_0000000000000004", date(2020, 1, 1), date(2020, 1, 1)),  # not named: untouched
    ]


def test_nothing_to_write_writes_nothing(uow: UnitOfWork) -> None:
    insert_rows(uow.session, AUDIT, ("seq",), [])
    update_rows(uow.session, REQUESTS, "id", ("due_on",), [])
    assert uow.session.scalars(select(AuditEvent)).all() == []


def test_record_many_reads_back_as_record_writes_and_the_chain_holds(uow: UnitOfWork) -> None:
    """Details with text beyond ASCII, quotes and a tab, a null and a boolean survive the
    batch path (COPY on PostgreSQL) exactly, and the chain verifies across both paths."""
    record(uow, actor="test", action="first", entity_type="t", entity_id="1")
    details: dict[str, str | int | bool | None] = {
        "name": 'Siân "O\'Brien"\tŁódź\\',
        "count": 3,
        "flag": True,
        "none": None,
    }
    written = record_many(
        uow,
        [
            AuditEntry("test", "batch", "t", "2", subject_ref="s_1", details=details),
            AuditEntry("test", "batch", "t", "3", before={"a": 1}, after={"a": 2}),
        ],
    )
    record(uow, actor="test", action="last", entity_type="t", entity_id="4")
    uow.commit()
    assert written == 2
    rows = uow.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert [(r.seq, r.action, r.entity_id) for r in rows] == [
        (1, "first", "1"),
        (2, "batch", "2"),
        (3, "batch", "3"),
        (4, "last", "4"),
    ]
    assert rows[1].details == details
    assert rows[1].subject_ref == "s_1"
    assert rows[1].occurred_at == datetime(2026, 11, 25, 9, 30)
    assert rows[2].details == {}
    assert rows[2].before_hash is not None
    assert rows[2].after_hash not in (None, rows[2].before_hash)
    assert verify(uow.session).intact


def test_record_many_keeps_apart_details_that_compare_equal(uow: UnitOfWork) -> None:
    """True == 1 in Python; encoded once per distinct details, they must stay apart."""
    record_many(
        uow,
        [
            AuditEntry("test", "batch", "t", "1", details={"x": True}),
            AuditEntry("test", "batch", "t", "2", details={"x": 1}),
            AuditEntry("test", "batch", "t", "3", details={"x": True}),
            AuditEntry("test", "batch", "t", "4", details={"x": "1"}),
        ],
    )
    uow.commit()
    rows = uow.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    assert [r.details["x"] for r in rows] == [True, 1, True, "1"]
    assert [type(r.details["x"]) for r in rows] == [bool, int, bool, str]
    assert verify(uow.session).intact


def test_record_many_refuses_a_detail_that_is_not_plain_and_writes_nothing(
    uow: UnitOfWork,
) -> None:
    """Details are strings, integers, booleans or nothing (refs and codes, never data)."""
    for bad in (1.5, ["a"], {"k": "v"}, b"x"):
        good = AuditEntry("test", "batch", "t", "1", details={"x": "fine"})
        with pytest.raises(ValidationFailed, match="'y' must be a string, integer or boolean"):
            record_many(uow, [good, AuditEntry("test", "batch", "t", "2", details={"y": bad})])
        uow.rollback()
    assert uow.session.scalars(select(AuditEvent)).all() == []

    class Code(str):
        """A string subclass (an enum's value, say) is still a string."""

    assert record_many(uow, [AuditEntry("test", "batch", "t", "3", details={"y": Code("c")})]) == 1
    uow.commit()
    assert uow.session.scalars(select(AuditEvent.details)).one() == {"y": "c"}
