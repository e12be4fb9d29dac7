"""The demo agency's operational database: its own schema, not dataward's (Core tables).

It stands for the case-management system an enforcement agency already runs; dataward
reaches it only through the dataset map written by ``demo.sources``. Ids are assigned by
the generator, so a seed gives the same rows on SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()


def _id() -> Column[Any]:
    return Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True)


def ref_column(name: str, table: str, *, nullable: bool = False) -> Column[Any]:
    """A foreign key to ``table``'s id; the examples' own operational databases
    (demo/housing.py, demo/repairs.py) use the same key columns as the demo agency's."""
    return Column(
        name,
        BigInteger().with_variant(Integer, "sqlite"),
        ForeignKey(f"{table}.id"),
        index=True,
        nullable=nullable,
    )


def _ref(name: str, table: str) -> Column[Any]:
    return ref_column(name, table, nullable=True)


id_column = _id


def _file_columns(*, emptied: bool = False) -> list[Column[Any]]:
    # Paths are relative to the files folder named in the dataset map. A table whose rows
    # outlive their files (``emptied``: the record that evidence came stays, its scans go)
    # has a path only while the file is there.
    return [
        Column("file_path", String(300), nullable=emptied),
        Column("size_bytes", Integer),
    ]


clients = Table(
    "clients",
    metadata,
    _id(),
    Column("name", String(200), nullable=False),
    Column("kind", String(40), nullable=False),
)

debtors = Table(
    "debtors",
    metadata,
    _id(),
    # Emptied when JTR's six years end: the client's reference finds the customer, and the
    # cases it keyed no longer point at the row (unique allows many empty ones).
    Column("customer_ref", String(20), unique=True),
    Column("title", String(10), nullable=False),
    Column("first_name", String(80), nullable=False),
    Column("middle_name", String(80)),
    Column("last_name", String(80), nullable=False),
    Column("date_of_birth", Date),  # not always known; emptied on erasure
    Column("ni_number", String(9)),
    Column("email", String(254)),
    Column("phone", String(20)),
    Column("address_line1", String(200), nullable=False),
    Column("address_line2", String(200)),
    Column("town", String(80), nullable=False),
    Column("postcode", String(8), nullable=False),
    Column("vulnerable", Boolean, nullable=False),
    Column("created_on", Date, nullable=False),
)

cases = Table(
    "cases",
    metadata,
    _id(),
    Column("case_ref", String(30), nullable=False, unique=True),
    _ref("debtor_id", "debtors"),
    _ref("client_id", "clients"),
    Column("debt_type", String(60), nullable=False),
    Column("amount_pence", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("returned_on", Date),
)

payments = Table(
    "payments",
    metadata,
    _id(),
    _ref("case_id", "cases"),
    Column("paid_on", Date, nullable=False),
    Column("amount_pence", Integer, nullable=False),
    Column("method", String(20), nullable=False),
)

agent_visits = Table(
    "agent_visits",
    metadata,
    _id(),
    _ref("case_id", "cases"),
    Column("visited_at", DateTime, nullable=False),
    Column("agent", String(120), nullable=False),
    Column("outcome", String(60), nullable=False),
)

body_worn_video = Table(
    "body_worn_video",
    metadata,
    _id(),
    _ref("case_id", "cases"),
    _ref("visit_id", "agent_visits"),
    Column("recorded_at", DateTime, nullable=False),
    *_file_columns(),
)

call_recordings = Table(
    "call_recordings",
    metadata,
    _id(),
    _ref("case_id", "cases"),
    Column("recorded_at", DateTime, nullable=False),
    Column("caller_number", String(20), nullable=False),
    Column("direction", String(10), nullable=False),
    Column("duration_seconds", Integer, nullable=False),
    *_file_columns(),
)

vulnerability_evidence = Table(
    "vulnerability_evidence",
    metadata,
    _id(),
    _ref("debtor_id", "debtors"),
    _ref("case_id", "cases"),
    Column("received_on", Date, nullable=False),
    Column("kind", String(60), nullable=False),
    Column("assessed_at", DateTime),
    *_file_columns(),
)

new_occupiers = Table(
    "new_occupiers",
    metadata,
    _id(),
    Column("occupier_ref", String(20), nullable=False, unique=True),
    _ref("case_id", "cases"),
    Column("title", String(10), nullable=False),
    Column("first_name", String(80), nullable=False),
    Column("last_name", String(80), nullable=False),
    Column("email", String(254)),
    Column("phone", String(20)),
    Column("address_line1", String(200), nullable=False),
    Column("address_line2", String(200)),
    Column("town", String(80), nullable=False),
    Column("postcode", String(8), nullable=False),
    Column("reported_on", Date, nullable=False),
)

new_occupier_evidence = Table(
    "new_occupier_evidence",
    metadata,
    _id(),
    _ref("new_occupier_id", "new_occupiers"),
    Column("received_on", Date, nullable=False),
    Column("kind", String(60), nullable=False),
    Column("channel", String(20), nullable=False),
    # JTR deletes the photos and scans 2 working days after the assessment, not the record
    # that they came and were assessed (the assessment points at it).
    *_file_columns(emptied=True),
)

assessments = Table(
    "assessments",
    metadata,
    _id(),
    _ref("evidence_id", "new_occupier_evidence"),
    Column("assessed_at", DateTime, nullable=False),
    Column("assessor", String(120), nullable=False),
    Column("outcome", String(20), nullable=False),
)

complaints = Table(
    "complaints",
    metadata,
    _id(),
    _ref("case_id", "cases"),
    Column("opened_on", Date, nullable=False),
    Column("closed_on", Date),
    Column("category", String(60), nullable=False),
)

investigations = Table(
    "investigations",
    metadata,
    _id(),
    _ref("case_id", "cases"),
    Column("opened_on", Date, nullable=False),
    Column("closed_on", Date),
    Column("reason", String(80), nullable=False),
)

notes = Table(
    "notes",
    metadata,
    _id(),
    _ref("case_id", "cases"),
    Column("written_at", DateTime, nullable=False),
    Column("author", String(120), nullable=False),
    Column("body", Text, nullable=False),
)

# Insert order: every table after the tables it points at.
TABLES: tuple[Table, ...] = tuple(metadata.sorted_tables)
