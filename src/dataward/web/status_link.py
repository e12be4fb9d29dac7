"""The requester's (or complainant's) status link at the edge: the request (or complaint)
it names, or a refusal.

The status page, its verify page and its letters all open their request this way: a
forged, tampered, expired or orphaned link is refused alike and audited as a refused
portal link (no personal data: the code only).
"""

from __future__ import annotations

from fastapi import Request

from dataward.accounts.errors import LinkInvalid
from dataward.complaints.errors import ComplaintNotFound
from dataward.complaints.models import Complaint
from dataward.complaints.service import get_complaint
from dataward.complaints.status_links import read_status_link as read_complaint_link
from dataward.requests.errors import RequestNotFound
from dataward.requests.models import RightsRequest
from dataward.requests.service import get_request
from dataward.requests.status_links import read_status_link
from dataward.uow import UnitOfWork
from dataward.web.audit_actions import PORTAL_LINK_REFUSED
from dataward.web.auth import audit_refusal


def linked_request(request: Request, uow: UnitOfWork, token: str) -> RightsRequest:
    """The request a status link names; a bad, expired or orphaned link is refused."""
    try:
        link = read_status_link(request.app.state.secret_key, uow.clock, token)
        return get_request(uow, link.organisation, link.ref)
    except (LinkInvalid, RequestNotFound) as error:
        audit_refusal(request, PORTAL_LINK_REFUSED, code=error.code, link="request_status")
        if isinstance(error, RequestNotFound):
            raise LinkInvalid("this request status link no longer leads to a request") from None
        raise


def linked_complaint(request: Request, uow: UnitOfWork, token: str) -> Complaint:
    """The complaint a complaint status link names (CMP-01); a bad, expired or orphaned
    link, a request status or preferences link, or one naming another organisation's
    complaint, is refused alike and audited like a request status link."""
    try:
        link = read_complaint_link(request.app.state.secret_key, uow.clock, token)
        return get_complaint(uow, link.organisation, link.ref)
    except (LinkInvalid, ComplaintNotFound) as error:
        audit_refusal(request, PORTAL_LINK_REFUSED, code=error.code, link="complaint_status")
        if isinstance(error, ComplaintNotFound):
            raise LinkInvalid("this complaint status link no longer leads to a complaint") from None
        raise
