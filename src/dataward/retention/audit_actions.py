"""Audit actions written about retention runs. Stored in the chain: never change a value."""

from __future__ import annotations

RUN_STARTED = "retention.run_started"
RULE_RAN = "retention.rule_ran"
RUN_DONE = "retention.run_done"
