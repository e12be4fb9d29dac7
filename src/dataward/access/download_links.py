"""The subject's download link: signed, naming one request, expiring with its package.

An HMAC of ``accounts.links`` under the ``ACCESS_PACKAGE`` key, so a request status link,
a complaint's or a preferences link never opens a package, nor a package link a status
page. The link names the organisation, the request and the package's kind (one package
of each kind per request); the package it opens is checked again on every use
(``delivery.linked_package``). Never commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from dataward.access.errors import PackageRefused
from dataward.access.models import ACCESS, AccessPackage
from dataward.accounts.links import ACCESS_PACKAGE, SignedLink, read_link, sign_link
from dataward.clock import Clock, FixedClock
from dataward.config import get_settings
from dataward.errors import ConfigurationError
from dataward.requests.models import RightsRequest

KIND_MARK = ":"  # never in a request's ref (``q_`` and hex)


def link_secret() -> bytes:
    """The key links are signed with, from the settings (``DATAWARD_SECRET_KEY``).

    The worker signs the link the web server later checks: both need the same key, so a
    key random per process (the web server's fallback) would email links that never open.
    """
    secret = get_settings().secret_key
    if secret is None:
        raise ConfigurationError(
            "DATAWARD_SECRET_KEY is not set: package links signed by the worker would not "
            "open on the web server; set it for both"
        )
    return secret.get_secret_value().encode()


def package_link_token(
    secret: bytes, row: RightsRequest, package: AccessPackage
) -> tuple[str, datetime]:
    """A link valid until the package expires, to the second."""
    if package.expires_at is None:
        raise PackageRefused(f"request {row.ref}: the package has no expiry, so it is not ready")
    # ``sign_link`` counts whole days from its clock's now: a clock one day before the
    # package's expiry makes the link expire exactly when the package does.
    at = package.expires_at - timedelta(days=1)
    return sign_link(
        secret, FixedClock(at), row.organisation, linked_ref(row, package), 1, ACCESS_PACKAGE
    )


def linked_ref(row: RightsRequest, package: AccessPackage) -> str:
    """What the link signs: the request's ref, and ``:<kind>`` for any package but access
    (links to access packages made before kinds existed still open them)."""
    return row.ref if package.kind == ACCESS else f"{row.ref}{KIND_MARK}{package.kind}"


def split_ref(signed: str) -> tuple[str, str]:
    """The request's ref and the package's kind a link signs."""
    ref, _, kind = signed.partition(KIND_MARK)
    return ref, kind or ACCESS


def read_package_link(secret: bytes, clock: Clock, token: str) -> SignedLink:
    """The organisation and request ref the link names; LinkInvalid/LinkExpired otherwise
    (a link of another purpose is invalid: its signature is under another key)."""
    return read_link(secret, clock, token, ACCESS_PACKAGE)


def package_address(public_url: str, token: str) -> str:
    """The download page's absolute address, as the email gives it."""
    return f"{public_url.rstrip('/')}/packages/{token}"
