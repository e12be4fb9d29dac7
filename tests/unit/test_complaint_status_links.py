"""Complaint status links: one complaint per link, a key of their own (issue 17, CMP-01)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dataward.accounts.errors import LinkExpired, LinkInvalid
from dataward.accounts.links import read_link, sign_link
from dataward.clock import FixedClock
from dataward.complaints.models import Complaint
from dataward.complaints.status_links import (
    read_status_link,
    status_address,
    status_link_token,
)
from dataward.requests.models import RightsRequest
from dataward.requests.status_links import read_status_link as read_request_link
from dataward.requests.status_links import status_link_token as request_link

SECRET = b"s" * 32
REF = "c_00112233aabbccdd"


def _clock() -> FixedClock:
    return FixedClock(datetime(2026, 12, 1, 9, tzinfo=UTC))


def test_a_complaint_link_names_its_complaint_and_expires_after_a_year() -> None:
    clock = _clock()
    token, expires = status_link_token(SECRET, clock, Complaint(organisation="shop", ref=REF))
    assert expires == clock.now() + timedelta(days=365)
    link = read_status_link(SECRET, clock, token)
    assert (link.organisation, link.ref) == ("shop", REF)
    clock.advance(timedelta(days=365))
    with pytest.raises(LinkExpired, match="complaint status link has expired"):
        read_status_link(SECRET, clock, token)


def test_request_status_and_preferences_links_never_open_a_complaint_nor_the_reverse() -> None:
    clock = _clock()
    complaint, _ = status_link_token(SECRET, clock, Complaint(organisation="shop", ref=REF))
    request, _ = request_link(SECRET, clock, RightsRequest(organisation="shop", ref=REF))
    preferences, _ = sign_link(SECRET, clock, "shop", REF, 10)
    for other in (request, preferences):
        with pytest.raises(LinkInvalid, match="complaint status link is not valid"):
            read_status_link(SECRET, clock, other)
    with pytest.raises(LinkInvalid, match="request status link is not valid"):
        read_request_link(SECRET, clock, complaint)
    with pytest.raises(LinkInvalid, match="preferences link is not valid"):
        read_link(SECRET, clock, complaint)


def test_the_address_is_the_status_page_under_the_public_url() -> None:
    assert status_address("https://dw.example/", "abc.def") == (
        "https://dw.example/complaints/status/abc.def"
    )
