"""Notice errors: each a stable code."""

from __future__ import annotations

from dataward.errors import DatawardError, ValidationFailed


class UnknownSubjectGroup(ValidationFailed):
    code = "subject_group_unknown"
    title = "Subject group not found"


class DiffRefused(ValidationFailed):
    code = "notice_diff_refused"
    title = "These notices cannot be compared"


class PdfUnavailable(DatawardError):
    code = "pdf_unavailable"
    title = "PDF output is not available here"
    http_status = 501
