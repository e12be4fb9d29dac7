"""Stored registers: keep each loaded register as a version, read the current one. Never commits."""

from __future__ import annotations

from sqlalchemy import func, select

from dataward.audit.service import record
from dataward.errors import RegisterNotFound
from dataward.logging import get_logger
from dataward.publication.audit_actions import REGISTER_VERSION_STORED
from dataward.publication.models import RegisterVersion
from dataward.publication.notices import publish_notice_version
from dataward.publication.parsed import derived
from dataward.register.loader import LoadedRegister
from dataward.uow import UnitOfWork

log = get_logger(__name__)


def store_register(
    uow: UnitOfWork, loaded: LoadedRegister, *, actor: str = "system"
) -> RegisterVersion:
    """Record ``loaded`` as the organisation's newest version, unless it is unchanged.

    Loading the same text twice returns the existing version, so ``make run`` can load the
    examples on every start without growing the history. A changed notice becomes a new
    notice version (NTC-03); a database from before notice versions gets its first one
    here too.
    """
    organisation = loaded.register.organisation
    session = uow.session
    latest = session.scalars(
        select(RegisterVersion)
        .where(RegisterVersion.organisation == organisation)
        .order_by(RegisterVersion.version.desc())
        .limit(1)
    ).first()
    if latest is not None and latest.content_hash == loaded.content_hash:
        publish_notice_version(uow, loaded, latest.version, actor=actor)
        return latest
    version = RegisterVersion(
        organisation=organisation,
        version=(latest.version + 1) if latest else 1,
        content_hash=loaded.content_hash,
        source_name=loaded.file[-500:],
        loaded_at=uow.clock.now(),
        source_text=loaded.source_text,
    )
    session.add(version)
    session.flush()
    record(
        uow,
        actor=actor,
        action=REGISTER_VERSION_STORED,
        entity_type="register",
        entity_id=f"{organisation}:{version.version}",
        before=None if latest is None else {"content_hash": latest.content_hash},
        after={"content_hash": loaded.content_hash},
        details={"organisation": organisation, "version": version.version},
    )
    publish_notice_version(uow, loaded, version.version, actor=actor)
    log.info("register.stored", organisation=organisation, version=version.version)
    return version


def list_organisations(uow: UnitOfWork) -> list[RegisterVersion]:
    """The newest version of every organisation, by organisation id."""
    session = uow.session
    newest = (
        select(RegisterVersion.organisation, func.max(RegisterVersion.version).label("v"))
        .group_by(RegisterVersion.organisation)
        .subquery()
    )
    rows = session.scalars(
        select(RegisterVersion)
        .join(
            newest,
            (RegisterVersion.organisation == newest.c.organisation)
            & (RegisterVersion.version == newest.c.v),
        )
        .order_by(RegisterVersion.organisation)
    )
    return list(rows)


def current_version(uow: UnitOfWork, organisation: str) -> RegisterVersion:
    row = uow.session.scalars(
        select(RegisterVersion)
        .where(RegisterVersion.organisation == organisation)
        .order_by(RegisterVersion.version.desc())
        .limit(1)
    ).first()
    if row is None:
        raise RegisterNotFound(f"no register for organisation {organisation!r}")
    return row


def subject_group_ids(uow: UnitOfWork, organisation: str) -> frozenset[str]:
    """Ids of the subject groups in the organisation's current register."""
    row = current_version(uow, organisation)
    return derived(row, "publication.subject_groups", _subject_group_ids)


def _subject_group_ids(loaded: LoadedRegister) -> frozenset[str]:
    return frozenset(g.id for g in loaded.register.subject_groups)
