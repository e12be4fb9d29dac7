"""Audit actions written by the audit package itself.

The values are stored in the chain: never change one.
"""

from __future__ import annotations

AUDIT_HEAD_SIGNED = "audit.head_signed"
