"""Subject errors: each a stable code; messages never quote an identity's value."""

from __future__ import annotations

from dataward.errors import DatawardError, NotFoundError, ValidationFailed


class SubjectNotFound(NotFoundError):
    code = "subject_not_found"
    title = "Subject not found"


class IdentityTaken(DatawardError):
    code = "identity_taken"
    http_status = 409
    title = "Identity belongs to another subject"


class MergeRefused(ValidationFailed):
    code = "merge_refused"
    title = "Subjects cannot be merged"


class InvalidIdentity(ValidationFailed):
    code = "identity_invalid"
    title = "Identity value is not valid"
