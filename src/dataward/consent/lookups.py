"""What decisions read: people with their records, as plain rows in one query per chunk.

Each query is one statement text joined to a list parameter (``db.values_table``), so a
chunk of a thousand questions and a single question parse the same statement. A person's
consent records, objections and open restrictions come back in the same row as JSON
arrays, so a decision costs one round trip for the facts, not one per table; and nothing
goes through the ORM's identity map: decisions only read, and building ORM objects for
every person of a campaign list cost more than the queries themselves.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Row, TextClause, text
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from dataward.consent.rules import Facts, ObjectionFact, RecordFact, RestrictionFact
from dataward.db import list_param, values_table

# A chain of merges longer than this is a data error; stop following it.
MAX_MERGE_HOPS = 16


@dataclass(frozen=True)
class Person:
    """A subject as a decision needs it, with what is on record for them."""

    id: str
    ref: str
    organisation: str
    key_id: str
    merged_into: str | None
    shredded: bool
    facts: Facts = field(compare=False, repr=False)


# Per dialect: (aggregate of rows, array of values, JSON column as a value).
_JSON_SQL = {
    "postgresql": ("json_agg", "json_build_array", "{}"),
    "sqlite": ("json_group_array", "json_array", "json({})"),
}
_FACTS = (
    "(SELECT {agg}({arr}(r.kind, r.purpose, r.channel, r.ref, r.state, r.changed_at)) "
    "FROM consent_records r WHERE r.subject_id = s.id) AS records, "
    "(SELECT {agg}({arr}(o.ref, o.kind, {channels}, {purposes}, o.outcome)) "
    "FROM objections o WHERE o.subject_id = s.id) AS objections, "
    "(SELECT {agg}({arr}(x.ref, {x_purposes}, x.started_at)) "
    "FROM restrictions x WHERE x.subject_id = s.id AND x.lifted_at IS NULL) AS restrictions"
)
_PERSON = "s.id, s.ref, s.organisation, s.key_id, s.merged_into, s.shredded_at, {facts}"
# ``CROSS JOIN`` makes SQLite walk the list and seek the table for each value (left to
# choose, it may walk a whole index range of the table instead); PostgreSQL reads it as
# a plain join and seeks the same way.
_SQL: dict[str, str] = {
    "people_by_ref": "SELECT {person} FROM {values} CROSS JOIN subjects s WHERE s.ref = v.value",
    # One person (the decision API): a plain equality, whose prepared plan is the index
    # seek, and the newest register version in the same round trip (see policy_for).
    "person_by_ref": (
        "SELECT {person}, "
        "(SELECT r.version FROM register_versions r WHERE r.organisation = :organisation "
        "ORDER BY r.version DESC LIMIT 1) AS register_version, "
        "(SELECT r.content_hash FROM register_versions r WHERE r.organisation = :organisation "
        "ORDER BY r.version DESC LIMIT 1) AS register_hash "
        "FROM subjects s WHERE s.ref = :value"
    ),
    "people_by_id": "SELECT {person} FROM {values} CROSS JOIN subjects s WHERE s.id = v.value",
    # The organisation is checked by the caller, not in SQL: with it in the WHERE clause
    # SQLite walks every subject of the organisation instead of seeking the identities.
    "people_by_identity": (
        "SELECT i.id AS identity_id, {person} FROM {values} "
        "CROSS JOIN subject_identities i JOIN subjects s ON s.id = i.subject_id "
        "WHERE i.id = v.value"
    ),
    # The index is (organisation, kind, digest): naming the kind keeps this a seek.
    "index_entries": (
        "SELECT b.identity_id, b.digest FROM {values} CROSS JOIN blind_index b "
        "WHERE b.organisation = :organisation AND b.kind = :kind AND b.digest = v.value"
    ),
    "tps_entries": (
        "SELECT t.digest, t.list_name FROM {values} CROSS JOIN tps_numbers t "
        "WHERE t.digest = v.value"
    ),
}
_STATEMENTS: dict[tuple[str, str], TextClause] = {}


def _statement(dialect: str, name: str) -> TextClause:
    found = _STATEMENTS.get((dialect, name))
    if found is None:
        agg, arr, as_json = _JSON_SQL.get(dialect, _JSON_SQL["sqlite"])
        facts = _FACTS.format(
            agg=agg,
            arr=arr,
            channels=as_json.format("o.channels"),
            purposes=as_json.format("o.purposes"),
            x_purposes=as_json.format("x.purposes"),
        )
        person = _PERSON.format(facts=facts)
        sql = _SQL[name].format(person=person, values=values_table(dialect, "values"))
        # No result types: the JSON arrays are decoded in ``_person`` (psycopg already
        # decodes json), which costs less than SQLAlchemy's processing of every row.
        found = text(sql)
        _STATEMENTS[(dialect, name)] = found
    return found


def _rows(
    session: Session, name: str, values: Collection[str], **params: str
) -> Iterable[Row[Any]]:
    if not values:
        return []
    dialect = session.get_bind().dialect.name
    bound = {"values": list_param(values), **params}
    # One fetch of the whole result: iterating row by row costs a driver call per row.
    return session.execute(_statement(dialect, name), bound).all()


def _array(value: str | list[Any] | None) -> list[Any]:
    """A JSON array column: decoded by psycopg already, text from SQLite, NULL for none."""
    if value is None or value == "[]":
        return []
    return json.loads(value) if isinstance(value, str) else value


def _instant(value: str) -> datetime:
    """A time from the JSON arrays: ISO with an offset (PostgreSQL) or naive UTC (SQLite)."""
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _person(row: Row[Any] | tuple[Any, ...]) -> Person:
    sid, ref, organisation, key_id, merged_into, shredded_at, records, objections, held = row
    facts = Facts(subject_ref=ref)
    # PostgreSQL's json_agg gives NULL for no rows, SQLite's json_group_array "[]" (text).
    for kind, purpose, channel, record_ref, state, changed_at in _array(records):
        facts.records[(kind, purpose, channel)] = RecordFact(
            record_ref, state, _instant(changed_at)
        )
    for objection_ref, kind, channels, purposes, outcome in _array(objections):
        facts.objections.append(
            ObjectionFact(objection_ref, kind, tuple(channels), tuple(purposes), outcome)
        )
    for restriction_ref, purposes, started_at in _array(held):
        facts.restrictions.append(
            RestrictionFact(restriction_ref, tuple(purposes), _instant(started_at))
        )
    return Person(sid, ref, organisation, key_id, merged_into, shredded_at is not None, facts)


def people_by_ref(session: Session, organisation: str, refs: Collection[str]) -> dict[str, Person]:
    """Subjects of ``organisation`` by their refs (shredded ones included: callers say why)."""
    found = (_person(row) for row in _rows(session, "people_by_ref", refs))
    return {p.ref: p for p in found if p.organisation == organisation}


def person_and_register(
    session: Session, organisation: str, ref: str
) -> tuple[dict[str, Person], tuple[int, str] | None]:
    """One subject by ref, and the newest register's (version, content hash) when found."""
    dialect = session.get_bind().dialect.name
    row = session.execute(
        _statement(dialect, "person_by_ref"), {"value": ref, "organisation": organisation}
    ).first()
    return person_and_register_from(row, organisation)


