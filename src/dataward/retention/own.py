"""dataward's own data has retention too: the plan and the sweep (RET-01..03, issue 20).

``own_plan`` says per kind (``own_kinds``) what its period makes due today, how many files,
and the next day something falls due; nothing changes. ``sweep_own`` takes one batch per
kind in the caller's transaction and never commits; the caller commits, then removes the
files the sweep names (``remove_swept_files``), and loops while a kind says ``more``.

What a sweep does, per kind: a finished request's data key is destroyed (crypto-shredding:
the requester's details, notes, letters and authority sealed under it become unreadable,
backups included) and its requester column emptied, which marks it done; the row stays
with refs, dates and outcome, so the audit chain, which is never deleted, keeps pointing
at something. Packages are marked deleted (the row keeps counts and a digest) and their
files removed; an outbox message keeps its envelope and loses its sealed body; ID
documents, cookie choices, sessions, tokens and one-time codes are deleted. Each kind that
did something writes one audit entry with counts only.

Both take ``organisation``: an organisation's daily run plans and sweeps its own rows, and
the kinds that belong to no organisation (``OwnKind.of``); ``retention own`` passes None and
takes every organisation's at once.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import and_, delete, func, not_, or_, select, update

from dataward.access.models import DELETED, AccessPackage
from dataward.audit.service import record
from dataward.clock import in_uk_time
from dataward.config import Settings
from dataward.crypto.keyring import shred_keys
from dataward.errors import ConfigurationError
from dataward.outbox.models import OutboxMessage
from dataward.requests.models import RightsRequest
from dataward.retention.audit_actions import OWN_DATA_SWEPT
from dataward.retention.own_kinds import Moment, OwnKind, own_kinds
from dataward.uow import UnitOfWork

# The longest period each unit may be set to: a century, past which dates overflow and no
# DPO could defend the figure anyway.
_LIMITS = {"days": 36_500, "months": 1_200, "years": 100}
# Package ids looked up per statement when matching folders on disk to rows.
_CHUNK = 500


@dataclass(frozen=True)
class Period:
    """A setting's period: ``own_access_package_days = 30`` is 30 days."""

    setting: str
    amount: int

    @property
    def unit(self) -> str:
        return self.setting.rsplit("_", 1)[1]

    @property
    def variable(self) -> str:
        return f"DATAWARD_{self.setting.upper()}"

    def delta(self) -> relativedelta:
        if self.unit == "years":
            return relativedelta(years=self.amount)
        if self.unit == "months":
            return relativedelta(months=self.amount)
        return relativedelta(days=self.amount)

    def words(self) -> str:
        unit = self.unit[:-1] if self.amount == 1 else self.unit
        return f"{self.amount} {unit}"


@dataclass(frozen=True)
class OwnDue:
    """One kind in the plan: its period, cutoff, rows and files due, and what comes next."""

    kind: str
    setting: str
    period: str
    cutoff: date | datetime
    rows_due: int
    files_due: int
    next_due: date | None


@dataclass(frozen=True)
class OwnSwept:
    """One kind's batch: rows swept, files to remove once committed, and whether more is due."""

    kind: str
    rows: int
    files: int
    more: bool
    paths: tuple[Path, ...] = field(default=(), repr=False)


def own_periods(settings: Settings) -> dict[str, Period]:
    """Every own-data period from the settings; a value below 1 (or past a century) is a
    configuration error naming the variable, and nothing is planned or swept."""
    periods: dict[str, Period] = {}
    for kind in own_kinds(timedelta(0)):
        value = getattr(settings, kind.setting)
        period = Period(kind.setting, value)
        limit = _LIMITS[period.unit]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= limit:
            raise ConfigurationError(
                f"{period.variable} must be a whole number of {period.unit} from 1 to "
                f"{limit} (it is {value!r})"
            )
        periods[kind.setting] = period
    return periods


def _moment(uow: UnitOfWork, period: Period) -> Moment:
    now, today = uow.clock.now(), uow.clock.today()
    return Moment(now, today, now - period.delta(), today - period.delta())


def _kinds(settings: Settings) -> list[OwnKind]:
    return own_kinds(timedelta(minutes=settings.session_idle_minutes))


def _as_day(value: date | datetime) -> date:
    return in_uk_time(value).date() if isinstance(value, datetime) else value


def _next_due(
    uow: UnitOfWork, kind: OwnKind, moment: Moment, period: Period, organisation: str | None
) -> date | None:
    """The first day a row not yet due becomes due (rows in use are left out)."""
    days = []
    for event, offset in kind.events():
        first = uow.session.scalar(
            kind.rows(func.min(event)).where(
                kind.of(organisation),
                kind.pending(moment),
                not_(kind.due(moment)),
                event.is_not(None),
            )
        )
        if first is not None:
            days.append(_as_day(first + offset + period.delta()))
    return min(days, default=None)


def own_plan(
    uow: UnitOfWork, settings: Settings, *, organisation: str | None = None
) -> list[OwnDue]:
    """Per kind: the cutoff, rows and files due, the next day something falls due (of
    ``organisation`` and of no organisation; of everyone when None)."""
    periods = own_periods(settings)
    plan = []
    for kind in _kinds(settings):
        period = periods[kind.setting]
        moment = _moment(uow, period)
        due = uow.session.scalar(
            kind.rows(func.count()).where(
                kind.of(organisation), kind.pending(moment), kind.due(moment)
            )
        )
        files = 0
        if kind.model is AccessPackage:
            files = _count_files(
                _package_folders(uow, kind, moment, settings, organisation, due_too=True)
            )
        plan.append(
            OwnDue(
                kind=kind.name,
                setting=period.variable,
                period=period.words(),
                cutoff=kind.cutoff(moment),
                rows_due=int(due or 0),
                files_due=files,
                next_due=_next_due(uow, kind, moment, period, organisation),
            )
        )
    return plan


