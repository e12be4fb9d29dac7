"""The requester's status link: signed, expiring, naming one request. Never commits.

The person who asked (often without any account) follows it to see where their request is
and when it is due. It is an HMAC of ``accounts.links`` under a key of its own, so a
preferences link never opens a status page, and one request's link never opens another's.
"""

from __future__ import annotations

from datetime import datetime

from dataward.accounts.links import REQUEST_STATUS, SignedLink, read_link, sign_link
from dataward.clock import Clock
from dataward.requests.models import RightsRequest

# Long enough to outlive an extended request (three months) with time to read the answer.
STATUS_LINK_DAYS = 180


def status_link_token(
    secret: bytes, clock: Clock, row: RightsRequest, days: int = STATUS_LINK_DAYS
) -> tuple[str, datetime]:
    return sign_link(secret, clock, row.organisation, row.ref, days, REQUEST_STATUS)


def read_status_link(secret: bytes, clock: Clock, token: str) -> SignedLink:
    """The organisation and request ref the link names; LinkInvalid/LinkExpired otherwise."""
    return read_link(secret, clock, token, REQUEST_STATUS)
