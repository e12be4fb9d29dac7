"""Audit actions written about jobs. The values are stored in the chain: never change one."""

from __future__ import annotations

JOB_PARKED = "job.parked"
JOB_RETRY_SCHEDULED = "job.retry_scheduled"
JOB_REQUEUED = "job.requeued"
