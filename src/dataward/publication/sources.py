"""Storing a sources file as its organisation's next version, audited. Never commits.

Here rather than in ``dataward.sources``: storing records an audit event, and ``sources``
imports no domain (docs/architecture-parts.json).
"""

from __future__ import annotations

from dataclasses import dataclass

from dataward.audit.service import record
from dataward.logging import get_logger
from dataward.publication.audit_actions import SOURCES_LOADED
from dataward.sources.loader import LoadedSources
from dataward.sources.versions import SourcesVersion, newest_sources
from dataward.uow import UnitOfWork

log = get_logger(__name__)


@dataclass(frozen=True)
class StoredSources:
    version: SourcesVersion
    new: bool  # False: the same text was stored already, nothing changed


def store_sources(
    uow: UnitOfWork, loaded: LoadedSources, *, organisation: str, actor: str = "system"
) -> StoredSources:
    """Keep ``loaded`` as the organisation's next sources version, unless its text is unchanged.

    The caller has checked the file (and, where it has one, against the register); this
    stores text, SHA-256, time from the Clock and version number, and audits it.
    """
    latest = newest_sources(uow, organisation)
    if latest is not None and latest.content_hash == loaded.content_hash:
        return StoredSources(latest, new=False)
    version = SourcesVersion(
        organisation=organisation,
        version=(latest.version + 1) if latest else 1,
        content_hash=loaded.content_hash,
        source_name=loaded.file[-500:],
        loaded_at=uow.clock.now(),
        loaded_by=actor[:200],
        source_text=loaded.source_text,
    )
    uow.session.add(version)
    uow.session.flush()
    record(
        uow,
        actor=actor,
        action=SOURCES_LOADED,
        entity_type="sources",
        entity_id=f"{organisation}:{version.version}",
        before=None if latest is None else {"content_hash": latest.content_hash},
        after={"content_hash": loaded.content_hash},
        details={"organisation": organisation, "version": version.version},
    )
    log.info("sources.loaded", organisation=organisation, version=version.version)
    return StoredSources(version, new=True)
