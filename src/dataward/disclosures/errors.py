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


class DisclosureNotAuthorised(DisclosureInvalid):
    """The register sends data to this recipient only where the person authorised it
    (``only_if_authorised_by_subject``): the disclosure names when and the evidence."""

    code = "disclosure_not_authorised"
    title = "Record the person's authorisation first"


class TransferNotListed(DisclosureInvalid):
    """Data went outside the UK but not under a transfer the register lists for the
    recipient (or to a destination the transfer does not name)."""

    code = "disclosure_transfer_not_listed"
    title = "The register lists no such transfer"


class TransferUnsafeguarded(DisclosureInvalid):
    """The register lists the transfer but states no safeguard for it, or says nothing
    leaves the UK."""

    code = "disclosure_transfer_unsafeguarded"
    title = "The register states no safeguard for this transfer"


class ForOthersMarketing(DisclosureInvalid):
    """The register says the organisation never shares for other organisations'
    marketing: a disclosure for the recipient's own marketing is refused."""

    code = "disclosure_for_others_marketing"
    title = "The register says data is never shared for others' marketing"
