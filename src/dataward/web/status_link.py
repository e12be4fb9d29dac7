"""The requester's (or complainant's) status link at the edge: the request (or complaint)
it names, or a refusal.

The status page, its verify page and its letters all open their request this way: a
forged, tampered, expired or orphaned link is refused alike and audited as a refused
portal link (no personal data: the code only).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi import Request

from dataward.accounts.errors import LinkInvalid
from dataward.accounts.links import SignedLink
from dataward.clock import Clock
from dataward.complaints.errors import ComplaintNotFound
from dataward.complaints.models import Complaint
from dataward.complaints.service import get_complaint
from dataward.complaints.status_links import read_status_link as read_complaint_link
from dataward.errors import DatawardError
from dataward.requests.errors import RequestNotFound
from dataward.requests.models import RightsRequest
from dataward.requests.service import get_request
from dataward.requests.status_links import read_status_link
from dataward.uow import UnitOfWork
from dataward.web.audit_actions import PORTAL_LINK_REFUSED
from dataward.web.auth import audit_refusal

T = TypeVar("T")


def _linked(
    request: Request,
    uow: UnitOfWork,
    token: str,
    kind: str,
    read: Callable[[bytes, Clock, str], SignedLink],
    find: Callable[[UnitOfWork, str, str], T],
    gone: type[DatawardError],
) -> T:
    """What a ``kind`` status link names (``read`` checks it, ``find`` opens it); a bad,
    expired or orphaned link (``gone``: its row is not there) is refused and audited."""
    try:
        link = read(request.app.state.secret_key, uow.clock, token)
        return find(uow, link.organisation, link.ref)
    except (LinkInvalid, gone) as error:
        audit_refusal(request, PORTAL_LINK_REFUSED, code=error.code, link=f"{kind}_status")
        if isinstance(error, gone):
            raise LinkInvalid(f"this {kind} status link no longer leads to a {kind}") from None
        raise


def linked_request(request: Request, uow: UnitOfWork, token: str) -> RightsRequest:
    """The request a status link names; a bad, expired or orphaned link is refused."""
    return _linked(request, uow, token, "request", read_status_link, get_request, RequestNotFound)


def linked_complaint(request: Request, uow: UnitOfWork, token: str) -> Complaint:
    """The complaint a complaint status link names (CMP-01); a bad, expired or orphaned
    link, a request status or preferences link, or one naming another organisation's
    complaint, is refused alike and audited like a request status link."""
    return _linked(
        request, uow, token, "complaint", read_complaint_link, get_complaint, ComplaintNotFound
    )
