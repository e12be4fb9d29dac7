"""Proving a requester's identity: emailed codes and knowledge checks (issue 16).

Rules: SAR-05 (the clock starts when identity evidence asked for arrives). Codes are single
use, expiring, throttled and dead after five wrong tries; only their HMAC is stored. A code
proves identity only when the address is the linked subject's. Dates are explicit.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
from consent_support import SHOP, customer, load_shop
from sqlalchemy import select, text

from dataward.audit.models import AuditEvent
from dataward.audit.service import verify
from dataward.clock import FixedClock
from dataward.crypto.keystore import Vault
from dataward.outbox.config import MailSettings
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import open_message
from dataward.requests.errors import (
    CodeDead,
    CodeExpired,
    CodeThrottled,
    CodeUsed,
    NoCodeSent,
    VerificationInvalid,
    VerificationRefused,
)
from dataward.requests.models import RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.transitions import Step, ask_for_identity
from dataward.requests.verification import (
    check_email_code,
    checks_of,
    record_knowledge_check,
    send_email_code,
)
from dataward.requests.verification_models import RequestCode
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork

MAIL = MailSettings(mail_from="privacy@shop.example")
CASEWORKER = "user:u_case"


@pytest.fixture
def shop(uow: UnitOfWork, clock: FixedClock) -> UnitOfWork:
    load_shop(uow)
    uow.commit()
    clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    return uow


def _open(uow: UnitOfWork, email: str = "ann@example.com", subject: str | None = None) -> str:
    row = open_request(
        uow,
        NewRequest(
            SHOP,
            ("access",),
            "email",
            date(2026, 5, 28),
            Requester(name="Ann", email=email),
            subject_ref=subject,
        ),
        actor=CASEWORKER,
    )
    uow.commit()
    return row.ref


def _row(uow: UnitOfWork, ref: str) -> RightsRequest:
    found = uow.session.scalars(select(RightsRequest).where(RightsRequest.ref == ref)).one()
    uow.session.refresh(found)
    return found


def _sent_code(uow: UnitOfWork, ref: str) -> str:
    message = send_email_code(uow, SHOP, ref, actor=CASEWORKER).message
    uow.commit()
    body = open_message(uow, message, MAIL).get_body(("plain",)).get_content()
    found = re.search(r"\b(\d{6})\b", body)
    assert found is not None
    return found.group(1)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _awaiting_identity(shop: UnitOfWork, email: str = "ann@example.com") -> str:
    ref = _open(shop, email=email, subject=customer(shop))
    ask_for_identity(shop, SHOP, ref, Step(CASEWORKER, date(2026, 5, 29)))
    shop.commit()
    assert _row(shop, ref).state == "awaiting_identity"
    return ref


# RULES: SAR-05
def test_a_code_to_the_subjects_own_address_verifies_and_starts_the_clock(
    shop: UnitOfWork, clock: FixedClock
) -> None:
    ref = _awaiting_identity(shop)
    assert _row(shop, ref).due_on is None
    code = _sent_code(shop, ref)
    clock.set(datetime(2026, 6, 1, 9, 5, tzinfo=UTC))
    result = check_email_code(shop, SHOP, ref, code, actor="requester")
    shop.commit()
    assert result.outcome == "verified"
    row = _row(shop, ref)
    assert (row.state, row.identity_method) == ("in_progress", "email_code")
    # SAR-05: the clock runs from the day the evidence arrived, 1 June 2026.
    assert (row.clock_starts_on, row.due_on) == (date(2026, 6, 1), date(2026, 7, 1))
    [check] = checks_of(shop, row)
    assert (check.method, check.outcome) == ("email_code", "verified")
    actions = [e.action for e in shop.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]
    assert "request.code_sent" in actions
    assert actions[-2:] == ["request.email_confirmed", "request.identity_verified"]
    assert verify(shop.session).intact


def test_a_code_to_an_address_that_is_not_the_subjects_only_confirms_the_email(
    shop: UnitOfWork,
) -> None:
    subject = customer(shop, "ann@example.com")
    ref = _open(shop, email="someone.else@example.com", subject=subject)
    code = _sent_code(shop, ref)
    result = check_email_code(shop, SHOP, ref, code, actor="requester")
    shop.commit()
    assert result.outcome == "email_confirmed"
    row = _row(shop, ref)
    assert row.identity_verified_on is None
    assert [c.outcome for c in checks_of(shop, row)] == ["email_confirmed"]
    event = shop.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "request.email_confirmed")
    ).one()
    assert event.details["proves_identity"] is False


def test_a_code_with_no_subject_linked_proves_nothing(shop: UnitOfWork) -> None:
    customer(shop, "ann@example.com")
    ref = _open(shop)  # the address is in the store, but nobody linked it to this request
    code = _sent_code(shop, ref)
    assert check_email_code(shop, SHOP, ref, code, actor="requester").outcome == ("email_confirmed")


def test_five_wrong_tries_kill_the_code(shop: UnitOfWork) -> None:
    ref = _open(shop, subject=customer(shop))
    code = _sent_code(shop, ref)
    outcomes = []
    for _ in range(5):
        result = check_email_code(shop, SHOP, ref, _wrong(code), actor="requester")
        shop.commit()
        outcomes.append((result.outcome, result.tries_left))
        assert result.refusal is not None
    assert outcomes == [("wrong", 4), ("wrong", 3), ("wrong", 2), ("wrong", 1), ("dead", 0)]
    assert isinstance(result.refusal, CodeDead)
    # The right code no longer works either.
    with pytest.raises(CodeDead):
        check_email_code(shop, SHOP, ref, code, actor="requester")
    assert _row(shop, ref).identity_verified_on is None
    refused = shop.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "request.code_refused")
        .order_by(AuditEvent.seq)
    ).all()
    assert [e.details["failures"] for e in refused] == [1, 2, 3, 4, 5]
    assert all(code not in str(e.details) for e in refused)


def test_a_used_code_is_refused(shop: UnitOfWork) -> None:
    ref = _open(shop, email="not.the.subject@example.com", subject=customer(shop))
    code = _sent_code(shop, ref)
    check_email_code(shop, SHOP, ref, code, actor="requester")
    shop.commit()
    with pytest.raises(CodeUsed):
        check_email_code(shop, SHOP, ref, code, actor="requester")


def test_an_expired_code_is_refused(shop: UnitOfWork, clock: FixedClock) -> None:
    ref = _open(shop, subject=customer(shop))
    code = _sent_code(shop, ref)
    clock.set(datetime(2026, 6, 1, 9, 30, tzinfo=UTC))  # 30 minutes on: the default lifetime
    with pytest.raises(CodeExpired):
        check_email_code(shop, SHOP, ref, code, actor="requester")
    shop.rollback()
    assert _row(shop, ref).identity_verified_on is None


def test_a_check_before_any_code_is_refused(shop: UnitOfWork) -> None:
    ref = _open(shop, subject=customer(shop))
    with pytest.raises(NoCodeSent):
        check_email_code(shop, SHOP, ref, "123456", actor="requester")


def test_codes_are_throttled_to_three_an_hour(shop: UnitOfWork, clock: FixedClock) -> None:
    ref = _open(shop)
    for minute in (0, 10, 20):
        clock.set(datetime(2026, 6, 1, 9, minute, tzinfo=UTC))
        _sent_code(shop, ref)
    clock.set(datetime(2026, 6, 1, 9, 59, tzinfo=UTC))
    with pytest.raises(CodeThrottled):
        send_email_code(shop, SHOP, ref, actor=CASEWORKER)
    shop.rollback()
    clock.set(datetime(2026, 6, 1, 10, 1, tzinfo=UTC))  # the first left the hour
    _sent_code(shop, ref)
    assert len(shop.session.scalars(select(RequestCode)).all()) == 4


def test_only_the_latest_code_counts(shop: UnitOfWork) -> None:
    ref = _open(shop, subject=customer(shop))
    first = _sent_code(shop, ref)
    second = _sent_code(shop, ref)
    if first != second:
        assert check_email_code(shop, SHOP, ref, first, actor="requester").outcome == "wrong"
    assert check_email_code(shop, SHOP, ref, second, actor="requester").outcome == "verified"


def test_the_code_is_never_stored_in_clear(shop: UnitOfWork) -> None:
    ref = _open(shop)
    code = _sent_code(shop, ref)
    for (digest,) in shop.session.execute(text("SELECT digest FROM request_codes")).all():
        assert code not in str(digest)
        assert len(digest) == 64
    raw = shop.session.execute(text("SELECT sealed FROM outbox_messages")).scalars().all()
    assert all(code.encode() not in bytes(r) for r in raw)
    assert all(code not in str(e.details) for e in shop.session.scalars(select(AuditEvent)))


def test_no_code_for_a_requester_without_an_email(shop: UnitOfWork) -> None:
    row = open_request(
        shop,
        NewRequest(SHOP, ("access",), "post", date(2026, 5, 28), Requester(name="Ann")),
        actor=CASEWORKER,
    )
    shop.commit()
    with pytest.raises(VerificationRefused):
        send_email_code(shop, SHOP, row.ref, actor=CASEWORKER)
    shop.rollback()
    assert shop.session.scalars(select(RequestCode)).all() == []
    assert shop.session.scalars(select(OutboxMessage)).all() == []


def test_no_code_once_identity_is_verified(shop: UnitOfWork) -> None:
    ref = _open(shop, subject=customer(shop))
    check_email_code(shop, SHOP, ref, _sent_code(shop, ref), actor="requester")
    shop.commit()
    with pytest.raises(VerificationRefused):
        send_email_code(shop, SHOP, ref, actor=CASEWORKER)


def _known_subject(uow: UnitOfWork) -> str:
    return add_subject(
        uow,
        SHOP,
        ["customers"],
        [
            ("email", "bob@example.com"),
            ("date_of_birth", "1980-02-29"),
            ("postcode", "SW1A 1AA"),
        ],
        actor="test",
    ).ref


# RULES: SAR-05
def test_a_knowledge_check_that_matches_verifies(shop: UnitOfWork) -> None:
    ref = _open(shop, email="bob@example.com", subject=_known_subject(shop))
    check = record_knowledge_check(
        shop,
        SHOP,
        ref,
        {"date_of_birth": " 1980-02-29 ", "postcode": "sw1a1aa"},
        actor=CASEWORKER,
    )
    shop.commit()
    assert check.answers == {"date_of_birth": "matched", "postcode": "matched"}
    row = _row(shop, ref)
    assert (row.identity_method, row.identity_verified_on) == ("knowledge_check", date(2026, 6, 1))


def test_a_knowledge_check_keeps_only_matched_or_not(shop: UnitOfWork) -> None:
    ref = _open(shop, email="bob@example.com", subject=_known_subject(shop))
    check = record_knowledge_check(
        shop,
        SHOP,
        ref,
        {"date_of_birth": "1981-03-01", "postcode": "SW1A 1AA", "phone": "020 7946 0000"},
        actor=CASEWORKER,
    )
    shop.commit()
    assert check.answers == {
        "date_of_birth": "not_matched",
        "postcode": "matched",
        "phone": "not_on_record",
    }
    assert check.outcome == "not_verified"
    assert _row(shop, ref).identity_verified_on is None
    stored = shop.session.execute(text("SELECT answers FROM request_identity_checks")).scalar()
    for answer in ("1981", "SW1A", "7946"):
        assert answer not in str(stored)
    events = shop.session.scalars(select(AuditEvent)).all()
    assert all("1981" not in str(e.details) and "SW1A" not in str(e.details) for e in events)


def test_a_knowledge_check_needs_two_questions_and_a_subject(shop: UnitOfWork) -> None:
    ref = _open(shop, email="bob@example.com", subject=_known_subject(shop))
    with pytest.raises(VerificationInvalid):
        record_knowledge_check(shop, SHOP, ref, {"postcode": "SW1A 1AA"}, actor=CASEWORKER)
    with pytest.raises(VerificationInvalid):
        record_knowledge_check(
            shop, SHOP, ref, {"postcode": "SW1A 1AA", "shoe_size": "9"}, actor=CASEWORKER
        )
    unlinked = _open(shop, email="bob@example.com")
    with pytest.raises(VerificationRefused):
        record_knowledge_check(
            shop,
            SHOP,
            unlinked,
            {"postcode": "SW1A 1AA", "date_of_birth": "1980-02-29"},
            actor=CASEWORKER,
        )
    shop.rollback()
    assert shop.session.execute(text("SELECT count(*) FROM request_identity_checks")).scalar() == 0


def test_two_checks_of_one_code_at_once_use_it_once(
    shop: UnitOfWork, session_factory: Any, clock: FixedClock, vault: Vault
) -> None:
    ref = _open(shop, email="not.the.subject@example.com", subject=customer(shop))
    code = _sent_code(shop, ref)
    with UnitOfWork(session_factory, clock, vault) as other:
        # The other check has read the code as unused when this one uses it.
        assert other.session.scalars(select(RequestCode)).one().used_at is None
        assert check_email_code(shop, SHOP, ref, code, actor="requester").outcome == (
            "email_confirmed"
        )
        shop.commit()
        with pytest.raises(CodeUsed):
            check_email_code(other, SHOP, ref, code, actor="requester")
    assert len(checks_of(shop, _row(shop, ref))) == 1
