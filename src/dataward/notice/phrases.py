"""Sentences for the rights section: what the register promises about replies and fees.

Only what the register states becomes words (SAR-01, SAR-04, SAR-08): a commitment the
register leaves out is no sentence, since the notice is the organisation's legal statement.
"""

from __future__ import annotations

from dataward.register.models import FeePolicy, ResponseCommitment, Schedule1Condition, Unspecified
from dataward.register.wording import not_stated, plural, words


def response_words(value: ResponseCommitment) -> str:
    """SAR-01 and SAR-04 in the reader's terms: only what the register states.

    A notice that gives no response time promises none; the law's month is not a
    promise the organisation made (DW021 asks for it instead).
    """
    parts: list[str] = []
    if value.months is not None:
        parts.append("We reply within one month of receiving your request.")
    extension, told = value.extension_months, value.tell_subject_of_extension
    if isinstance(extension, Unspecified):
        parts.append(f"Extension: {not_stated(extension)}.")
    elif extension == 0:
        parts.append("We do not extend this time.")
    elif extension is not None:
        text = (
            "If your request is complex or you make several, we may take up to "
            f"{plural(extension, 'more month')}"
        )
        if told:
            text += "; if so we tell you within the first month and explain why"
        parts.append(text + ".")
    elif told:
        parts.append("If we need longer, we tell you within the first month and explain why.")
    if value.note:
        parts.append(value.note)
    return " ".join(parts)


def fee_words(value: FeePolicy) -> str:
    """Fees as the register states them; silence says nothing about fees."""
    parts: list[str] = []
    if value.normally == "free":
        parts.append("Normally free.")
    elif value.normally == "fee":
        parts.append("We normally charge a fee.")
    excessive = value.when_unfounded_or_excessive
    if excessive is not None and excessive != "none":
        parts.append(
            f"If a request is manifestly unfounded or excessive: {words(excessive).lower()}."
        )
    if value.note:
        parts.append(value.note)
    return " ".join(parts)


def schedule_1_words(value: Schedule1Condition) -> str:
    return f"Schedule 1, Part {value.part}, paragraph {value.paragraph}: {value.name}"
