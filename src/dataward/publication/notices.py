"""Notice versions: publish on register change, list, compare, record significant changes.

Services never commit; the caller's unit of work does (RULES: NTC-03).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import select

from dataward.audit.service import record
from dataward.logging import get_logger
from dataward.notice.diff import NoticeDiff, diff_registers
from dataward.notice.render import Edition, current_version
from dataward.publication.audit_actions import (
    NOTICE_SIGNIFICANT_CHANGE_RECORDED,
    NOTICE_VERSION_PUBLISHED,
)
from dataward.publication.errors import NoticeVersionNotFound
from dataward.publication.models import NoticeChange, NoticeVersionRow, RegisterVersion
from dataward.publication.parsed import load_version
from dataward.register.loader import LoadedRegister
from dataward.register.models import Register
from dataward.uow import UnitOfWork

log = get_logger(__name__)

_ORDINARY = "Notice first published by dataward"


def notice_hash(register: Register) -> str:
    """Hash of what the notice says: the register without its fact references."""
    body = _without_facts(register.model_dump(mode="json"))
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _without_facts(value: Any) -> Any:
    # Fact references tie elements to a reference notice; readers never see them.
    if isinstance(value, dict):
        return {k: _without_facts(v) for k, v in value.items() if k != "facts"}
    if isinstance(value, list):
        return [_without_facts(v) for v in value]
    return value


def publish_notice_version(
    uow: UnitOfWork, loaded: LoadedRegister, register_version: int, *, actor: str = "system"
) -> NoticeVersionRow:
    """Make ``loaded`` the organisation's current notice, unless the notice is unchanged.

    A changed notice gets the next version number and a summary of what changed; its
    significant changes (NTC-03) are recorded in ``notice_changes`` for the notification
    worker. Both are written to the audit chain.
    """
    register = loaded.register
    organisation = register.organisation
    content_hash = notice_hash(register)
    latest = _latest(uow, organisation)
    if latest is not None and latest.content_hash == content_hash:
        return latest
    diff = None
    if latest is not None:
        diff = diff_registers(register_of(uow, latest), register)
    declared = current_version(register.notice.versions)
    row = NoticeVersionRow(
        organisation=organisation,
        version=(latest.version + 1) if latest else 1,
        register_version=register_version,
        content_hash=content_hash,
        declared_id=declared.id[:100] if declared is not None else "",
        summary=diff.summary() if diff else _ORDINARY,
        published_at=uow.clock.now(),
    )
    uow.session.add(row)
    uow.session.flush()
    record(
        uow,
        actor=actor,
        action=NOTICE_VERSION_PUBLISHED,
        entity_type="notice",
        entity_id=f"{organisation}:{row.version}",
        before=None if latest is None else {"content_hash": latest.content_hash},
        after={"content_hash": content_hash},
        details={
            "organisation": organisation,
            "version": row.version,
            "register_version": register_version,
            "significant_changes": len(diff.significant) if diff else 0,
        },
    )
    if latest is not None and diff is not None and diff.significant:
        _record_significant(uow, diff, latest.version, row.version, actor)
    log.info("notice.published", organisation=organisation, version=row.version)
    return row


def _record_significant(
    uow: UnitOfWork, diff: NoticeDiff, from_version: int, to_version: int, actor: str
) -> NoticeChange:
    change = NoticeChange(
        organisation=diff.organisation,
        from_version=from_version,
        to_version=to_version,
        summary=diff.summary(),
        significant=[c.as_dict() for c in diff.significant],
        recorded_at=uow.clock.now(),
        notified_at=None,
    )
    uow.session.add(change)
    uow.session.flush()
    record(
        uow,
        actor=actor,
        action=NOTICE_SIGNIFICANT_CHANGE_RECORDED,
        entity_type="notice_change",
        entity_id=f"{diff.organisation}:{from_version}-{to_version}",
        after=change.significant,
        details={
            "organisation": diff.organisation,
            "from_version": from_version,
            "to_version": to_version,
            "significant_changes": len(change.significant),
        },
    )
    return change


def _latest(uow: UnitOfWork, organisation: str) -> NoticeVersionRow | None:
    return uow.session.scalars(
        select(NoticeVersionRow)
        .where(NoticeVersionRow.organisation == organisation)
        .order_by(NoticeVersionRow.version.desc())
        .limit(1)
    ).first()


def list_notice_versions(uow: UnitOfWork, organisation: str) -> list[NoticeVersionRow]:
    """Every published version of the organisation's notice, newest first."""
    rows = list(
        uow.session.scalars(
            select(NoticeVersionRow)
            .where(NoticeVersionRow.organisation == organisation)
            .order_by(NoticeVersionRow.version.desc())
        )
    )
    if not rows:
        raise NoticeVersionNotFound(f"no notice is published for organisation {organisation!r}")
    return rows


def get_notice_version(uow: UnitOfWork, organisation: str, version: int) -> NoticeVersionRow:
    row = uow.session.scalars(
        select(NoticeVersionRow).where(
            NoticeVersionRow.organisation == organisation, NoticeVersionRow.version == version
        )
    ).first()
    if row is None:
        known = [r.version for r in _versions_or_empty(uow, organisation)]
        detail = f"versions: {', '.join(map(str, sorted(known)))}" if known else "none published"
        raise NoticeVersionNotFound(
            f"organisation {organisation!r} has no notice version {version}", details=[detail]
        )
    return row


def _versions_or_empty(uow: UnitOfWork, organisation: str) -> list[NoticeVersionRow]:
    try:
        return list_notice_versions(uow, organisation)
    except NoticeVersionNotFound:
        return []


def register_of(uow: UnitOfWork, row: NoticeVersionRow) -> Register:
    """The register a notice version was rendered from (it was valid when stored)."""
    stored = uow.session.scalars(
        select(RegisterVersion).where(
            RegisterVersion.organisation == row.organisation,
            RegisterVersion.version == row.register_version,
        )
    ).one()
    return load_version(stored).register


def edition_of(row: NoticeVersionRow, history_url: str | None = None) -> Edition:
    return Edition(row.version, row.published_at.date(), history_url)


def diff_versions(uow: UnitOfWork, organisation: str, old: int, new: int) -> NoticeDiff:
    """The diff between two published versions; either missing is NoticeVersionNotFound."""
    before = get_notice_version(uow, organisation, old)
    after = get_notice_version(uow, organisation, new)
    return diff_registers(register_of(uow, before), register_of(uow, after))


def pending_changes(uow: UnitOfWork, organisation: str | None = None) -> list[NoticeChange]:
    """Significant changes not yet sent to subjects, oldest first."""
    query = select(NoticeChange).where(NoticeChange.notified_at.is_(None))
    if organisation is not None:
        query = query.where(NoticeChange.organisation == organisation)
    return list(uow.session.scalars(query.order_by(NoticeChange.id)))


def recorded_change(
    uow: UnitOfWork, organisation: str, from_version: int, to_version: int
) -> NoticeChange | None:
    """The significant changes recorded for one step between notice versions, or None."""
    return uow.session.scalars(
        select(NoticeChange).where(
            NoticeChange.organisation == organisation,
            NoticeChange.from_version == from_version,
            NoticeChange.to_version == to_version,
        )
    ).first()
