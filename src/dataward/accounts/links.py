"""Signed, expiring links to a subject's preferences page: an HMAC of our own.

The link names the organisation, the subject's pseudonymous ref and an expiry; nothing
is stored, so a link cannot be looked up, only checked. The time comes from the Clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dataward.accounts.errors import LinkExpired, LinkInvalid
from dataward.clock import Clock

_PURPOSE = b"dataward preferences link v1"


@dataclass(frozen=True)
class PreferencesLink:
    organisation: str
    subject_ref: str
    expires_at: datetime


def _key(secret: bytes) -> bytes:
    # One key per purpose, so a signature made for one use never verifies for another.
    return hmac.new(secret, _PURPOSE, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_link(
    secret: bytes, clock: Clock, organisation: str, subject_ref: str, days: int
) -> tuple[str, datetime]:
    expires = clock.now() + timedelta(days=days)
    payload = json.dumps(
        {"o": organisation, "s": subject_ref, "e": int(expires.timestamp())},
        separators=(",", ":"),
        sort_keys=True,
    ).encode()
    mac = hmac.new(_key(secret), payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}", expires


def read_link(secret: bytes, clock: Clock, token: str) -> PreferencesLink:
    """The link's content; LinkInvalid if forged or damaged, LinkExpired if too old."""
    body, _, signature = token.partition(".")
    try:
        if len(token) > 400:
            raise ValueError("too long")
        payload = _unb64(body)
        given = _unb64(signature)
    except ValueError:
        raise LinkInvalid(_INVALID) from None
    expected = hmac.new(_key(secret), payload, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, given):
        raise LinkInvalid(_INVALID)
    try:
        # Signed by us, yet a key that leaked or an older format could carry anything: a
        # payload that is not the expected shape is a bad link, never a server error.
        data = json.loads(payload)
        expires = datetime.fromtimestamp(int(data["e"]), UTC)
        organisation, subject_ref = str(data["o"]), str(data["s"])
    except (ValueError, TypeError, KeyError, OverflowError, OSError):
        raise LinkInvalid(_INVALID) from None
    if clock.now() >= expires:
        raise LinkExpired(
            "this preferences link has expired; ask the organisation to send you a new one"
        )
    return PreferencesLink(organisation, subject_ref, expires)


_INVALID = (
    "this preferences link is not valid: it may have been copied incompletely; "
    "ask the organisation to send you a new one"
)
