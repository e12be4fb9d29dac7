"""Disclosure log, recipients' notices and rectification errors: stable codes; messages
never quote personal data (ids and counts only)."""

from __future__ import annotations

from dataward.errors import DatawardError, NotFoundError, ValidationFailed


class DisclosureInvalid(ValidationFailed):
    code = "disclosure_invalid"
    title = "Disclosure is not valid"


class DisclosureNotFound(NotFoundError):
    code = "disclosure_not_found"
    title = "No such disclosure"


class NoticeInvalid(ValidationFailed):
    code = "recipient_notice_invalid"
    title = "Recipients cannot be told of this"


class RectificationInvalid(ValidationFailed):
    code = "rectification_invalid"
    title = "Rectification is not valid"


class ColumnNotBound(ValidationFailed):
    """REC-01: the sources file does not bind that column, so dataward cannot change it."""

    code = "rectification_column_not_bound"
    title = "The sources file does not bind this column"


class RectificationRefused(DatawardError):
    """The request is not one this correction can be made on (closed, not rectification)."""

    code = "rectification_refused"
    http_status = 409
    title = "This request cannot be rectified now"


class AccuracyNotVerified(RectificationInvalid):
    """REC-01 where the register says the organisation verifies the accuracy of new data
    (``verify_accuracy``): the caseworker records how it was checked before it is applied."""

    code = "rectification_accuracy_not_verified"
    title = "Record how the new data's accuracy was checked first"
