"""The refusal ledger's rules, without a database (issue 14, item 6)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dataward.accounts.refusals import MANY_CLIENTS, Refusal, RefusalLedger

T0 = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def _refusal(client: str = "c1", reason: str = "unknown") -> Refusal:
    return Refusal.of(
        "api_token.refused",
        "token:unknown",
        client,
        {"route": "api_organisations", "reason": reason},
        entity_type="api_token",
        entity_id="unknown",
    )


def test_it_writes_the_first_of_a_kind_per_window_and_counts_the_rest() -> None:
    """Issue 14, item 6: one event at once per client, kind and window."""
    ledger = RefusalLedger(MINUTE)

    firsts = [ledger.note(_refusal(), T0 + timedelta(seconds=s)) for s in range(10)]
    other_reason = ledger.note(_refusal(reason="expired"), T0)
    next_window = ledger.note(_refusal(), T0 + MINUTE)

    assert firsts == [True] + [False] * 9
    assert other_reason
    assert next_window
    assert ledger.pending_refusals() == 9


def test_it_is_due_once_a_window_with_counts_has_closed() -> None:
    """Issue 14, item 6: the counts wait for their window to close."""
    ledger = RefusalLedger(MINUTE)
    ledger.note(_refusal(), T0)
    assert not ledger.due(T0 + MINUTE)  # nothing counted yet: the first was written
    ledger.note(_refusal(), T0 + timedelta(seconds=5))

    assert not ledger.due(T0 + timedelta(seconds=59))
    assert ledger.due(T0 + MINUTE)


def test_a_throttled_refusal_is_only_counted() -> None:
    """Issue 14, item 6: a 429 never writes at once, even the first."""
    ledger = RefusalLedger(MINUTE)

    assert not ledger.note(_refusal(), T0, may_write=False)
    assert ledger.pending_refusals() == 1


def test_it_writes_at_most_so_many_refusals_at_once_per_window() -> None:
    """Issue 14, item 6: a flood from many addresses is still a bounded number of rows."""
    ledger = RefusalLedger(MINUTE, max_first=3)

    written = [ledger.note(_refusal(client=f"c{n}"), T0) for n in range(1000)]

    assert written == [True] * 3 + [False] * 997
    assert [(r.client, c.count) for (_, r), c in ledger._counted.items()] == [(MANY_CLIENTS, 997)]


def test_a_throttled_client_is_counted_apart_only_if_it_was_written() -> None:
    """Issue 14, item 6: throttled requests from unseen addresses add no rows either."""
    ledger = RefusalLedger(MINUTE, max_first=1)
    ledger.note(_refusal(client="seen"), T0)

    for client in ("seen", "seen", "unseen", "other"):
        ledger.note(_refusal(client=client), T0, may_write=False)

    counted = {r.client: c.count for (_, r), c in ledger._counted.items()}
    assert counted == {"seen": 2, MANY_CLIENTS: 2}


def test_it_counts_past_its_key_cap_under_many_clients() -> None:
    """Issue 14, item 6: memory stays bounded however many kinds there are."""
    ledger = RefusalLedger(MINUTE, max_keys=2)

    for n in range(50):
        ledger.note(_refusal(client=f"c{n}"), T0)  # written at once
        ledger.note(_refusal(client=f"c{n}"), T0)  # counted

    counted = ledger._counted
    assert len(counted) == 3  # two clients and "many"
    assert sum(c.count for c in counted.values()) == 50
    assert {r.client for _, r in counted} == {"c0", "c1", MANY_CLIENTS}


def test_a_zero_window_writes_every_refusal_at_once() -> None:
    """Issue 14, item 6: DATAWARD_REFUSAL_WINDOW_SECONDS=0."""
    ledger = RefusalLedger(timedelta(0))

    assert all(ledger.note(_refusal(), T0) for _ in range(5))
    assert not ledger.due(T0 + MINUTE)
    assert ledger.pending_refusals() == 0


def test_the_event_names_the_client_by_its_digest_only() -> None:
    """Issue 14, item 6: the details carry the digest and the counts, nothing else."""
    entry = _refusal(client="0123456789abcdef").entry(count=3)

    assert entry.details == {
        "route": "api_organisations",
        "reason": "unknown",
        "client": "0123456789abcdef",
        "count": 3,
    }


def test_it_refuses_a_negative_window() -> None:
    with pytest.raises(ValueError, match="negative"):
        RefusalLedger(timedelta(seconds=-1))
