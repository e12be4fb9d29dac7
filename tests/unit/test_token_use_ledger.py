"""The token use ledger on its own: when a window is due, and counting from many threads."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from dataward.accounts.token_uses import TokenUseLedger

START = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def test_it_is_due_once_the_oldest_pending_use_is_a_window_old() -> None:
    ledger = TokenUseLedger(timedelta(seconds=10))
    assert not ledger.due(START)

    ledger.note("id-1", "t_1", "api_organisations", START)
    ledger.note("id-1", "t_1", "api_organisations", START + timedelta(seconds=8))

    assert not ledger.due(START + timedelta(seconds=9))
    assert ledger.due(START + timedelta(seconds=10))
    assert ledger.pending_uses() == 2


def test_it_takes_the_oldest_use_of_any_pair_as_the_start_of_the_window() -> None:
    ledger = TokenUseLedger(timedelta(seconds=10))
    ledger.note("id-1", "t_1", "api_lint", START + timedelta(seconds=5))
    ledger.note("id-2", "t_2", "api_organisations", START)  # noted later, happened earlier

    assert ledger.due(START + timedelta(seconds=10))


def test_it_is_due_at_once_with_a_zero_window_but_only_with_something_pending() -> None:
    ledger = TokenUseLedger(timedelta(0))
    assert ledger.immediate
    assert not ledger.due(START)

    ledger.note("id-1", "t_1", "api_organisations", START)

    assert ledger.due(START)


def test_it_refuses_a_negative_window() -> None:
    with pytest.raises(ValueError, match="negative"):
        TokenUseLedger(timedelta(seconds=-1))


def test_it_counts_every_use_noted_from_many_threads() -> None:
    ledger = TokenUseLedger(timedelta(seconds=10))
    barrier = threading.Barrier(8)

    def caller(number: int) -> None:
        barrier.wait()  # start together, so the notes really interleave
        for index in range(2000):
            moment = START + timedelta(milliseconds=index)
            ledger.note(f"id-{number % 3}", f"t_{number % 3}", f"route_{index % 4}", moment)

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert ledger.pending_uses() == 8 * 2000
    assert not ledger.due(START + timedelta(seconds=9, milliseconds=999))
    assert ledger.due(START + timedelta(seconds=10))