def person_by_ref_sql(dialect: Dialect) -> str:
    """``person_and_register``'s statement as the driver takes it, for a caller that runs
    it on a connection of its own (the decision API's reads on the event loop)."""
    found = _DRIVER_SQL.get(dialect.name)
    if found is None:
        found = _DRIVER_SQL[dialect.name] = str(
            _statement(dialect.name, "person_by_ref").compile(dialect=dialect)
        )
    return found


_DRIVER_SQL: dict[str, str] = {}


def person_and_register_from(
    row: Row[Any] | tuple[Any, ...] | None, organisation: str
) -> tuple[dict[str, Person], tuple[int, str] | None]:
    """What ``person_and_register`` makes of the statement's row."""
    if row is None:
        return {}, None
    person = _person(tuple(row[:-2]))
    newest = (row[-2], row[-1]) if row[-2] is not None else None
    if person.organisation != organisation:
        return {}, newest
    return {person.ref: person}, newest


def people_by_identity(
    session: Session, organisation: str, identity_ids: Collection[str]
) -> dict[str, Person]:
    """identity id -> the person holding it, for identities of ``organisation``."""
    found: dict[str, Person] = {}
    for row in _rows(session, "people_by_identity", identity_ids):
        person = _person(tuple(row[1:]))
        if person.organisation == organisation:
            found[row[0]] = person
    return found


def survivors(session: Session, people: Iterable[Person]) -> dict[str, Person]:
    """person id -> the person its merges lead to (itself when never merged)."""
    wanted = list(people)
    known = {p.id: p for p in wanted}
    for _ in range(MAX_MERGE_HOPS):
        missing = {
            p.merged_into for p in known.values() if p.merged_into and p.merged_into not in known
        }
        if not missing:
            break
        known.update((p.id, p) for p in map(_person, _rows(session, "people_by_id", missing)))
    out: dict[str, Person] = {}
    for person in wanted:
        seen = {person.id}
        current = person
        while current.merged_into in known and current.merged_into not in seen:
            current = known[current.merged_into]
            seen.add(current.id)
        out[person.id] = current
    return out


def index_entries(
    keys: Session, organisation: str, kind: str, digests: Collection[str]
) -> Iterable[tuple[str, str]]:
    """(identity id, digest) for the blind-index digests of one kind that are on record."""
    rows = _rows(keys, "index_entries", digests, organisation=organisation, kind=kind)
    return ((identity_id, digest) for identity_id, digest in rows)


def tps_entries(session: Session, digests: Collection[str]) -> Iterable[tuple[str, str]]:
    """(digest, list name) for the number digests on the TPS or CTPS list."""
    return ((digest, name) for digest, name in _rows(session, "tps_entries", digests))
