"""The TPS and CTPS lists: import in streaming batches, screen live calls (MKT-02).

Numbers are kept as HMAC-SHA256 digests under the blind-index key, not as E.164 text.
The lists name people who are not our subjects; screening needs only equality, so a
digest answers every question dataward asks while a copy of the database leaks no
number. The cost is one HMAC per number on import and per screened call (about a
microsecond each); the index key already lives in the key material, so nothing new is
kept secret. Lists are national: one copy serves every organisation.

MKT-02 asks for a copy no older than 28 days: ``screening`` says whether every list that
was imported has an import that recent (by the unit of work's clock), and with no import at
all nobody is screened and no live call is allowed without consent.
"""

from __future__ import annotations

import csv
import re
import uuid
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta

from sqlalchemy import Insert, Table, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from dataward.audit.service import record as audit
from dataward.consent.audit_actions import TPS_IMPORTED
from dataward.consent.errors import TpsImportInvalid
from dataward.consent.lookups import tps_entries
from dataward.consent.models import TpsImport, TpsNumber
from dataward.consent.rules import TpsScreening
from dataward.crypto.cipher import blind_digest
from dataward.crypto.keystore import material_of
from dataward.uow import UnitOfWork

LISTS = ("tps", "ctps")
# MKT-02: screen against a copy of the register no older than 28 days.
MAX_AGE = timedelta(days=28)
MODES = ("replace", "add")
BATCH = 10_000
_NON_DIGITS = re.compile(r"[^0-9]")


def uk_e164(value: str) -> str | None:
    """A UK number in E.164, or None. Fast path for list files (no libphonenumber call):
    national 0XXXXXXXXXX, 44XXXXXXXXXX or +44XXXXXXXXXX, 9 or 10 significant digits."""
    digits = _NON_DIGITS.sub("", value)
    if digits.startswith("0044"):
        digits = digits[4:]
    elif digits.startswith("44") and len(digits) >= 11:
        digits = digits[2:]
    elif digits.startswith("0"):
        digits = digits[1:]
    else:
        return None
    if not 9 <= len(digits) <= 10 or digits.startswith("0"):
        return None
    return "+44" + digits


def tps_digest(index_key: bytes, e164: str) -> str:
    return blind_digest(index_key, "tps", e164)


def _rows(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    for number, row in enumerate(csv.reader(lines), start=1):
        if row and row[0].strip():
            yield number, row[0]


def _insert(uow: UnitOfWork) -> Callable[[], Insert]:
    dialect = uow.session.get_bind().dialect.name
    table = TpsNumber.__table__
    assert isinstance(table, Table)
    if dialect == "postgresql":
        return lambda: postgresql.insert(table).on_conflict_do_nothing()
    return lambda: sqlite.insert(table).on_conflict_do_nothing()


def import_list(
    uow: UnitOfWork,
    list_name: str,
    lines: Iterable[str],
    *,
    mode: str = "replace",
    batch: int = BATCH,
    progress: Callable[[int], None] | None = None,
    actor: str = "system",
) -> TpsImport:
    """Read a CSV (number in the first column; a header line is allowed) in batches.

    ``replace`` swaps the whole list inside the caller's transaction, so screening sees
    the old list until the commit and never a half-loaded one. Any unreadable number
    refuses the whole file with the first line numbers (a corrupt download must not
    silently drop people from the list); the caller's rollback leaves nothing changed.
    """
    if list_name not in LISTS:
        raise TpsImportInvalid(f"list must be one of {', '.join(LISTS)}")
    if mode not in MODES:
        raise TpsImportInvalid(f"mode must be one of {', '.join(MODES)}")
    key = material_of(uow).index_key
    session = uow.session
    if mode == "replace":
        session.execute(delete(TpsNumber).where(TpsNumber.list_name == list_name))
    statement = _insert(uow)
    bad: list[int] = []
    pending: list[dict[str, str]] = []
    count = 0
    for line_no, raw in _rows(lines):
        e164 = uk_e164(raw)
        if e164 is None:
            if line_no == 1 and not any(ch.isdigit() for ch in raw):
                continue  # a header
            bad.append(line_no)
            continue
        pending.append({"digest": tps_digest(key, e164), "list_name": list_name})
        if len(pending) >= batch:
            session.execute(statement(), pending)
            count += len(pending)
            pending = []
            if progress:
                progress(count)
    if bad:
        shown = ", ".join(str(n) for n in bad[:10])
        raise TpsImportInvalid(
            f"{len(bad)} lines hold no UK phone number (lines {shown}); nothing was imported"
        )
    if pending:
        session.execute(statement(), pending)
        count += len(pending)
        if progress:
            progress(count)
    if count == 0:
        raise TpsImportInvalid("the file holds no numbers; nothing was imported")
    row = TpsImport(
        id=str(uuid.uuid4()),
        list_name=list_name,
        mode=mode,
        numbers=count,
        rejected=0,
        imported_at=uow.clock.now(),
    )
    session.add(row)
    session.flush()
    audit(
        uow,
        actor=actor,
        action=TPS_IMPORTED,
        entity_type="tps_list",
        entity_id=list_name,
        details={"list": list_name, "mode": mode, "numbers": count},
    )
    return row


def lists_holding(uow: UnitOfWork, digests: Iterable[str]) -> dict[str, set[str]]:
    """For each digest found, the lists (tps, ctps) that hold it."""
    found: dict[str, set[str]] = {}
    for digest, name in tps_entries(uow.session, set(digests)):
        found.setdefault(digest, set()).add(name)
    return found


def screening(uow: UnitOfWork) -> TpsScreening:
    """Whether live calls may be screened now: each list imported has an import no older
    than 28 days. One small query (a row per list); decisions read it once per chunk."""
    newest = uow.session.execute(
        select(TpsImport.list_name, func.max(TpsImport.imported_at)).group_by(TpsImport.list_name)
    ).all()
    if not newest:
        return TpsScreening(False, "no TPS or CTPS list has been imported to screen against")
    now = uow.clock.now()
    for name, at in sorted(newest):
        age = now - at
        if age > MAX_AGE:
            return TpsScreening(
                False,
                f"the {name.upper()} list was last imported on {at:%Y-%m-%d %H:%M} UTC, "
                f"{age.days} days ago: screening needs a copy no older than 28 days",
            )
    names = [n.upper() for n, _ in sorted(newest)]
    lists = " and ".join(names) + (" lists were" if len(names) > 1 else " list was")
    return TpsScreening(True, f"the {lists} imported within 28 days")
