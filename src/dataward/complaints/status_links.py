"""The complainant's status link: signed, expiring, naming one complaint. Never commits.

The person who complained (usually without any account) follows it to see where their
complaint is, when to expect the outcome, and the letters sent. It is an HMAC of
``accounts.links`` under a key of its own (``COMPLAINT_STATUS``), so a request status or
preferences link never opens a complaint, and one complaint's link never opens another's.
"""

from __future__ import annotations

from datetime import datetime

from dataward.accounts.links import COMPLAINT_STATUS, SignedLink, read_link, sign_link
from dataward.clock import Clock
from dataward.complaints.models import Complaint

# Long enough for an investigation and for reading the outcome letter afterwards.
STATUS_LINK_DAYS = 365


def status_link_token(
    secret: bytes, clock: Clock, row: Complaint, days: int = STATUS_LINK_DAYS
) -> tuple[str, datetime]:
    return sign_link(secret, clock, row.organisation, row.ref, days, COMPLAINT_STATUS)


def read_status_link(secret: bytes, clock: Clock, token: str) -> SignedLink:
    """The organisation and complaint ref the link names; LinkInvalid/LinkExpired otherwise."""
    return read_link(secret, clock, token, COMPLAINT_STATUS)


def status_address(public_url: str, token: str) -> str:
    """The status page's absolute address, as the emails give it."""
    return f"{public_url.rstrip('/')}/complaints/status/{token}"
