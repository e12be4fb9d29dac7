"""The audit actions publication records, named once so readers of the chain can rely on them."""

from __future__ import annotations

REGISTER_VERSION_STORED = "register.version_stored"
NOTICE_VERSION_PUBLISHED = "notice.version_published"
NOTICE_SIGNIFICANT_CHANGE_RECORDED = "notice.significant_change_recorded"
SOURCES_LOADED = "sources.loaded"
