"""R3 Repairs' operational database: a repairs jobs system (Core tables).

The tables and columns are exactly those ``examples/sources/r3-repairs.yaml`` binds
(customers, jobs and visits, R3 Direct members, web sessions), plus the records of the
register's holds: complaints (on a customer, a job or a membership), prospects of
litigation and restrictions for legal claims. R3 is in Scotland: jobs end and members leave
on days next to Scottish bank holidays, so a period counted in working days crosses them.
The notice gives no period for its rules (a set time, "as long as reasonably necessary"),
so the data has ended services and memberships, live ones, and held ones, and no period is
assumed here. The trigger columns are indexed, as the retention run needs (docs/retention.md),
so the connected sources check of the example passes without advice.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    Date,
    DateTime,
    MetaData,
    String,
    Table,
    Text,
)

from dataward.calendar.working_days import Nation, bank_holidays
from dataward.demo import generators as gen
from dataward.demo.schema import id_column as _id
from dataward.demo.schema import ref_column as _ref

metadata = MetaData()


customers = Table(
    "customers",
    metadata,
    _id(),
    Column("account_id", String(20), unique=True),
    Column("full_name", String(160), nullable=False),
    Column("email", String(254), index=True),
    Column("phone", String(20), index=True),
    Column("address", String(300)),
)
jobs = Table(
    "jobs",
    metadata,
    _id(),
    _ref("customer_id", "customers"),
    Column("property_address", String(300), nullable=False),
    Column("reported_on", Date, nullable=False),
    Column("completed_on", Date, index=True),
    Column("fault", Text, nullable=False),
)
job_visits = Table(
    "job_visits",
    metadata,
    _id(),
    _ref("job_id", "jobs"),
    Column("visited_on", Date, nullable=False),
    Column("engineer", String(120), nullable=False),
    Column("notes", Text),
)
members = Table(
    "members",
    metadata,
    _id(),
    Column("full_name", String(160), nullable=False),
    Column("email", String(254), index=True),
    Column("phone", String(20), index=True),
    Column("joined_on", Date, nullable=False),
    Column("left_on", Date, index=True),
)
web_sessions = Table(
    "web_sessions",
    metadata,
    _id(),
    Column("account_id", String(20), index=True),
    Column("ip_address", String(45), nullable=False),
    Column("seen_at", DateTime, nullable=False),
    Column("path", String(200), nullable=False),
)
complaints = Table(
    "complaints",
    metadata,
    _id(),
    _ref("customer_id", "customers", nullable=True),
    _ref("job_id", "jobs", nullable=True),
    _ref("member_id", "members", nullable=True),
    Column("opened_on", Date, nullable=False),
    Column("closed_on", Date),
    Column("category", String(60), nullable=False),
)
litigation_prospects = Table(
    "litigation_prospects",
    metadata,
    _id(),
    _ref("customer_id", "customers", nullable=True),
    _ref("member_id", "members", nullable=True),
    Column("noted_on", Date, nullable=False),
    Column("closed_on", Date),
)
restrictions = Table(
    "restrictions",
    metadata,
    _id(),
    _ref("customer_id", "customers"),
    Column("requested_on", Date, nullable=False),
    Column("lifted_on", Date),
)

TABLES: tuple[Table, ...] = tuple(metadata.sorted_tables)

FAULTS = (
    "Cracked phone screen",
    "Washing machine not draining",
    "Laptop hinge broken",
    "Fridge not cooling",
    "Oven door seal",
    "Tablet will not charge",
)
NOTES = ("Part ordered.", "Repaired on site.", "Customer not in; card left.", None)
ENGINEERS = ("Engineer A", "Engineer B", "Engineer C", "Engineer D")
CATEGORIES = ("quality of repair", "delay", "billing")
STREETS = ("Court St", "Hardgate", "Market St", "Sidegate", "Newton Port", "Church St")
PATHS = ("/", "/account", "/jobs", "/book", "/direct")


def scottish_only_holidays(today: date) -> list[date]:
    """Scottish bank holidays of the last three years that England does not have."""
    days: set[date] = set()
    for year in range(today.year - 3, today.year + 1):
        days |= bank_holidays(Nation.SCT, year) - bank_holidays(Nation.ENG, year)
    return sorted(d for d in days if d <= today)


def _end_date(rng: random.Random, start: date, today: date, holidays: list[date]) -> date:
    # One end in four falls on the working day before a Scottish-only bank holiday.
    if holidays and rng.random() < 0.25:
        holiday = rng.choice(holidays)
        day = holiday - timedelta(days=1)
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        if day >= start:
            return day
    return gen.date_between(rng, start, today)


def build_repairs(
    conn: Connection, *, people: int, seed: int, today: date, files: object = None
) -> dict[str, int]:
    """Insert R3's rows for ``people`` customers; returns the row count of every table."""
    del files  # R3's sources file binds no files
    rng = random.Random(f"{seed}:r3")
    pools = gen.name_pools(seed)
    holidays = scottish_only_holidays(today)
    taken: set[str] = set()
    rows: dict[str, list[dict[str, Any]]] = {t.name: [] for t in TABLES}

    def add(table: Table, **values: Any) -> int:
        bucket = rows[table.name]
        bucket.append({"id": len(bucket) + 1, **values})
        return len(bucket)

    for number in range(1, people + 1):
        first, last = rng.choice(pools.female_first + pools.male_first), rng.choice(pools.last)
        email = gen.email_address(rng, first, last, taken)
        phone = gen.mobile_number(rng)
        address = (
            f"{rng.randint(1, 80)} {rng.choice(STREETS)}, Haddington {gen.postcode(rng, 'EH', 41)}"
        )
        account = f"ACC-{number:06d}" if rng.random() < 0.7 else None
        customer = add(
            customers,
            account_id=account,
            full_name=f"{first} {last}",
            email=email,
            phone=phone,
            address=address,
        )
        for index in range(rng.randint(1, 3)):
            reported = today - timedelta(days=rng.randint(0, 4 * 365))
            live = index == 0 and number % 4 == 0
            completed = None if live else _end_date(rng, reported, today, holidays)
            job = add(
                jobs,
                customer_id=customer,
                property_address=address,
                reported_on=reported,
                completed_on=completed,
                fault=rng.choice(FAULTS),
            )
            for _ in range(rng.randint(1, 2)):
                add(
                    job_visits,
                    job_id=job,
                    visited_on=gen.date_between(rng, reported, completed or today),
                    engineer=rng.choice(ENGINEERS),
                    notes=rng.choice(NOTES),
                )
            if number % 6 == 0 and index == 0:
                opened = gen.date_between(rng, reported, today)
                add(
                    complaints,
                    customer_id=customer,
                    job_id=job,
                    member_id=None,
                    opened_on=opened,
                    closed_on=None if number % 12 == 0 else min(today, opened + timedelta(days=30)),
                    category=rng.choice(CATEGORIES),
                )
        if number % 9 == 0:
            noted = today - timedelta(days=rng.randint(10, 700))
            add(
                litigation_prospects,
                customer_id=customer,
                member_id=None,
                noted_on=noted,
                closed_on=None if number % 18 == 0 else min(today, noted + timedelta(days=90)),
            )
        if number % 15 == 0:
            add(
                restrictions,
                customer_id=customer,
                requested_on=today - timedelta(days=rng.randint(10, 400)),
                lifted_on=None,
            )
        if account is not None:
            for _ in range(rng.randint(0, 3)):
                seen = today - timedelta(days=rng.randint(0, 400))
                add(
                    web_sessions,
                    account_id=account,
                    ip_address=f"203.0.113.{rng.randint(1, 254)}",
                    seen_at=datetime.combine(seen, time(rng.randint(0, 23), rng.randint(0, 59))),
                    path=rng.choice(PATHS),
                )
        if rng.random() < 0.4:
            _member(rng, add, number, f"{first} {last}", email, phone, today, holidays)
    for _ in range(max(2, people // 5)):  # anonymous visitors lead to no one
        seen = today - timedelta(days=rng.randint(0, 400))
        add(
            web_sessions,
            account_id=None,
            ip_address=f"198.51.100.{rng.randint(1, 254)}",
            seen_at=datetime.combine(seen, time(rng.randint(0, 23), rng.randint(0, 59))),
            path=rng.choice(PATHS),
        )
    for table in TABLES:
        if rows[table.name]:
            conn.execute(table.insert(), rows[table.name])
    return {table.name: len(rows[table.name]) for table in TABLES}


def _member(
    rng: random.Random,
    add: Any,
    number: int,
    name: str,
    email: str,
    phone: str,
    today: date,
    holidays: list[date],
) -> None:
    joined = today - timedelta(days=rng.randint(60, 6 * 365))
    left = _end_date(rng, joined, today, holidays) if number % 2 == 0 else None
    member = add(
        members,
        full_name=name,
        email=email,
        phone=phone if rng.random() < 0.7 else None,
        joined_on=joined,
        left_on=left,
    )
    if left is not None and number % 4 == 0:
        opened = gen.date_between(rng, joined, today)
        add(
            complaints,
            customer_id=None,
            job_id=None,
            member_id=member,
            opened_on=opened,
            closed_on=None if number % 8 == 0 else min(today, opened + timedelta(days=20)),
            category=rng.choice(CATEGORIES),
        )
