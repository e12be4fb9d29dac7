"""Errors of the retention plan, each with a stable code."""

from __future__ import annotations

from dataward.errors import ValidationFailed


class RetentionInvalid(ValidationFailed):
    """The plan was asked for something it cannot answer: no such organisation, or a day
    that is not a date."""

    code = "retention_invalid"
    title = "Retention plan request is not valid"
