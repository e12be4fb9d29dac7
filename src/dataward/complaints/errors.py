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


class ComplaintLetterUnknown(ComplaintInvalid):
    code = "complaint_letter_unknown"
    title = "No such letter"


class ComplaintLetterNotReady(ComplaintTransitionRefused):
    """The outcome letter gives the outcome and its explanation: close the complaint first."""

    code = "complaint_letter_not_ready"
    title = "This letter cannot be written yet"


class ComplaintLetterNotSent(NotFoundError):
    """On the complainant's status page: only letters they were sent."""

    code = "complaint_letter_not_sent"
    title = "No such letter"
