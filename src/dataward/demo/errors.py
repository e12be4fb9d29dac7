"""Demo errors: each a stable code."""

from __future__ import annotations

from dataward.errors import DatawardError


class DemoExists(DatawardError):
    code = "demo_exists"
    http_status = 409
    title = "A demo agency already exists"
