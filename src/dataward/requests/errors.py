"""Request errors: each a stable code; messages never quote personal data."""

from __future__ import annotations

from dataward.errors import DatawardError, NotFoundError, ValidationFailed


class RequestInvalid(ValidationFailed):
    code = "request_invalid"
    title = "Request is not valid"


class RequestNotFound(NotFoundError):
    code = "request_not_found"
    title = "No such request"


class TransitionRefused(DatawardError):
    """The rules forbid this step now (e.g. extending twice, disclosing before verification)."""

    code = "request_transition_refused"
    http_status = 409
    title = "This step is not allowed now"


class AuthorityNotAccepted(TransitionRefused):
    """SAR-10: a representative is answered only once their authority is accepted (and a
    competent child has agreed)."""

    code = "request_authority_not_accepted"
    title = "The authority of the person acting for the subject is not accepted"


class BatchTooLarge(DatawardError):
    code = "request_batch_too_large"
    http_status = 413
    title = "Too many requests in one batch"


class CompetenceNotAssessed(RequestInvalid):
    """SAR-10: outside Scotland (and under 12 there) no competence is presumed."""

    code = "request_competence_not_assessed"
    title = "The child's competence must be assessed"
