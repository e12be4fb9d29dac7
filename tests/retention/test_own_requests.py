"""dataward's own data tied to rights requests (RET-01..03, RET-02 for holds): finished
requests are crypto-shredded, their packages and unchecked ID documents go, sent messages
lose their bodies; what is not yet due stays, and what is in use stays whatever its age.
The clock is 25 November 2026; default periods unless a test says otherwise."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from own_support import (
    at,
    complaint,
    document,
    folder_of,
    hold,
    message,
    package,
    request,
    settings_for,
    subject,
)
from sqlalchemy import select

from dataward.access.models import AccessPackage
from dataward.audit.models import AuditEvent
from dataward.crypto.errors import SubjectShredded
from dataward.crypto.keyring import data_key
from dataward.outbox.models import OutboxMessage
from dataward.requests.models import RightsRequest
from dataward.requests.verification_models import IdentityDocument
from dataward.retention.own import OwnSwept, own_plan, remove_swept_files, sweep_own
from dataward.uow import UnitOfWork


def _swept(uow: UnitOfWork, settings: object, **kw: int) -> dict[str, OwnSwept]:
    done = sweep_own(uow, settings, worker="test", **kw)  # type: ignore[arg-type]
    uow.commit()
    remove_swept_files(done)
    return {s.kind: s for s in done}


def _plan(uow: UnitOfWork, settings: object) -> dict[str, object]:
    return {d.kind: d for d in own_plan(uow, settings)}  # type: ignore[arg-type]


def _key_exists(uow: UnitOfWork, key_id: str) -> bool:
    uow.key_cache.clear()
    try:
        data_key(uow, key_id)
    except SubjectShredded:
        return False
    return True


# RULES: RET-01, RET-03
def test_it_shreds_a_request_finished_longer_ago_than_its_period(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path)
    old = request(uow, last_step=date(2020, 11, 24))  # 6 years on 2026-11-24: due
    young = request(uow, last_step=date(2020, 11, 26))  # due on 2026-11-26
    open_one = request(uow, state="in_progress", last_step=date(2010, 1, 1))
    uow.commit()

    plan = _plan(uow, settings)["closed_requests"]
    assert (plan.rows_due, plan.cutoff, plan.next_due) == (
        1,
        date(2020, 11, 25),
        date(2026, 11, 26),
    )  # type: ignore[attr-defined]

    swept = _swept(uow, settings)["closed_requests"]
    assert (swept.rows, swept.more) == (1, False)
    uow.session.expire_all()
    assert not _key_exists(uow, old.key_id)
    assert uow.session.get(RightsRequest, old.id).requester_sealed == b""  # type: ignore[union-attr]
    # The case record stays: ref, dates and outcome for the audit chain that names it.
    assert uow.session.get(RightsRequest, old.id).outcome == "responded"  # type: ignore[union-attr]
    assert _key_exists(uow, young.key_id)
    assert _key_exists(uow, open_one.key_id)


# RULES: RET-02
def test_it_keeps_a_request_a_complaint_or_a_legal_hold_keeps(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path)
    person = subject(uow)
    complained = request(uow)
    complained_long_ago = request(uow)
    complained_lately = request(uow)
    held_subject = request(uow, subject_row=person)
    held_case = request(uow)
    free = request(uow)
    complaint(uow, [complained.ref])  # still open
    complaint(uow, [complained_long_ago.ref], closed_on=date(2019, 6, 1))
    complaint(uow, [complained_lately.ref], closed_on=date(2024, 6, 1))  # restarts the period
    hold(uow, subject_row=person)
    hold(uow, case_ref=held_case.ref)
    uow.commit()

    assert _plan(uow, settings)["closed_requests"].rows_due == 2  # type: ignore[attr-defined]
    assert _swept(uow, settings)["closed_requests"].rows == 2
    uow.session.expire_all()
    gone = {
        r.id
        for r in uow.session.scalars(
            select(RightsRequest).where(RightsRequest.requester_sealed == b"")
        )
    }
    assert gone == {free.id, complained_long_ago.id}
    for kept in (complained, complained_lately, held_subject, held_case):
        assert _key_exists(uow, kept.key_id)


# RULES: RET-01, RET-03
def test_it_deletes_packages_of_finished_requests_after_the_commit(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path)
    person = subject(uow)
    finished = request(uow, state="responded", last_step=date(2026, 10, 1))  # 55 days ago
    recent = request(uow, state="responded", last_step=date(2026, 11, 20))
    still_open = request(uow, state="in_progress", last_step=date(2026, 1, 1))
    due = package(uow, finished, person, settings, expires_at=at(date(2026, 10, 31)))
    never_ready = package(uow, finished, person, settings, state="review", kind="portability")
    not_yet = package(uow, recent, person, settings, state="approved")
    in_use = package(uow, still_open, person, settings, state="building")
    uow.commit()

    plan = _plan(uow, settings)["access_packages"]
    assert (plan.rows_due, plan.files_due) == (2, 4)  # type: ignore[attr-defined]
    assert plan.next_due == date(2026, 12, 20)  # type: ignore[attr-defined]

    done = sweep_own(uow, settings, worker="test")
    swept = {s.kind: s for s in done}["access_packages"]
    assert (swept.rows, swept.files) == (2, 4)
    # Named, not removed: the rows are not committed yet.
    assert folder_of(due, settings).is_dir()
    uow.commit()
    assert remove_swept_files(done) == 4
    assert not folder_of(due, settings).exists()
    assert not folder_of(never_ready, settings).exists()
    assert folder_of(not_yet, settings).is_dir()
    assert folder_of(in_use, settings).is_dir()
    uow.session.expire_all()
    assert uow.session.get(AccessPackage, due.id).state == "deleted"  # type: ignore[union-attr]
    assert uow.session.get(AccessPackage, in_use.id).state == "building"  # type: ignore[union-attr]


def test_it_never_removes_a_package_whose_download_link_is_live(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, own_access_package_days=1)
    person = subject(uow)
    finished = request(uow, state="responded", last_step=date(2026, 10, 1))
    live = package(uow, finished, person, settings, expires_at=at(date(2026, 12, 1)))
    uow.commit()
    assert _swept(uow, settings)["access_packages"].rows == 0
    assert folder_of(live, settings).is_dir()


# RULES: RET-03
def test_it_finds_again_the_files_of_a_sweep_killed_after_its_commit(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path)
    person = subject(uow)
    finished = request(uow, state="responded", last_step=date(2026, 9, 1))
    made = package(uow, finished, person, settings, expires_at=at(date(2026, 10, 1)))
    uow.commit()
    sweep_own(uow, settings, worker="test")
    uow.commit()  # ... and the process dies before removing the files
    assert folder_of(made, settings).is_dir()
    assert _plan(uow, settings)["access_packages"].files_due == 2  # type: ignore[attr-defined]
    again = _swept(uow, settings)["access_packages"]
    assert (again.rows, again.files) == (0, 2)
    assert not folder_of(made, settings).exists()


# RULES: RET-01
def test_it_deletes_id_documents_left_once_identity_was_decided(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path)
    verified_long_ago = request(
        uow, state="in_progress", last_step=date(2026, 11, 1), verified_on=date(2026, 11, 10)
    )
    verified_lately = request(
        uow, state="in_progress", last_step=date(2026, 11, 1), verified_on=date(2026, 11, 20)
    )
    withdrawn = request(uow, state="withdrawn", last_step=date(2026, 11, 2))
    waiting = request(uow, state="awaiting_identity", last_step=date(2026, 1, 1))
    docs = {
        name: document(uow, row)
        for name, row in [
            ("old", verified_long_ago),
            ("lately", verified_lately),
            ("withdrawn", withdrawn),
            ("waiting", waiting),
        ]
    }
    uow.commit()

    plan = _plan(uow, settings)["identity_documents"]
    assert (plan.rows_due, plan.next_due) == (2, date(2026, 11, 27))  # type: ignore[attr-defined]
    assert _swept(uow, settings)["identity_documents"].rows == 2
    uow.session.expire_all()
    left = set(uow.session.scalars(select(IdentityDocument.id)))
    assert left == {docs["lately"].id, docs["waiting"].id}


# RULES: RET-01
def test_it_empties_sent_message_bodies_and_keeps_the_envelope(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path)
    open_request = request(uow, state="in_progress", last_step=date(2026, 1, 1))
    old = message(uow, sent_on=date(2026, 8, 1))  # 116 days ago
    young = message(uow, sent_on=date(2026, 9, 1))  # due 2026-11-30
    queued = message(uow, status="queued", sent_on=date(2025, 1, 1))
    parked = message(uow, status="parked", sent_on=date(2025, 1, 1))
    to_open_request = message(uow, sent_on=date(2026, 1, 2), request_row=open_request)
    open_complaint = complaint(uow, [])
    to_complainant = message(uow, sent_on=date(2026, 1, 2), complaint_id=open_complaint.id)
    uow.commit()

    plan = _plan(uow, settings)["outbox_bodies"]
    assert (plan.rows_due, plan.next_due) == (1, date(2026, 11, 30))  # type: ignore[attr-defined]
    assert _swept(uow, settings)["outbox_bodies"].rows == 1
    uow.session.expire_all()
    emptied = uow.session.get(OutboxMessage, old.id)
    assert emptied is not None
    assert emptied.sealed == b""
    assert (emptied.status, emptied.message_id) == ("sent", old.message_id)
    for kept in (young, queued, parked, to_open_request, to_complainant):
        assert uow.session.get(OutboxMessage, kept.id).sealed == b"sealed body"  # type: ignore[union-attr]


# RULES: RET-03
def test_it_sweeps_in_batches_and_says_when_more_is_left(uow: UnitOfWork, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    for day in range(5):
        message(uow, sent_on=date(2025, 1, 1) + timedelta(days=day))
    uow.commit()
    first = _swept(uow, settings, batch_size=3)["outbox_bodies"]
    assert (first.rows, first.more) == (3, True)
    second = _swept(uow, settings, batch_size=3)["outbox_bodies"]
    assert (second.rows, second.more) == (2, False)
    assert _swept(uow, settings, batch_size=3)["outbox_bodies"].rows == 0


# RULES: RET-03
def test_it_writes_one_audit_entry_per_kind_with_counts_only(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path)
    for day in range(3):
        message(uow, sent_on=date(2025, 1, 1) + timedelta(days=day))
    request(uow)
    uow.commit()
    _swept(uow, settings)
    entries = list(
        uow.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "retention.own_data_swept")
            .order_by(AuditEvent.seq)
        )
    )
    assert [(e.entity_id, e.details["rows"]) for e in entries] == [
        ("closed_requests", 1),
        ("outbox_bodies", 3),
    ]
    assert entries[1].details == {
        "kind": "outbox_bodies",
        "rows": 3,
        "files": 0,
        "period": "90 days",
        "cutoff": "2026-08-27T09:30:00+00:00",
        "more": False,
    }
    _swept(uow, settings)  # nothing left: nothing written
    assert (
        uow.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
        == entries[-1].seq
    )


def test_it_changes_nothing_when_it_only_plans(uow: UnitOfWork, tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    old = request(uow)
    message(uow, sent_on=date(2025, 1, 1))
    uow.commit()
    before = uow.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
    assert _plan(uow, settings)["closed_requests"].rows_due == 1  # type: ignore[attr-defined]
    uow.commit()
    assert _key_exists(uow, old.key_id)
    assert (
        uow.session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc()).limit(1))
        == before
    )
    assert _plan(uow, settings)["outbox_bodies"].rows_due == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize("size", [0, -1])
def test_it_refuses_a_batch_size_below_one(uow: UnitOfWork, tmp_path: Path, size: int) -> None:
    from dataward.errors import ConfigurationError

    with pytest.raises(ConfigurationError, match="batch_size"):
        sweep_own(uow, settings_for(tmp_path), worker="test", batch_size=size)
