"""Audit actions written about subjects. The values are stored in the chain: never change one."""

from __future__ import annotations

SUBJECT_CREATED = "subject.created"
SUBJECT_MERGED = "subject.merged"
SUBJECT_SHREDDED = "subject.shredded"
SUBJECT_VIEWED = "subject.viewed"
PREFERENCES_LINK_ISSUED = "preferences_link.issued"
