"""Audit actions written about erasures. Stored in the chain: never change a value."""

from __future__ import annotations

GROUND_RECORDED = "erasure.ground_recorded"
PLAN_MADE = "erasure.plan_made"
PLAN_APPROVED = "erasure.plan_approved"
PLAN_REJECTED = "erasure.plan_rejected"
PLAN_STALE = "erasure.plan_stale"
SOURCE_ERASED = "erasure.source_erased"
SOURCE_FAILED = "erasure.source_failed"
PLAN_DONE = "erasure.plan_done"
