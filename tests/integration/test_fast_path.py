"""Decisions on the event loop: decide's answers, or None where a thread must answer."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from consent_support import SHOP, customer, load_shop

from dataward.consent.decisions import Ask, decide
from dataward.consent.errors import UnknownPurpose
from dataward.consent.fast_path import DecisionReader
from dataward.consent.policy import policy_for
from dataward.consent.records import give_consent, withdraw_consent
from dataward.consent.rules import Decision
from dataward.crypto.keystore import Vault
from dataward.db import POOL_SIZE, make_engine, make_session_factory
from dataward.subjects.errors import SubjectNotFound
from dataward.uow import UnitOfWork


@pytest.fixture
def reader(database_url: str, clock: Any, vault: Vault) -> Iterator[DecisionReader]:
    engine = make_engine(database_url)
    yield DecisionReader(engine, database_url, make_session_factory(engine), clock, vault)
    engine.dispose()


def _on_the_loop(reader: DecisionReader, asks: list[Ask]) -> list[Decision | None]:
    async def run() -> list[Decision | None]:
        try:
            return [await reader.decide_on_the_loop(SHOP, ask) for ask in asks]
        finally:
            await reader.close()

    return asyncio.run(run())


def _people(uow: UnitOfWork) -> list[str]:
    load_shop(uow)
    given = customer(uow, "given@example.com")
    give_consent(uow, SHOP, given, "offers", channel="sms", method="web_form", evidence="x")
    gone = customer(uow, "gone@example.com")
    give_consent(uow, SHOP, gone, "offers", channel="sms", method="web_form", evidence="x")
    withdraw_consent(uow, SHOP, gone, "offers", channel="sms", method="web_form")
    nothing = customer(uow, "nothing@example.com")
    uow.commit()
    policy_for(uow, SHOP)  # the register is cached, as after the thread path's first call
    return [given, gone, nothing]


def test_it_answers_as_decide_does(uow: UnitOfWork, reader: DecisionReader) -> None:
    asks = [
        Ask("offers", channel, subject_ref=ref)
        for ref in _people(uow)
        for channel in ("sms", "email", "post", None)
    ]
    answers = _on_the_loop(reader, asks)
    assert answers == [
        decide(uow, SHOP, ask.subject_ref or "", "offers", ask.channel) for ask in asks
    ]


def test_it_raises_what_decide_raises(uow: UnitOfWork, reader: DecisionReader) -> None:
    given = _people(uow)[0]
    with pytest.raises(UnknownPurpose):
        _on_the_loop(reader, [Ask("world_domination", "sms", subject_ref=given)])
    if reader.in_process:
        with pytest.raises(SubjectNotFound):
            _on_the_loop(reader, [Ask("offers", "sms", subject_ref="s_nobody")])
    else:
        # No row, so no register version either: the thread path answers (and refuses).
        assert _on_the_loop(reader, [Ask("offers", "sms", subject_ref="s_nobody")]) == [None]


def test_what_it_leaves_to_a_thread(
    uow: UnitOfWork, reader: DecisionReader, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = _people(uow)[0]
    by_identity = Ask("offers", "sms", identity=("email", "given@example.com"))
    if reader.in_process:
        # SQLite answers anything by subject ref, but never waits for a pooled connection.
        assert reader.loop_reader is None
        pool: Any = reader._engine.pool
        monkeypatch.setattr(pool, "checkedout", lambda: POOL_SIZE)
        asks = [by_identity, Ask("offers", "sms", subject_ref=given)]
        assert _on_the_loop(reader, asks) == [None, None]
        return
    # PostgreSQL: TPS screening, a consent reference and a register to read need more.
    asks = [
        by_identity,
        Ask("offers", "live_call", subject_ref=given),
        Ask("offers", "sms", subject_ref=given, consent_ref="c_0123456789abcdef"),
    ]
    assert _on_the_loop(reader, asks) == [None, None, None]
    monkeypatch.setattr("dataward.consent.fast_path.cached_policy", lambda _newest: None)
    assert _on_the_loop(reader, [Ask("offers", "sms", subject_ref=given)]) == [None]
