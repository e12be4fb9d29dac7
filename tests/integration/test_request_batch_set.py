"""A portal's batch opened set-based (issue 16, W3): the same requests, refusals, history and
audit chain as lines opened one by one, in a number of statements that does not grow with
the batch.

Rules: SAR-10 (authority checked per person; any channel), SAR-01 (due a month from
receipt), OBJ-02 and LAW-05 (an objection to marketing or a consent withdrawal takes effect
at once, in the batch as alone). The clock is 1 June 2026; lines arrived on 28 May 2026.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from consent_support import SHOP, customer, load_shop
from sqlalchemy import event, func, select
from sqlalchemy.exc import IntegrityError
from structlog.testing import capture_logs

from dataward.audit.models import AuditEvent
from dataward.audit.service import verify
from dataward.clock import FixedClock
from dataward.consent.models import ConsentRecord
from dataward.consent.records import give_consent
from dataward.crypto.keystore import DataKey
from dataward.requests import batch as batch_module
from dataward.requests.authority import Evidence, receive_authority
from dataward.requests.authority_models import RequestAuthority
from dataward.requests.batch import BatchLine, BatchResult, open_batch
from dataward.requests.models import RequestEvent, RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request, requester_of
from dataward.requests.task_models import RequestTask
from dataward.subjects.errors import SubjectNotFound
from dataward.subjects.service import get_subject, shred_subject
from dataward.uow import UnitOfWork

RECEIVED = date(2026, 5, 28)
PORTAL = "user:portal"


@pytest.fixture
def shop(uow: UnitOfWork, clock: FixedClock) -> UnitOfWork:
    load_shop(uow)
    uow.commit()
    clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    return uow


def _line(n: int, rights: tuple[str, ...] = ("access",), **changes: Any) -> BatchLine:
    new = NewRequest(
        SHOP,
        rights,
        "batch",
        RECEIVED,
        Requester(name="Rights Portal Ltd", on_behalf_of=f"Person Number{n}"),
        "third_party_portal",
    )
    authority = Evidence("signed_authority", f"Mandate signed by Person Number{n}")
    return BatchLine(new=NewRequest(**{**new.__dict__, **changes}), authority=authority)


def _open(uow: UnitOfWork, lines: list[BatchLine]) -> BatchResult:
    result = open_batch(uow, lines, actor=PORTAL)
    uow.commit()
    return result


def _count(uow: UnitOfWork, model: Any) -> int:
    return int(uow.session.scalar(select(func.count()).select_from(model)) or 0)


def _actions(uow: UnitOfWork) -> list[tuple[str, str]]:
    rows = uow.session.execute(
        select(AuditEvent.action, AuditEvent.entity_id)
        .where(AuditEvent.action.like("request.%"))
        .order_by(AuditEvent.seq)
    )
    return [(action, entity) for action, entity in rows]


@contextmanager
def _statements(uow: UnitOfWork) -> Iterator[list[str]]:
    """The SQL statements the main database receives inside the block."""
    seen: list[str] = []
    engine = uow.session.get_bind()

    def count(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_three_lines_sharing_an_unknown_subject_are_refused_alone(shop: UnitOfWork) -> None:
    """A reference to no subject is found in one query up front; each line naming it is
    refused with what ``open_request`` says, and nothing of them is stored."""
    ann = customer(shop)
    shop.commit()
    lines = [
        _line(0, subject_ref="s_nobody"),
        _line(1, subject_ref=ann),
        _line(2, subject_ref="s_nobody"),
        _line(3),
        _line(4, subject_ref="s_nobody"),
    ]
    keys_before = _keys(shop)
    result = _open(shop, lines)
    with pytest.raises(SubjectNotFound) as alone:
        get_subject(shop, SHOP, "s_nobody")
    codes = [(line.code, line.detail) for line in result.lines]
    assert codes[0] == codes[2] == codes[4] == ("subject_not_found", alone.value.message)
    assert [line.ref is not None for line in result.lines] == [False, True, False, True, False]
    assert (result.opened, result.refused) == (2, 3)
    assert _count(shop, RightsRequest) == 2
    assert _count(shop, RequestAuthority) == 2
    assert _keys(shop) - keys_before == 2
    linked = shop.session.scalars(
        select(RightsRequest.subject_id).where(RightsRequest.ref == result.lines[1].ref)
    ).one()
    assert linked == get_subject(shop, SHOP, ann).id


def test_a_shredded_subject_is_refused_like_an_unknown_one(shop: UnitOfWork) -> None:
    gone = customer(shop, "gone@example.com")
    shred_subject(shop, SHOP, gone, actor="test")
    shop.commit()
    (line,) = _open(shop, [_line(0, subject_ref=gone)]).lines
    assert line.code == "subject_not_found"
    assert _count(shop, RightsRequest) == 0


def test_a_duplicate_line_opens_twice_as_if_sent_twice(shop: UnitOfWork) -> None:
    """SAR-10: any channel, any number of times; the batch does not guess at duplicates."""
    same = _line(7)
    result = _open(shop, [same, same])
    refs = [line.ref for line in result.lines]
    assert None not in refs
    assert len(set(refs)) == 2
    assert _count(shop, RightsRequest) == 2
    rows = shop.session.scalars(select(RightsRequest).order_by(RightsRequest.ref)).all()
    assert len({row.key_id for row in rows}) == 2  # each its own data key
    assert {requester_of(shop, row).on_behalf_of for row in rows} == {"Person Number7"}


def test_a_batch_writes_what_lines_opened_one_by_one_write(shop: UnitOfWork) -> None:
    """The same request, tasks, history, authority and audit details (refs aside)."""
    lines = [_line(0, ("access", "erasure")), _line(1, ("rectification",))]
    alone = []
    for line in lines:
        assert line.new is not None
        assert line.authority is not None
        # What the batch does for a line whose requester names no authority of their own.
        requester = replace(line.new.requester, authority="signed authority")
        new = replace(line.new, requester=requester)
        row = open_request(shop, new, actor=PORTAL)
        receive_authority(shop, row, line.authority, actor=PORTAL)
        alone.append(row.ref)
    shop.commit()
    together = [line.ref for line in _open(shop, lines).lines]

    def shape(ref: str | None) -> tuple[Any, ...]:
        row = shop.session.scalars(select(RightsRequest).where(RightsRequest.ref == ref)).one()
        tasks = shop.session.execute(
            select(RequestTask.seq, RequestTask.right, RequestTask.kind, RequestTask.title)
            .where(RequestTask.request_id == row.id)
            .order_by(RequestTask.seq)
        ).all()
        events = shop.session.execute(
            select(
                RequestEvent.seq, RequestEvent.action, RequestEvent.to_state, RequestEvent.on
            ).where(RequestEvent.request_id == row.id)
        ).all()
        authority = shop.session.execute(
            select(RequestAuthority.evidence, RequestAuthority.replies_to).where(
                RequestAuthority.request_id == row.id
            )
        ).one()
        audit = shop.session.execute(
            select(AuditEvent.action, AuditEvent.details, AuditEvent.actor)
            .where(AuditEvent.entity_id == ref)
            .order_by(AuditEvent.seq)
        ).all()
        kept = (row.state, row.rights, row.not_offered, row.due_on, row.nation)
        return kept, tasks, events, tuple(authority), [tuple(a) for a in audit]

    for one, other in zip(alone, together, strict=True):
        assert shape(one) == shape(other)
    assert shape(together[0])[0][3] == date(2026, 6, 29)  # SAR-01: a month from 28 May
    assert verify(shop.session).intact


def test_a_line_that_takes_effect_at_once_keeps_the_chain_in_line_order(
    shop: UnitOfWork,
) -> None:
    """OBJ-02/LAW-05: a consent withdrawal for a known subject takes effect in the batch as
    it would alone; the lines around it are written before and after it, in order."""
    ann = customer(shop)
    give_consent(shop, SHOP, ann, "loyalty_photos", method="paper", evidence="photo form")
    shop.commit()
    lines = [_line(0), _line(1, ("withdraw_consent",), subject_ref=ann), _line(2)]
    result = _open(shop, lines)
    refs = [line.ref for line in result.lines]
    assert None not in refs
    consent = shop.session.scalars(
        select(ConsentRecord).where(ConsentRecord.purpose == "loyalty_photos")
    ).one()
    assert consent.state == "withdrawn"
    ours = [(a, e) for a, e in _actions(shop) if e in refs or a == "request.batch_received"]
    assert ours == [
        ("request.received", refs[0]),
        ("request.authority_received", refs[0]),
        ("request.received", refs[1]),
        ("request.took_effect", refs[1]),
        ("request.authority_received", refs[1]),
        ("request.received", refs[2]),
        ("request.authority_received", refs[2]),
        ("request.batch_received", result.ref),
    ]
    assert verify(shop.session).intact


def test_a_line_is_refused_for_the_reason_it_would_be_alone(shop: UnitOfWork) -> None:
    """Checks run in the order opening the line alone runs them: the organisation first,
    then the request, then the subject."""
    lines = [
        _line(0, ("teleport",), organisation="nobody_ltd"),
        _line(1, ("teleport",), subject_ref="s_nobody"),
        _line(2, received_on=date(2026, 6, 2)),  # after today
        _line(3, subject_ref="s_nobody"),
    ]
    codes = [line.code for line in _open(shop, lines).lines]
    assert codes == [
        "register_not_found",
        "request_invalid",
        "request_invalid",
        "subject_not_found",
    ]
    assert _count(shop, RightsRequest) == 0


def test_the_statements_sent_do_not_grow_with_the_batch(shop: UnitOfWork) -> None:
    """Set-based: five lines and fifty cost the main database the same statements."""
    ann = customer(shop)
    shop.commit()
    sent = []
    for size in (5, 50):
        lines = [_line(n, subject_ref=ann if n % 2 else None) for n in range(size)]
        with _statements(shop) as seen:
            result = open_batch(shop, lines, actor=PORTAL)
        shop.commit()
        assert result.opened == size
        sent.append(len(seen))
    assert sent[0] == sent[1]
    assert sent[1] < 30  # not one per line
    assert verify(shop.session).intact


def test_a_group_the_database_refuses_is_opened_line_by_line(
    shop: UnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fallback: the group's writes are undone, then each line opens in its own
    savepoint; nothing is written twice and the chain holds."""
    real = batch_module._open_together
    calls: list[int] = []

    def refused(uow: UnitOfWork, group: Any, actor: str) -> Any:
        calls.append(len(group))
        real(uow, group, actor)  # written, then refused: the savepoint must undo it all
        raise IntegrityError("INSERT", {}, Exception("refused"))

    monkeypatch.setattr(batch_module, "_open_together", refused)
    with capture_logs() as logs:
        result = _open(shop, [_line(0), _line(1, ("teleport",)), _line(2)])
    assert calls == [2]
    (warning,) = [e for e in logs if e["event"] == "requests.batch_fallback"]
    assert (warning["lines"], warning["error"]) == (2, "IntegrityError")
    assert [line.code for line in result.lines] == [None, "request_invalid", None]
    assert _count(shop, RightsRequest) == 2
    assert _count(shop, RequestTask) == 2 * 2  # access: package, notify (no datasets)
    assert _count(shop, RequestAuthority) == 2
    received = [a for a, _ in _actions(shop) if a == "request.received"]
    assert len(received) == 2
    assert verify(shop.session).intact


