"""Signed, expiring links handed to people outside dataward: an HMAC of our own.

A link names the organisation, one pseudonymous ref (a subject's for the preferences page,
a request's or a complaint's for its status page) and an expiry; nothing is stored, so a
link cannot be looked up, only checked. Each use has its own key, so a link made for one
use never opens another. The time comes from the Clock.
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


@dataclass(frozen=True)
class LinkPurpose:
    """One use of signed links: its key derivation label and what a bad link says."""

    label: bytes
    what: str  # "preferences link", "request status link", "complaint status link"
    renew: str  # how the person gets a new one


PREFERENCES = LinkPurpose(
    b"dataward preferences link v1",
    "preferences link",
    "ask the organisation to send you a new one",
)
REQUEST_STATUS = LinkPurpose(
    b"dataward request status link v1",
    "request status link",
    "use the link in the latest email about your request, or contact the organisation",
)
# A complaint's status page (CMP-01): a key of its own, so a request status or preferences
# link never opens a complaint, nor a complaint's link a request.
COMPLAINT_STATUS = LinkPurpose(
    b"dataward complaint status link v1",
    "complaint status link",
    "use the link in the latest email about your complaint, or contact the organisation",
)
# An access package's download (ACC-01): a key of its own, so no other link opens a package.
ACCESS_PACKAGE = LinkPurpose(
    b"dataward access package link v1",
    "package download link",
    "use the link in the latest email about your request, or contact the organisation",
)


@dataclass(frozen=True)
class SignedLink:
    organisation: str
    # The subject's ref (preferences) or the request's ref (status).
    ref: str
    expires_at: datetime

    @property
    def subject_ref(self) -> str:
        return self.ref


PreferencesLink = SignedLink


def _key(secret: bytes, purpose: LinkPurpose) -> bytes:
    # One key per purpose, so a signature made for one use never verifies for another.
    return hmac.new(secret, purpose.label, hashlib.sha256).digest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign_link(
    secret: bytes,
    clock: Clock,
    organisation: str,
    ref: str,
    days: int,
    purpose: LinkPurpose = PREFERENCES,
) -> tuple[str, datetime]:
    expires = clock.now() + timedelta(days=days)
    payload = json.dumps(
        {"o": organisation, "s": ref, "e": int(expires.timestamp())},
        separators=(",", ":"),
        sort_keys=True,
    ).encode()
    mac = hmac.new(_key(secret, purpose), payload, hashlib.sha256).digest()
    return f"{_b64(payload)}.{_b64(mac)}", expires


def read_link(
    secret: bytes, clock: Clock, token: str, purpose: LinkPurpose = PREFERENCES
) -> SignedLink:
    """The link's content; LinkInvalid if forged or damaged, LinkExpired if too old."""
    invalid = (
        f"this {purpose.what} is not valid: it may have been copied incompletely; {purpose.renew}"
    )
    body, _, signature = token.partition(".")
    try:
        if len(token) > 400:
            raise ValueError("too long")
        payload = _unb64(body)
        given = _unb64(signature)
    except ValueError:
        raise LinkInvalid(invalid) from None
    expected = hmac.new(_key(secret, purpose), payload, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, given):
        raise LinkInvalid(invalid)
    try:
        # Signed by us, yet a key that leaked or an older format could carry anything: a
        # payload that is not the expected shape is a bad link, never a server error.
        data = json.loads(payload)
        expires = datetime.fromtimestamp(int(data["e"]), UTC)
        organisation, ref = str(data["o"]), str(data["s"])
    except (ValueError, TypeError, KeyError, OverflowError, OSError):
        raise LinkInvalid(invalid) from None
    if clock.now() >= expires:
        raise LinkExpired(f"this {purpose.what} has expired; {purpose.renew}")
    return SignedLink(organisation, ref, expires)
