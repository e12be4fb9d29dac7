"""Audit actions written by the demo. The values are stored in the chain: never change one."""

from __future__ import annotations

DEMO_CREATED = "demo.created"
DEMO_REQUESTS_OPENED = "demo.requests_opened"
DEMO_COMPLAINTS_OPENED = "demo.complaints_opened"
