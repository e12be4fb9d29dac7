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


class LetterNotReady(RequestInvalid):
    """A letter that gives reasons (extension, refusal, fee, clarification) before the step
    that records them."""

    code = "request_letter_not_ready"
    title = "This letter cannot be written yet"


class UnknownLetter(RequestInvalid):
    code = "request_letter_unknown"
    title = "No such letter"


class LetterNotSent(NotFoundError):
    """On the requester's status page: only letters they were sent."""

    code = "request_letter_not_sent"
    title = "No such letter"
