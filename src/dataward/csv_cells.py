"""CSV cells a spreadsheet shows as text, for every CSV dataward writes from what people typed
or from free-form values (the audit log, the complaints' log)."""

from __future__ import annotations

# A cell starting with one of these is read by spreadsheets as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    """The value as text; a leading =, +, -, @, tab or carriage return is quoted with ``'``."""
    text = value if isinstance(value, str) else "" if value is None else str(value)
    return "'" + text if text[:1] in FORMULA_STARTS else text
