"""Register service: store loaded registers as versions. Never commits."""

from __future__ import annotations

from sqlalchemy import func, select

from dataward.audit.service import record
from dataward.errors import RegisterNotFound
from dataward.logging import get_logger
from dataward.register.loader import LoadedRegister, parse_register
from dataward.register.tables import RegisterVersion
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
    from dataward.notice.service import publish_notice_version

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
        action="register.version_stored",
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


def load_version(row: RegisterVersion) -> LoadedRegister:
    """Parse a stored version again (it was valid when stored)."""
    return parse_register(row.source_text, row.source_name)


_GROUPS: dict[str, frozenset[str]] = {}


def subject_group_ids(uow: UnitOfWork, organisation: str) -> frozenset[str]:
    """Ids of the subject groups in the organisation's current register (cached by hash)."""
    row = current_version(uow, organisation)
    groups = _GROUPS.get(row.content_hash)
    if groups is None:
        groups = frozenset(g.id for g in load_version(row).register.subject_groups)
        _GROUPS[row.content_hash] = groups
    return groups
