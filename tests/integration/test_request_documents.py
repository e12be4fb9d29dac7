"""ID documents and the proof each right needs (issue 16).

Rules: SAR-05. A document is sealed under the subject's key (the request's while no subject
is linked), deleted once checked, and the check kept. The register says per right how
strong a proof it needs; a response after a weaker check is refused.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from consent_support import SHOP, SHOP_FILE, customer, load_shop
from request_support import finish_tasks
from sqlalchemy import select, text

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.requests.errors import (
    DocumentRefused,
    TransitionRefused,
    VerificationInvalid,
)
from dataward.requests.models import RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.transitions import Step, ask_for_identity, respond, verify_identity
from dataward.requests.verification import checks_of
from dataward.requests.verification_documents import (
    document_checked,
    documents_of,
    read_document,
    upload_document,
)
from dataward.requests.verification_models import IdentityDocument
from dataward.subjects.models import Subject
from dataward.uow import UnitOfWork

CASEWORKER = "user:u_case"
PASSPORT = b"%PDF-1.7\nPassport of Ann Example, number 123456789\n%%EOF"


@pytest.fixture
def shop(uow: UnitOfWork, clock: FixedClock) -> UnitOfWork:
    load_shop(uow)
    uow.commit()
    clock.set(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))
    return uow


def _open(
    uow: UnitOfWork, subject: str | None = None, rights: tuple[str, ...] = ("access",)
) -> str:
    row = open_request(
        uow,
        NewRequest(
            SHOP,
            rights,
            "post",
            date(2026, 5, 28),
            Requester(name="Ann", email="ann@example.com"),
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


def test_a_document_is_sealed_under_the_subjects_key(shop: UnitOfWork) -> None:
    subject_ref = customer(shop)
    ref = _open(shop, subject_ref)
    document = upload_document(shop, SHOP, ref, "passport", PASSPORT, actor=CASEWORKER)
    shop.commit()
    subject = shop.session.scalars(select(Subject).where(Subject.ref == subject_ref)).one()
    assert (document.key_id, document.content_type, document.size) == (
        subject.key_id,
        "application/pdf",
        len(PASSPORT),
    )
    raw = shop.session.execute(text("SELECT sealed FROM request_identity_documents")).scalar()
    assert b"Passport" not in bytes(raw)
    assert b"123456789" not in bytes(raw)
    _shown, content = read_document(shop, SHOP, ref, document.id, actor=CASEWORKER)
    assert content == PASSPORT
    event = shop.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "request.document_uploaded")
    ).one()
    assert event.details["kind"] == "passport"
    assert "Ann" not in str(event.details)


def test_without_a_subject_the_document_is_sealed_under_the_requests_key(
    shop: UnitOfWork,
) -> None:
    ref = _open(shop)
    document = upload_document(shop, SHOP, ref, "driving_licence", PASSPORT, actor=CASEWORKER)
    assert document.key_id == _row(shop, ref).key_id


# RULES: SAR-05
def test_an_accepted_document_is_deleted_the_check_kept_and_identity_verified(
    shop: UnitOfWork, clock: FixedClock
) -> None:
    ref = _open(shop, customer(shop))
    ask_for_identity(shop, SHOP, ref, Step(CASEWORKER, date(2026, 5, 29)))
    document = upload_document(shop, SHOP, ref, "passport", PASSPORT, actor=CASEWORKER)
    shop.commit()
    clock.set(datetime(2026, 6, 2, 11, 0, tzinfo=UTC))
    document_checked(
        shop, SHOP, ref, document.id, accepted=True, note="Photo matches", actor=CASEWORKER
    )
    shop.commit()
    assert (
        shop.session.execute(text("SELECT count(*) FROM request_identity_documents")).scalar() == 0
    )
    row = _row(shop, ref)
    assert documents_of(shop, row) == []
    [check] = checks_of(shop, row)
    assert (check.method, check.outcome, check.document_kind, check.actor) == (
        "document",
        "accepted",
        "passport",
        CASEWORKER,
    )
    assert check.note_sealed is not None
    assert b"Photo" not in check.note_sealed
    # SAR-05: the clock starts the day the evidence was accepted.
    assert (row.identity_method, row.clock_starts_on) == ("document", date(2026, 6, 2))
    with pytest.raises(VerificationInvalid):
        read_document(shop, SHOP, ref, document.id, actor=CASEWORKER)


def test_a_rejected_document_is_deleted_and_verifies_nothing(shop: UnitOfWork) -> None:
    ref = _open(shop, customer(shop))
    document = upload_document(shop, SHOP, ref, "utility_bill", PASSPORT, actor=CASEWORKER)
    shop.commit()
    with pytest.raises(VerificationInvalid):  # a rejection says why
        document_checked(shop, SHOP, ref, document.id, accepted=False, note="", actor=CASEWORKER)
    shop.rollback()
    document_checked(
        shop, SHOP, ref, document.id, accepted=False, note="Name differs", actor=CASEWORKER
    )
    shop.commit()
    assert shop.session.scalars(select(IdentityDocument)).all() == []
    row = _row(shop, ref)
    assert row.identity_verified_on is None
    assert [c.outcome for c in checks_of(shop, row)] == ["rejected"]


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (b"", "passport"),
        (b"MZ\x90\x00 not a document", "passport"),
        (PASSPORT, "library_card"),
        (b"%PDF-" + b"x" * 2048, "passport"),
    ],
)
def test_a_bad_upload_is_refused_and_stores_nothing(
    shop: UnitOfWork, content: bytes, kind: str
) -> None:
    ref = _open(shop)
    with pytest.raises((DocumentRefused, VerificationInvalid)):
        upload_document(shop, SHOP, ref, kind, content, actor=CASEWORKER, max_bytes=1024)
    shop.rollback()
    assert shop.session.scalars(select(IdentityDocument)).all() == []


def _strict_shop(uow: UnitOfWork) -> None:
    source = SHOP_FILE.read_text(encoding="utf-8")
    stated = source.replace(
        "{right: access, applies: always,",
        "{right: access, applies: always, identity_proof: document,",
    )
    assert stated != source
    load_shop(uow, stated)
    uow.commit()


# RULES: SAR-05
def test_a_response_after_a_weaker_check_than_the_register_asks_is_refused(
    shop: UnitOfWork,
) -> None:
    _strict_shop(shop)
    ref = _open(shop, customer(shop))
    verify_identity(shop, SHOP, ref, "knowledge_check", Step(CASEWORKER, date(2026, 6, 1)))
    shop.commit()
    with pytest.raises(TransitionRefused, match="document proof"):
        respond(shop, SHOP, ref, Step(CASEWORKER, date(2026, 6, 1)))
    shop.rollback()
    assert _row(shop, ref).state == "in_progress"


def test_a_response_after_a_check_as_strong_as_the_register_asks_goes_out(
    shop: UnitOfWork,
) -> None:
    _strict_shop(shop)
    ref = _open(shop, customer(shop))
    document = upload_document(shop, SHOP, ref, "passport", PASSPORT, actor=CASEWORKER)
    document_checked(shop, SHOP, ref, document.id, accepted=True, note=None, actor=CASEWORKER)
    assert finish_tasks(shop, SHOP, ref) == 1  # SAR-07: the shop has no dataset to search
    respond(shop, SHOP, ref, Step(CASEWORKER, date(2026, 6, 1)))
    shop.commit()
    assert _row(shop, ref).state == "responded"


def test_where_the_register_is_silent_the_default_asks_for_email(shop: UnitOfWork) -> None:
    ref = _open(shop, customer(shop))
    verify_identity(shop, SHOP, ref, "not_needed", Step(CASEWORKER, date(2026, 6, 1)))
    with pytest.raises(TransitionRefused, match="email proof"):
        respond(shop, SHOP, ref, Step(CASEWORKER, date(2026, 6, 1)))
    shop.rollback()
    # An objection to marketing discloses nothing: it needs no proof unless the register says.
    marketing = _open(shop, rights=("objection_direct_marketing",))
    respond(shop, SHOP, marketing, Step(CASEWORKER, date(2026, 6, 1)))
    shop.commit()
    assert _row(shop, marketing).state == "responded"