def sweep_own(
    uow: UnitOfWork,
    settings: Settings,
    *,
    worker: str,
    batch_size: int = 5000,
    only: str | None = None,
    organisation: str | None = None,
) -> list[OwnSwept]:
    """One batch of every kind (or of the kind ``only``: the retention run sweeps a kind a
    step at a time), in the caller's transaction; never commits. With ``organisation``, its
    rows and those of no organisation only (an organisation's run).

    Files are named, not removed: the caller removes them after its commit
    (``remove_swept_files``). Removed first, a rolled-back batch would leave rows that still
    claim files that are gone; removed after, a process killed between the commit and the
    removal leaves folders of packages marked deleted, which the next sweep finds on disk
    and names again, so nothing stays behind for good.
    """
    if batch_size < 1:
        raise ConfigurationError("batch_size must be at least 1")
    periods = own_periods(settings)
    swept = []
    for kind in _kinds(settings):
        if only is not None and kind.name != only:
            continue
        period = periods[kind.setting]
        moment = _moment(uow, period)
        ids = list(
            uow.session.scalars(
                kind.rows(kind.key)
                .where(kind.of(organisation), kind.pending(moment), kind.due(moment))
                .order_by(kind.key)
                .limit(batch_size)
            )
        )
        rows = _act(uow, kind, ids, moment.now) if ids else 0
        paths: list[Path] = []
        if kind.model is AccessPackage:
            paths = _package_folders(uow, kind, moment, settings, organisation, due_too=False)
        done = OwnSwept(kind.name, rows, _count_files(paths), len(ids) >= batch_size, tuple(paths))
        if done.rows or done.files:
            record(
                uow,
                actor=worker,
                action=OWN_DATA_SWEPT,
                entity_type="own_data",
                entity_id=kind.name,
                details={
                    **({"organisation": organisation} if organisation is not None else {}),
                    "kind": kind.name,
                    "rows": done.rows,
                    "files": done.files,
                    "period": period.words(),
                    "cutoff": kind.cutoff(moment).isoformat(),
                    "more": done.more,
                },
            )
        swept.append(done)
    return swept


def remove_swept_files(swept: Iterable[OwnSwept]) -> int:
    """Remove the folders a committed sweep named; how many files they held."""
    removed = 0
    for batch in swept:
        for path in batch.paths:
            removed += _count_files([path])
            shutil.rmtree(path, ignore_errors=True)
    return removed


def _act(uow: UnitOfWork, kind: OwnKind, ids: Sequence[Any], now: datetime) -> int:
    """Sweep the rows ``ids`` of ``kind``; how many changed."""
    quiet = {"synchronize_session": False}
    if kind.model is RightsRequest:
        keys = uow.session.scalars(select(RightsRequest.key_id).where(RightsRequest.id.in_(ids)))
        # The key store commits first (UnitOfWork.commit): a key gone with its request still
        # marked is shredded again, harmlessly, by the next sweep.
        shred_keys(uow, list(keys))
        statement: Any = (
            update(RightsRequest)
            .where(RightsRequest.id.in_(ids), RightsRequest.requester_sealed != b"")
            .values(requester_sealed=b"", updated_at=now)
        )
    elif kind.model is AccessPackage:
        statement = (
            update(AccessPackage)
            .where(AccessPackage.id.in_(ids), AccessPackage.state != DELETED)
            .values(state=DELETED, deleted_at=now, updated_at=now)
        )
    elif kind.model is OutboxMessage:
        statement = (
            update(OutboxMessage)
            .where(OutboxMessage.id.in_(ids), OutboxMessage.sealed != b"")
            .values(sealed=b"")
        )
    else:
        statement = delete(kind.model).where(kind.key.in_(ids))
    result = uow.session.execute(statement, execution_options=quiet)
    return int(getattr(result, "rowcount", 0) or 0)


def packages_root(settings: Settings) -> Path:
    """Where packages live (``access.staging.packages_dir``, from the settings handed in)."""
    return settings.access_packages_dir or settings.var_dir / "packages"


def _package_folders(
    uow: UnitOfWork,
    kind: OwnKind,
    moment: Moment,
    settings: Settings,
    organisation: str | None,
    *,
    due_too: bool,
) -> list[Path]:
    """Folders on disk of packages marked deleted (and, with ``due_too``, of those due), of
    ``organisation`` (a folder per organisation: ``access.staging``) or of every one.

    Read from the disk, not the table: folders are few (the live packages and any left by
    an interrupted sweep), deleted rows are many.
    """
    on_disk: dict[str, Path] = {}
    root = packages_root(settings)
    if root.is_dir():
        for folder in root.iterdir():
            if folder.is_dir() and organisation in (None, folder.name):
                on_disk.update((p.name, p) for p in folder.iterdir() if p.is_dir())
    wanted = AccessPackage.state == DELETED
    if due_too:
        wanted = or_(wanted, and_(kind.pending(moment), kind.due(moment)))
    names = sorted(on_disk)
    found: list[Path] = []
    for start in range(0, len(names), _CHUNK):
        chunk = names[start : start + _CHUNK]
        query = kind.rows(AccessPackage.id).where(
            AccessPackage.id.in_(chunk), kind.of(organisation), wanted
        )
        found.extend(on_disk[i] for i in uow.session.scalars(query))
    return sorted(found)


def _count_files(paths: Iterable[Path]) -> int:
    return sum(1 for path in paths for item in path.rglob("*") if item.is_file())
