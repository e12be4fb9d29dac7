"""Request errors: each a stable code; messages never quote personal data."""

from __future__ import annotations

from dataward.errors import DatawardError, NotFoundError, ValidationFailed


class RequestInvalid(ValidationFailed):
    code = "request_invalid"
    title = "Request is not valid"


class RequestNotFound(NotFoundError):
    code = "request_not_found"
    title = "No such request"


class RequestLimitReached(DatawardError):
    """One client sent the portal form more often than ``DATAWARD_PORTAL_REQUESTS_PER_CLIENT``
    allows in an hour: nothing is opened, and the person is told when to try again."""

    code = "request_limit_reached"
    http_status = 429
    title = "Too many requests from here"


class TransitionRefused(DatawardError):
    """The rules forbid this step now (e.g. extending twice, disclosing before verification)."""

    code = "request_transition_refused"
    http_status = 409
    title = "This step is not allowed now"


class RemindersInvalid(ValidationFailed):
    """``DATAWARD_REQUEST_REMINDER_DAYS`` or a reminder run's day cannot be used."""

    code = "request_reminders_invalid"
    title = "Reminders cannot run so"


class TaskNotFound(NotFoundError):
    code = "request_task_not_found"
    title = "No such task on this request"


class ApprovalRequired(DatawardError):
    """SAR-07: only a person holding ``requests:approve`` (the DPO, an administrator) may
    decide that a search is not reasonable and proportionate."""

    code = "request_approval_required"
    http_status = 403
    title = "Only the DPO may decide this"


class VerificationRefused(DatawardError):
    """An identity check cannot be made now (no email to send to, no subject linked...)."""

    code = "request_verification_refused"
    http_status = 409
    title = "This identity check cannot be made now"


class VerificationInvalid(ValidationFailed):
    code = "request_verification_invalid"
    title = "The identity check is not valid"


class CodeThrottled(DatawardError):
    """More codes asked for in an hour than a person needs: a guard against mail bombing."""

    code = "request_code_throttled"
    http_status = 429
    title = "Too many codes asked for"


class CodeRefused(ValidationFailed):
    """A one-time code that does not prove anything: wrong, expired, used or dead."""

    code = "request_code_refused"
    title = "The code was not accepted"


class CodeWrong(CodeRefused):
    code = "request_code_wrong"


class CodeExpired(CodeRefused):
    code = "request_code_expired"


class CodeUsed(CodeRefused):
    code = "request_code_used"


class CodeDead(CodeRefused):
    """Five wrong tries: the code no longer works, whatever is typed."""

    code = "request_code_dead"


class NoCodeSent(CodeRefused):
    code = "request_code_missing"


class DocumentRefused(ValidationFailed):
    """An upload that is not an ID document we can keep: too large, empty, not PDF/JPEG/PNG."""

    code = "request_document_refused"
    title = "The document was not accepted"


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