def _keys(uow: UnitOfWork) -> int:
    return int(uow.keys.scalar(select(func.count()).select_from(DataKey)) or 0)


def test_over_http_unknown_subjects_and_duplicates_are_answered_per_line(
    database_url: str, clock: FixedClock, vault: object
) -> None:
    """The answers of ``POST /api/v1/requests/batch`` for the set-based path, in order."""
    from fastapi.testclient import TestClient
    from web_support import ORG, add_user, api_token, fresh_console_app

    for app in fresh_console_app(database_url, clock, vault):
        token = api_token(app, add_user(app, "portal.bot", "caseworker"), ["requests:write"])
        client = TestClient(app, headers={"Authorization": f"Bearer {token}"})
        item = {
            "organisation": ORG,
            "rights": ["access"],
            "channel": "batch",
            "received_on": "2026-11-02",
            "requester_kind": "third_party_portal",
            "requester": {"name": "Rights Portal Ltd", "on_behalf_of": "Person Number1"},
            "authority": {"evidence": "signed_authority", "description": "Mandate of 1 Nov"},
        }
        unknown = {**item, "subject_ref": "s_nobody"}
        answer = client.post("/api/v1/requests/batch", json=[unknown, item, unknown, item, unknown])
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert (body["opened"], body["refused"]) == (2, 3)
        results = body["results"]
        assert [r["index"] for r in results] == [0, 1, 2, 3, 4]
        for i in (0, 2, 4):
            assert results[i]["error"] == {
                "code": "subject_not_found",
                "detail": f"no subject 's_nobody' in {ORG}",
            }
        assert results[1]["ref"] != results[3]["ref"]  # the duplicate opened twice
        assert results[1]["due_on"] == results[3]["due_on"] == "2026-12-02"  # SAR-01
        with app.state.session_factory() as session:
            assert session.scalar(select(func.count()).select_from(RightsRequest)) == 2
            assert verify(session).intact
