"""Audit actions of the disclosure log, recipients' notices and rectification. Stored in
the chain: never change a value."""

from __future__ import annotations

DISCLOSURE_RECORDED = "disclosure.recorded"
RECIPIENT_TOLD = "request.recipient_told"
RECIPIENT_NOT_TOLD = "request.recipient_not_told"
RECTIFICATION_APPLIED = "request.rectification_applied"
RECTIFICATION_NOT_APPLIED = "request.rectification_not_applied"
