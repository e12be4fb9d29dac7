"""Status links: one request per link, never a preferences link's key (issue 16)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dataward.accounts.errors import LinkExpired, LinkInvalid
from dataward.accounts.links import read_link, sign_link
from dataward.clock import FixedClock
from dataward.requests.models import RightsRequest
from dataward.requests.status_links import read_status_link, status_link_token

SECRET = b"s" * 32


def _row() -> RightsRequest:
    return RightsRequest(organisation="shop", ref="q_00112233aabbccdd")


def test_a_status_link_names_its_request_and_expires() -> None:
    clock = FixedClock(datetime(2026, 12, 1, 9, tzinfo=UTC))
    token, expires = status_link_token(SECRET, clock, _row(), days=10)
    link = read_status_link(SECRET, clock, token)
    assert (link.organisation, link.ref, link.expires_at) == ("shop", "q_00112233aabbccdd", expires)
    clock.advance(timedelta(days=10))
    with pytest.raises(LinkExpired, match="request status link has expired"):
        read_status_link(SECRET, clock, token)


def test_a_preferences_link_never_opens_a_status_page_nor_the_reverse() -> None:
    clock = FixedClock(datetime(2026, 12, 1, 9, tzinfo=UTC))
    preferences, _ = sign_link(SECRET, clock, "shop", "q_00112233aabbccdd", 10)
    with pytest.raises(LinkInvalid, match="request status link is not valid"):
        read_status_link(SECRET, clock, preferences)
    status, _ = status_link_token(SECRET, clock, _row())
    with pytest.raises(LinkInvalid, match="preferences link is not valid"):
        read_link(SECRET, clock, status)


def test_a_link_edited_to_name_another_request_is_refused() -> None:
    clock = FixedClock(datetime(2026, 12, 1, 9, tzinfo=UTC))
    token, _ = status_link_token(SECRET, clock, _row())
    other, _ = status_link_token(
        SECRET, clock, RightsRequest(organisation="shop", ref="q_ffffffffffffffff")
    )
    forged = other.split(".")[0] + "." + token.split(".")[1]
    with pytest.raises(LinkInvalid):
        read_status_link(SECRET, clock, forged)
