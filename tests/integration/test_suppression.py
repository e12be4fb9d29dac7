"""The suppression list: a shredded person's stops on marketing keep working (issue 19).

RULES: OBJ-02 (objection to direct marketing is absolute), MKT-01 (soft opt-in opt-out).
Both backends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from consent_support import SHOP, customer, load_shop
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_support import add_user, api_token, console_app

from dataward.audit.models import AuditEvent
from dataward.consent.choices import apply_choices
from dataward.consent.decisions import decide
from dataward.consent.models import Objection, Suppression
from dataward.consent.objections import object_to_marketing
from dataward.consent.preferences import opt_out, record_soft_opt_in
from dataward.consent.records import give_consent, withdraw_consent
from dataward.crypto.keystore import Vault
from dataward.subjects.bulk import SubjectRow, add_subjects_bulk
from dataward.subjects.service import add_subject, shred_subject
from dataward.uow import UnitOfWork


def _entries(uow: UnitOfWork) -> list[Suppression]:
    uow.session.flush()
    return list(uow.session.scalars(select(Suppression).order_by(Suppression.id)))


def _shred_objector(uow: UnitOfWork, email: str, channels: list[str]) -> str:
    ref = customer(uow, email, phone="07911 123456")
    object_to_marketing(uow, SHOP, ref, channels, method="phone", actor="test")
    shred_subject(uow, SHOP, ref, actor="test", reason="erasure_request")
    return ref


def test_it_keeps_an_objection_after_shredding_for_that_email(uow: UnitOfWork) -> None:
    load_shop(uow)
    _shred_objector(uow, "ann@example.com", ["post"])
    # Post rests on legitimate interests: without the list a stranger's answer would be
    # `no_subject`; the list says why, and the answer cannot be turned into "yes".
    decision = decide(uow, SHOP, ("email", "Ann@Example.com"), "offers", "post")
    assert not decision.allow
    assert decision.code == "suppressed"
    assert "OBJ-02" in decision.rules
    # The phone the person had is suppressed as well; other channels are not.
    assert decide(uow, SHOP, ("phone", "07911123456"), "offers", "post").code == "suppressed"
    assert decide(uow, SHOP, ("email", "ann@example.com"), "offers", "sms").code == "no_subject"
    # A question that is not about marketing keeps the stranger's answer.
    assert decide(uow, SHOP, ("email", "ann@example.com"), "fraud_checks").code == "no_subject"


def test_an_objection_to_any_channel_suppresses_every_channel(uow: UnitOfWork) -> None:
    load_shop(uow)
    _shred_objector(uow, "bea@example.com", ["any"])
    for channel in ("email", "sms", "live_call", "post"):
        answer = decide(uow, SHOP, ("email", "bea@example.com"), "offers", channel)
        assert answer.code == "suppressed", channel


def test_a_person_with_no_stop_leaves_no_entry(uow: UnitOfWork) -> None:
    load_shop(uow)
    ref = customer(uow, "cal@example.com")
    give_consent(uow, SHOP, ref, "offers", channel="sms", method="web_form", evidence="x")
    shred_subject(uow, SHOP, ref, actor="test")
    assert _entries(uow) == []
    written = uow.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "suppression.written")
    )
    assert written == 0
    assert decide(uow, SHOP, ("email", "cal@example.com"), "offers", "post").code == "no_subject"


def test_an_entry_holds_no_plaintext_and_the_chain_counts_only(uow: UnitOfWork) -> None:
    load_shop(uow)
    ref = _shred_objector(uow, "dee@example.com", ["email", "post"])
    entries = _entries(uow)
    # Two identities (email, phone) times two channels.
    assert len(entries) == 4
    for entry in entries:
        stored = " ".join(
            str(v) for v in (entry.kind, entry.digest, entry.channel, entry.purposes, entry.reason)
        )
        assert "dee@example.com" not in stored.lower()
        assert "123456" not in stored
        assert len(entry.digest) == 64
        # A hex digest and nothing else, so no plaintext fits in it. (Not "dee" not in the
        # digest: hex digits can spell "dee" by chance, about one run in twenty.)
        int(entry.digest, 16)
        assert entry.reason == "objected_to_marketing"
        assert entry.organisation == SHOP
    assert {(e.kind, e.channel) for e in entries} == {
        ("email", "email"),
        ("email", "post"),
        ("phone", "email"),
        ("phone", "post"),
    }
    event = uow.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "suppression.written")
    ).one()
    assert event.subject_ref == ref
    assert event.details == {
        "organisation": SHOP,
        "entries": 4,
        "identities": 2,
        "stops": 2,
    }


def test_an_opt_out_and_a_withdrawn_consent_are_suppressed_with_their_reason(
    uow: UnitOfWork,
) -> None:
    load_shop(uow)
    ref = customer(uow, "eve@example.com")
    record_soft_opt_in(
        uow,
        SHOP,
        ref,
        "offers",
        "email",
        sale_or_negotiation="bought a kettle",
        refusal_offered=True,
        refused=False,
        method="in_person",
    )
    opt_out(uow, SHOP, ref, "offers", "email", method="email")
    give_consent(uow, SHOP, ref, "offers", channel="sms", method="web_form", evidence="x")
    withdraw_consent(uow, SHOP, ref, "offers", channel="sms", method="portal")
    shred_subject(uow, SHOP, ref, actor="test")
    found = {(e.channel, tuple(e.purposes), e.reason) for e in _entries(uow)}
    assert ("email", ("offers",), "opted_out") in found
    assert ("sms", ("offers",), "consent_withdrawn") in found
    assert decide(uow, SHOP, ("email", "eve@example.com"), "offers", "email").code == "suppressed"
    assert decide(uow, SHOP, ("email", "eve@example.com"), "offers", "sms").code == "suppressed"


def test_a_recreated_subject_is_suppressed_until_they_opt_in_themselves(
    uow: UnitOfWork,
) -> None:
    load_shop(uow)
    _shred_objector(uow, "fay@example.com", ["email"])
    # Re-imported from a client list, with a soft opt-in recorded by staff.
    again = add_subject(uow, SHOP, ["customers"], [("email", "FAY@example.com")], actor="test").ref
    record_soft_opt_in(
        uow,
        SHOP,
        again,
        "offers",
        "email",
        sale_or_negotiation="bought a kettle",
        refusal_offered=True,
        refused=False,
        method="import",
    )
    refused = decide(uow, SHOP, again, "offers", "email")
    assert not refused.allow
    assert refused.code == "suppressed"
    inherited = uow.session.scalars(
        select(Objection).where(Objection.outcome == "suppressed")
    ).one()
    assert inherited.channels == ["email"]
    # Consent recorded by staff does not lift it.
    give_consent(uow, SHOP, again, "offers", channel="email", method="phone", evidence="x")
    assert decide(uow, SHOP, again, "offers", "email").code == "suppressed"
    # Other channels follow their own rules.
    assert decide(uow, SHOP, again, "offers", "post").allow
    # The person's own tick through their own link does.
    apply_choices(uow, SHOP, again, {"m:offers:email"}, actor="subject")
    assert decide(uow, SHOP, again, "offers", "email").allow
    # The list itself stays: nobody else may use the identity once this subject is gone.
    shred_subject(uow, SHOP, again, actor="test")
    assert decide(uow, SHOP, ("email", "fay@example.com"), "offers", "email").code == "suppressed"


def test_subjects_added_in_bulk_inherit_the_list(uow: UnitOfWork) -> None:
    load_shop(uow)
    _shred_objector(uow, "gus@example.com", ["any"])
    added = add_subjects_bulk(
        uow,
        SHOP,
        [
            SubjectRow(["customers"], [("email", "gus@example.com")]),
            SubjectRow(["customers"], [("email", "new@example.com")]),
        ],
        actor="test",
    )
    assert added == 2
    owners = uow.session.scalars(
        select(Objection.subject_id).where(Objection.outcome == "suppressed")
    ).all()
    assert len(set(owners)) == 1
    again = decide(uow, SHOP, ("email", "gus@example.com"), "offers", "post")
    assert again.code == "suppressed"
    assert again.subject_ref is not None
    assert decide(uow, SHOP, ("email", "new@example.com"), "offers", "post").allow


@pytest.fixture
def app(database_url: str, clock: Any, vault: Vault, uow: UnitOfWork) -> Iterator[FastAPI]:
    app = console_app(database_url, clock, vault)
    yield app
    app.state.engine.dispose()


def test_the_decision_api_refuses_a_suppressed_email(app: FastAPI) -> None:
    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        load_shop(uow)
        _shred_objector(uow, "hal@example.com", ["post"])
        uow.commit()
    token = api_token(app, add_user(app, "admin", "admin"), ["decisions:read"])
    client = TestClient(app)
    lines = '{"identity": {"kind": "email", "value": "hal@example.com"}}\n'
    answer = client.post(
        "/api/v1/decisions/batch",
        params={"organisation": SHOP, "purpose": "offers", "channel": "post"},
        content=lines,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"},
    )
    assert answer.status_code == 200, answer.text
    rows = [json.loads(line) for line in answer.text.splitlines()]
    assert (rows[0]["allow"], rows[0]["code"]) == (False, "suppressed")
    assert rows[-1] == {"summary": {"lines": 1, "allowed": 0, "refused": 1, "errors": 0}}
    assert "hal@example.com" not in answer.text.lower()
