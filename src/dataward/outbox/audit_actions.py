"""Audit actions written about outbox messages.

The values are stored in the chain: never change one.
"""

from __future__ import annotations

OUTBOX_QUEUED = "outbox.queued"
OUTBOX_SENT = "outbox.sent"
OUTBOX_PARKED = "outbox.parked"
