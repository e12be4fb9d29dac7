"""Audit actions written about access packages. Stored in the chain: never change a value."""

from __future__ import annotations

PACKAGE_QUEUED = "access.package_queued"
PACKAGE_PART_BUILT = "access.part_built"
PACKAGE_SOURCE_FAILED = "access.source_failed"
PACKAGE_BUILT = "access.package_built"
REDACTION_UNDONE = "access.redaction_undone"
REDACTION_REAPPLIED = "access.redaction_reapplied"
ITEM_WITHHELD = "access.item_withheld"
ITEM_RELEASED = "access.item_released"
PACKAGE_APPROVED = "access.package_approved"
PACKAGE_READY = "access.package_ready"
PACKAGE_DOWNLOADED = "access.package_downloaded"
PACKAGE_DOWNLOAD_REFUSED = "access.download_refused"
PACKAGE_DELETED = "access.package_deleted"
PACKAGE_CODE_SENT = "access.download_code_sent"
# POR-01, Art 20(2): where a portability package goes, recorded and sent (ids only).
DESTINATION_RECORDED = "access.destination_recorded"
PACKAGE_SENT_TO_CONTROLLER = "access.package_sent_to_controller"
