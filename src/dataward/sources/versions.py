"""Stored versions of an organisation's sources file, so evidence can cite the one it used.

The table and the readers live here (core only: a request or a retention run reads the
version it cites without any domain). Storing a new version is audited, so it lives with
the stored registers in ``dataward.publication.sources``. Never commits.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from dataward.db import Base, UTCDateTime
from dataward.sources.errors import SourcesNotFound
from dataward.sources.loader import LoadedSources, parse_sources
from dataward.uow import UnitOfWork


class SourcesVersion(Base):
    """One loaded version of an organisation's sources file, with its text."""

    __tablename__ = "source_versions"
    __table_args__ = (
        UniqueConstraint("organisation", "version", name="uq_source_versions_organisation"),
        Index("ix_source_versions_organisation_hash", "organisation", "content_hash"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(500))
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
    loaded_by: Mapped[str] = mapped_column(String(200))
    source_text: Mapped[str] = mapped_column(Text)

    def parsed(self) -> LoadedSources:
        """The stored text parsed (it was valid when stored), once per process: a stored
        version never changes, and its models are frozen, so every reader shares them."""
        marker = (self.organisation, self.version, self.content_hash)
        with _LOCK:
            found = _PARSED.get(marker)
            if found is not None:
                _PARSED.move_to_end(marker)
                return found
        found = parse_sources(self.source_text, f"{self.organisation} sources v{self.version}")
        with _LOCK:
            _PARSED[marker] = found
            while len(_PARSED) > PARSED_CAPACITY:
                _PARSED.popitem(last=False)
        return found


PARSED_CAPACITY = 32
"""Parsed sources versions kept per process (the least recently used goes first)."""
_PARSED: OrderedDict[tuple[str, int, str], LoadedSources] = OrderedDict()
_LOCK = threading.Lock()


def newest_sources(uow: UnitOfWork, organisation: str) -> SourcesVersion | None:
    return uow.session.scalars(
        select(SourcesVersion)
        .where(SourcesVersion.organisation == organisation)
        .order_by(SourcesVersion.version.desc())
        .limit(1)
    ).first()


def current_sources(uow: UnitOfWork, organisation: str) -> SourcesVersion:
    row = newest_sources(uow, organisation)
    if row is None:
        raise SourcesNotFound(f"no sources file stored for organisation {organisation!r}")
    return row


def sources_version(uow: UnitOfWork, organisation: str, version: int) -> SourcesVersion:
    """One stored version, the one a piece of evidence cites."""
    row = uow.session.scalars(
        select(SourcesVersion).where(
            SourcesVersion.organisation == organisation, SourcesVersion.version == version
        )
    ).first()
    if row is None:
        raise SourcesNotFound(f"no sources version {version} for organisation {organisation!r}")
    return row


def list_sources_versions(uow: UnitOfWork, organisation: str) -> list[SourcesVersion]:
    """Every stored version, newest first."""
    return list(
        uow.session.scalars(
            select(SourcesVersion)
            .where(SourcesVersion.organisation == organisation)
            .order_by(SourcesVersion.version.desc())
        )
    )
