"""Signed preferences links: a payload we signed but cannot read is a bad link, not a crash."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from dataward.accounts.errors import LinkExpired, LinkInvalid
from dataward.accounts.links import PREFERENCES, _b64, _key, read_link, sign_link
from dataward.clock import FixedClock

SECRET = b"s" * 32
NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def _signed(payload: bytes) -> str:
    # What a leaked key or an older link format could produce: a valid MAC on any bytes.
    mac = hmac.new(_key(SECRET, PREFERENCES), payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}"


def test_it_reads_a_link_it_signed() -> None:
    clock = FixedClock(NOW)
    token, expires = sign_link(SECRET, clock, "acme", "ps_0001", 7)
    link = read_link(SECRET, clock, token)
    assert (link.organisation, link.subject_ref, link.expires_at) == ("acme", "ps_0001", expires)


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b"[1, 2]",
        b"7",
        b'{"o": "acme", "s": "ps_1"}',
        b'{"o": "acme", "s": "ps_1", "e": "soon"}',
        b'{"o": "acme", "s": "ps_1", "e": 1e400}',
        b'{"o": "acme", "s": "ps_1", "e": 99999999999999999999}',
        b'{"e": 1900000000}',
        b"\xff\xfe",
    ],
)
def test_it_refuses_a_validly_signed_payload_of_the_wrong_shape(payload: bytes) -> None:
    with pytest.raises(LinkInvalid):
        read_link(SECRET, FixedClock(NOW), _signed(payload))


def test_it_still_tells_an_expired_link_from_a_bad_one() -> None:
    old = _signed(b'{"e": 1700000000, "o": "acme", "s": "ps_1"}')
    with pytest.raises(LinkExpired):
        read_link(SECRET, FixedClock(NOW), old)
