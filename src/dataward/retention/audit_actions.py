"""Audit actions the retention package writes. Stored in the chain: never change a value."""

from __future__ import annotations

RUN_STARTED = "retention.run_started"
# "Run now" in the console queued the day's run job (the run then writes its own entries).
RUN_QUEUED = "retention.run_queued"
RULE_RAN = "retention.rule_ran"
RUN_DONE = "retention.run_done"
# One batch of one kind of dataward's own data swept: counts, period and cutoff only.
OWN_DATA_SWEPT = "retention.own_data_swept"
