"""Johnnie Johnson Housing's operational database: a housing management system (Core tables).

The tables and columns are exactly those ``examples/sources/johnnie-johnson-housing.yaml``
binds (tenants, tenancies, rent, repairs, applications, calls), plus what the register's
retention rules need to be swept: debts and legal matters holding a tenancy, CCTV clips and
the evidence requests keeping them, and the communications team's photographs. Dates are
spread around ``today`` so that every retention rule has rows due, rows not yet due and
(where the rule has holds) rows held. Ids are assigned here: a seed gives the same rows.
The trigger columns are indexed, as the retention run needs (docs/retention.md).
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from dataward.demo import generators as gen
from dataward.demo.operational import HEADERS
from dataward.demo.schema import id_column as _id
from dataward.demo.schema import ref_column as _ref

metadata = MetaData()


tenants = Table(
    "tenants",
    metadata,
    _id(),
    Column("tenant_ref", String(20), nullable=False, unique=True),
    Column("full_name", String(160), nullable=False),
    Column("phone", String(20), index=True),
    Column("date_of_birth", Date),
)
tenancies = Table(
    "tenancies",
    metadata,
    _id(),
    _ref("tenant_id", "tenants"),
    Column("address", String(300), nullable=False),
    Column("started_on", Date, nullable=False),
    Column("ended_on", Date, index=True),
)
rent_transactions = Table(
    "rent_transactions",
    metadata,
    _id(),
    _ref("tenancy_id", "tenancies"),
    Column("posted_on", Date, nullable=False),
    Column("amount_pence", Integer, nullable=False),
)
repairs = Table(
    "repairs",
    metadata,
    _id(),
    _ref("tenancy_id", "tenancies"),
    Column("reported_on", Date, nullable=False),
    Column("description", Text, nullable=False),
)
applications = Table(
    "applications",
    metadata,
    _id(),
    _ref("tenant_id", "tenants", nullable=True),
    Column("applied_on", Date, nullable=False),
    Column("household_size", Integer, nullable=False),
    Column("circumstances", Text),
)
calls = Table(
    "calls",
    metadata,
    _id(),
    Column("caller_number", String(20), nullable=False, index=True),
    Column("called_at", DateTime, nullable=False, index=True),
    Column("recording_path", String(300), nullable=False),
)
# Holds on a tenancy (RET-02): a debt outstanding, another legal matter open.
debts = Table(
    "debts",
    metadata,
    _id(),
    _ref("tenancy_id", "tenancies"),
    Column("raised_on", Date, nullable=False),
    Column("cleared_on", Date),
    Column("amount_pence", Integer, nullable=False),
)
legal_matters = Table(
    "legal_matters",
    metadata,
    _id(),
    _ref("tenancy_id", "tenancies"),
    Column("opened_on", Date, nullable=False),
    Column("closed_on", Date),
    Column("matter", String(80), nullable=False),
)
cctv_clips = Table(
    "cctv_clips",
    metadata,
    _id(),
    Column("site", String(120), nullable=False),
    Column("camera", String(40), nullable=False),
    Column("recorded_at", DateTime, nullable=False, index=True),
    Column("file_path", String(300), nullable=False),
)
cctv_evidence = Table(
    "cctv_evidence",
    metadata,
    _id(),
    _ref("clip_id", "cctv_clips"),
    Column("kept_on", Date, nullable=False),
    Column("released_on", Date),
    Column("reason", String(80), nullable=False),
)
photos = Table(
    "photos",
    metadata,
    _id(),
    Column("subject_name", String(160), nullable=False, index=True),
    Column("taken_on", Date, nullable=False, index=True),
    # The leaflet or publication the photograph was used in (none: not used).
    Column("published_in", String(160)),
    Column("file_path", String(300), nullable=False),
)

TABLES: tuple[Table, ...] = tuple(metadata.sorted_tables)

SCHEMES = ("Elm Court", "Oak House", "Beech Gardens", "Willow Row", "Rowan Lodge", "Ash Mews")
TOWNS = (
    ("WR", "Worcester", 15),
    ("LS", "Leeds", 29),
    ("HD", "Huddersfield", 9),
    ("M", "Manchester", 40),
)
REPAIRS = (
    "Boiler not heating water.",
    "Damp in the back bedroom.",
    "Front door lock sticking.",
    "Leak under the kitchen sink.",
    "Broken window catch in the lounge.",
    "Extractor fan not working.",
)
CIRCUMSTANCES = (
    "Overcrowded in a one-bedroom flat.",
    "Needs ground-floor accommodation.",
    "Moving closer to family.",
    None,
)
MATTERS = ("possession claim", "antisocial behaviour injunction", "disrepair claim")
EVIDENCE = ("police request", "insurance claim", "antisocial behaviour case")
PUBLICATIONS = ("Tenant News spring issue", "Annual report", "Scheme open day leaflet")


def _moment(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(8)) + timedelta(seconds=rng.randrange(10 * 3600))


def _write(files: Path | None, relative: str, kind: str) -> str:
    if files is not None:
        path = files / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(HEADERS[kind])
    return relative


def _years_ago(today: date, years: float) -> date:
    return today - timedelta(days=round(years * 365.25))


def build_housing(
    conn: Connection, *, people: int, seed: int, today: date, files: Path | None
) -> dict[str, int]:
    """Insert JJH's rows for ``people`` tenants; returns the row count of every table."""
    rng = random.Random(f"{seed}:jjh")
    pools = gen.name_pools(seed)
    rows: dict[str, list[dict[str, Any]]] = {t.name: [] for t in TABLES}

    def add(table: Table, **values: Any) -> int:
        bucket = rows[table.name]
        row_id = len(bucket) + 1
        bucket.append({"id": row_id, **values})
        return row_id

    for number in range(1, people + 1):
        phone = gen.mobile_number(rng)
        tenant = add(
            tenants,
            tenant_ref=f"JJH-T-{number:06d}",
            full_name=pools.full_name(rng),
            phone=phone,
            date_of_birth=gen.date_of_birth(rng, today),
        )
        add(
            applications,
            tenant_id=tenant,
            applied_on=_years_ago(today, rng.uniform(1, 15)),
            household_size=rng.randint(1, 6),
            circumstances=rng.choice(CIRCUMSTANCES),
        )
        _tenancies(rng, add, tenant, number, today)
        for _ in range(rng.randint(0, 3)):
            called_at = _moment(rng, today - timedelta(days=rng.randint(0, 400)))
            call = len(rows["calls"]) + 1
            add(
                calls,
                caller_number=phone if rng.random() < 0.8 else gen.mobile_number(rng),
                called_at=called_at,
                recording_path=_write(files, f"calls/{called_at:%Y/%m}/{call:07d}.wav", "wav"),
            )
    # Applicants not (yet) housed: found by hand, never by a tenant.
    for _ in range(max(1, people // 10)):
        add(
            applications,
            tenant_id=None,
            applied_on=today - timedelta(days=rng.randint(0, 400)),
            household_size=rng.randint(1, 6),
            circumstances=rng.choice(CIRCUMSTANCES),
        )
    _cctv(rng, add, rows, people, today, files)
    _photos(rng, add, rows, pools, people, today, files)
    for table in TABLES:
        if rows[table.name]:
            conn.execute(table.insert(), rows[table.name])
    return {table.name: len(rows[table.name]) for table in TABLES}


def _tenancies(rng: random.Random, add: Any, tenant: int, number: int, today: date) -> None:
    # Every third tenant has an old tenancy ended long ago (due unless held), then a
    # current or recently ended one (not yet due).
    area, town, districts = TOWNS[number % len(TOWNS)]
    count = 2 if number % 3 == 0 else 1
    start = _years_ago(today, rng.uniform(8, 20)) if count == 2 else _years_ago(today, 7)
    for index in range(count):
        address = (
            f"{rng.randint(1, 60)} {rng.choice(SCHEMES)}, {town} "
            f"{gen.postcode(rng, area, districts)}"
        )
        last = index == count - 1
        if not last:
            ended: date | None = _years_ago(today, rng.uniform(6.2, 7.5))
        elif number % 2 == 0:
            ended = today - timedelta(days=rng.randint(30, 5 * 365))
        else:
            ended = None
        started = min(start + timedelta(days=rng.randint(0, 400)), ended or today)
        tenancy = add(
            tenancies, tenant_id=tenant, address=address, started_on=started, ended_on=ended
        )
        span_end = ended or today
        for month in range(0, min(24, max(1, (span_end - started).days // 30)), 6):
            add(
                rent_transactions,
                tenancy_id=tenancy,
                posted_on=span_end - timedelta(days=30 * month),
                amount_pence=rng.randint(350, 700) * 100,
            )
        for _ in range(rng.randint(0, 2)):
            add(
                repairs,
                tenancy_id=tenancy,
                reported_on=gen.date_between(rng, started, span_end),
                description=rng.choice(REPAIRS),
            )
        if ended is not None and (number % 5 == 0 or rng.random() < 0.1):
            # Arrears at the end of the tenancy: some still outstanding (a hold), some cleared.
            cleared = ended + timedelta(days=rng.randint(30, 700))
            add(
                debts,
                tenancy_id=tenancy,
                raised_on=ended,
                cleared_on=None if number % 10 == 0 or cleared > today else cleared,
                amount_pence=rng.randint(200, 4000) * 100,
            )
        if ended is not None and number % 7 == 0:
            closed = ended + timedelta(days=rng.randint(60, 500))
            add(
                legal_matters,
                tenancy_id=tenancy,
                opened_on=ended,
                closed_on=None if number % 14 == 0 or closed > today else closed,
                matter=rng.choice(MATTERS),
            )
        start = (ended or today) + timedelta(days=1)


def _cctv(
    rng: random.Random,
    add: Any,
    rows: dict[str, list[dict[str, Any]]],
    people: int,
    today: date,
    files: Path | None,
) -> None:
    # 30 days' retention: clips from the last 90 days, a few kept as evidence.
    for number in range(max(6, people // 2)):
        recorded_at = _moment(rng, today - timedelta(days=rng.randint(0, 90)))
        site = rng.choice(SCHEMES)
        clip = len(rows["cctv_clips"]) + 1
        add(
            cctv_clips,
            site=site,
            camera=f"CAM-{rng.randint(1, 8)}",
            recorded_at=recorded_at,
            file_path=_write(files, f"cctv/{recorded_at:%Y/%m}/{clip:07d}.mp4", "mp4"),
        )
        if number % 8 == 0:
            kept = recorded_at.date() + timedelta(days=rng.randint(1, 10))
            released = kept + timedelta(days=rng.randint(10, 60))
            add(
                cctv_evidence,
                clip_id=clip,
                kept_on=min(kept, today),
                released_on=None if number % 16 == 0 or released > today else released,
                reason=rng.choice(EVIDENCE),
            )


def _photos(
    rng: random.Random,
    add: Any,
    rows: dict[str, list[dict[str, Any]]],
    pools: gen.NamePools,
    people: int,
    today: date,
    files: Path | None,
) -> None:
    # Up to three years: photographs from the last five, some used in a publication.
    for number in range(max(6, people // 4)):
        taken = today - timedelta(days=rng.randint(0, 5 * 365))
        photo = len(rows["photos"]) + 1
        add(
            photos,
            subject_name=pools.full_name(rng),
            taken_on=taken,
            published_in=rng.choice(PUBLICATIONS) if number % 4 == 0 else None,
            file_path=_write(files, f"photos/{taken:%Y}/{photo:07d}.jpg", "jpg"),
        )
