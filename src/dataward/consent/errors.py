"""Consent errors: each a stable code; messages never quote personal data."""

from __future__ import annotations

from dataward.errors import DatawardError, NotFoundError, ValidationFailed


class UnknownPurpose(ValidationFailed):
    code = "purpose_unknown"
    title = "Purpose is not in the register"


class UnknownChannel(ValidationFailed):
    code = "channel_unknown"
    title = "Channel is not known"


class UnknownPreference(ValidationFailed):
    code = "preference_unknown"
    title = "Preference is not in the register"


class ConsentNotBasis(ValidationFailed):
    code = "consent_not_basis"
    title = "Consent is not the basis of this purpose"


class SoftOptInRefused(ValidationFailed):
    code = "soft_opt_in_refused"
    title = "Soft opt-in does not apply"


class ConsentInvalid(ValidationFailed):
    code = "consent_invalid"
    title = "Consent record is not valid"


class ConsentNotFound(NotFoundError):
    code = "consent_not_found"
    title = "No such consent"


class AlreadyWithdrawn(DatawardError):
    code = "consent_already_withdrawn"
    http_status = 409
    title = "Consent was already withdrawn"


class ObjectionInvalid(ValidationFailed):
    code = "objection_invalid"
    title = "Objection is not valid"


class RestrictionInvalid(ValidationFailed):
    code = "restriction_invalid"
    title = "Restriction is not valid"


class TpsImportInvalid(ValidationFailed):
    code = "tps_import_invalid"
    title = "TPS/CTPS list is not valid"


class CookieLogRefused(ValidationFailed):
    code = "cookie_consent_refused"
    title = "Cookie choice was not recorded"


class CookieLogTooLarge(CookieLogRefused):
    code = "cookie_consent_too_large"
    http_status = 413
    title = "Cookie choice too large"


class BatchLineInvalid(ValidationFailed):
    code = "batch_line_invalid"
    title = "Batch line is not valid"


class ConsentWithdrawn(DatawardError):
    code = "consent_withdrawn"
    http_status = 409
    title = "The consent relied on was withdrawn"


class BatchLineFailed(DatawardError):
    code = "batch_line_failed"
    http_status = 500
    title = "Batch line could not be answered"


class BatchInterrupted(DatawardError):
    code = "batch_interrupted"
    http_status = 503
    title = "Batch stopped before its end"
