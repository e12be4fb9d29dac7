"""Complaint errors: each a stable code; messages never quote personal data."""

from __future__ import annotations

from dataward.errors import DatawardError, NotFoundError, ValidationFailed


class ComplaintInvalid(ValidationFailed):
    code = "complaint_invalid"
    title = "Complaint is not valid"


class ComplaintNotFound(NotFoundError):
    code = "complaint_not_found"
    title = "No such complaint"


class ComplaintTransitionRefused(DatawardError):
    """The step cannot be taken now (e.g. closing a complaint already closed)."""

    code = "complaint_transition_refused"
    http_status = 409
    title = "This step is not allowed now"
