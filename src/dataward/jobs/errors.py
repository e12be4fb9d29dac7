"""Job errors: ``permanent`` tells the worker whether to retry a job or park it."""

from __future__ import annotations

from dataward.errors import DatawardError, NotFoundError


class JobFailed(DatawardError):
    """A job could not be done now; the worker retries it later with backoff."""

    code = "job_failed"
    permanent = False


class JobRefused(JobFailed):
    """A job can never succeed (a malformed address, a shredded subject): park it at once."""

    code = "job_refused"
    permanent = True


class JobNotFound(NotFoundError):
    code = "job_not_found"
    title = "Job not found"
