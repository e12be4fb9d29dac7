"""Audit actions written about legal holds. Stored in the chain: never change a value."""

from __future__ import annotations

HOLD_PLACED = "hold.placed"
HOLD_REVIEWED = "hold.reviewed"
HOLD_CLOSED = "hold.closed"
