"""The indexes dataward's queries need in an organisation's database, advised, never made.

A request finds its subject by identity columns and along ``subject:`` relations; the
retention run (docs/retention.md, "Indexes the run needs") reads each bound table a batch at
a time in key order, counts the rows due by a trigger column, and checks every row's holds
and entities with a correlated look-up on a related table. Each of those filters is an index
look-up, or without an index a scan of the table for every request or for every row checked.

``advice`` reads a binding against the tables a connector described and yields one piece of
advice per column filtered on that no index leads with, with why it is needed. It reports
nothing about columns or tables that do not exist: the check says that already, as errors.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dataward.sources.connectors.base import Description, TableDescription
from dataward.sources.models import Binding, EntityRelation, Relation

PathKey = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class IndexAdvice:
    path: PathKey
    """Where in the sources file the column is named (under the binding's path)."""
    table: str
    columns: tuple[str, ...]
    why: str
    """What filters on it, and what a missing index costs, in one clause."""

    @property
    def message(self) -> str:
        return f"no index on {self.table}.{self.columns[0]}: {self.why}"

    @property
    def statement(self) -> str:
        return index_statement(self.table, self.columns)


def index_statement(table: str, columns: tuple[str, ...]) -> str:
    """The ``CREATE INDEX`` a DBA could run (a name PostgreSQL keeps whole: 63 characters)."""
    name = "ix_" + "_".join((table.replace(".", "_"), *columns))
    return f"CREATE INDEX {name[:63]} ON {table} ({', '.join(columns)});"


def advice(at: PathKey, binding: Binding, description: Description) -> Iterator[IndexAdvice]:
    """Every index a SQL binding's queries would miss, each (table, column) once."""
    table = description.tables.get(binding.table or "")
    if table is None:
        return
    seen: set[tuple[str, str]] = set()
    for found in _wanted(at, binding, table, description):
        marker = (found.table, found.columns[0])
        if marker not in seen:
            seen.add(marker)
            yield found


def _wanted(
    at: PathKey, binding: Binding, table: TableDescription, description: Description
) -> Iterator[IndexAdvice]:
    # Requests: the identity columns and the relation that lead to the subject.
    for kind, columns in binding.identities.items():
        names = (columns,) if isinstance(columns, str) else tuple(columns)
        yield from _missing(
            (*at, "identities", kind),
            table,
            names,
            f"{kind} finds the subject, every request scans {table.name}",
        )
    if binding.subject is not None:
        yield from _subject(at, binding.subject, table, description)
    # The retention run (RET-01, RET-02): batches in key order, triggers, holds, entities.
    yield from _missing(
        (*at, "key"),
        table,
        (binding.key,),
        f"the retention run reads {table.name} a batch at a time in key order, every batch "
        f"scans {table.name}",
    )
    for event, spec in binding.events.items():
        if isinstance(spec, str):
            yield from _missing(
                (*at, "events", event),
                table,
                (spec,),
                f"the trigger {event}: the retention plan counts the rows due by it, every "
                f"plan scans {table.name}",
            )
        else:
            yield from _related(
                (*at, "events", event, "via"),
                description,
                spec.table,
                spec.via,
                f"the trigger {event}",
            )
    for hold, rule in binding.holds.items():
        if rule.table is not None and rule.via is not None:
            yield from _related(
                (*at, "holds", hold, "via"), description, rule.table, rule.via, f"the hold {hold}"
            )
    for entity, reference in binding.entities.items():
        path: PathKey = (*at, "entities", entity)
        if isinstance(reference, EntityRelation):
            yield from _entity(path, entity, reference, description)
        elif binding.holds:
            # A hold bound here keeps the rows of other tables that refer to this entity
            # (a complaint open on a case keeps the case's recordings): each of their rows
            # is matched against this column.
            yield from _missing(
                path,
                table,
                (reference,),
                f"a hold on {entity} bound here is matched by it for every row referring to "
                f"a {entity}, each such row scans {table.name}",
            )


def _subject(
    at: PathKey, first: Relation, table: TableDescription, description: Description
) -> Iterator[IndexAdvice]:
    current: TableDescription | None = table
    path: PathKey = (*at, "subject")
    for relation in _hops(first):
        if current is None:
            return
        yield from _missing(
            (*path, "via"),
            current,
            (relation.via,),
            f"this relation leads to the subject, every request scans {current.name}",
        )
        target = description.tables.get(relation.table)
        if target is not None:
            yield from _missing(
                (*path, "key"),
                target,
                (relation.key,),
                f"this relation's key is looked up, every request scans {target.name}",
            )
        current, path = target, (*path, "then")


def _related(
    path: PathKey, description: Description, name: str, via: str, what: str
) -> Iterator[IndexAdvice]:
    related = description.tables.get(name)
    if related is not None:
        yield from _missing(
            path,
            related,
            (via,),
            f"{what} is read on {related.name} through it, every row the retention run "
            f"checks scans {related.name}",
        )


def _entity(
    at: PathKey, entity: str, first: EntityRelation, description: Description
) -> Iterator[IndexAdvice]:
    path = at
    for relation in _hops(first):
        target = description.tables.get(relation.table)
        if target is None:
            return
        yield from _missing(
            (*path, "key"),
            target,
            (relation.key,),
            f"the {entity} a row belongs to is reached through it, every row the retention "
            f"run checks scans {target.name}",
        )
        path = (*path, "then")


def _hops(first: Relation) -> Iterator[Relation]:
    """A relation's hops, stopping where it comes back to a table (the check reports it)."""
    relation: Relation | None = first
    passed: set[str] = set()
    while relation is not None and relation.table not in passed:
        passed.add(relation.table)
        yield relation
        relation = relation.then


def _missing(
    path: PathKey, table: TableDescription, columns: tuple[str, ...], why: str
) -> Iterator[IndexAdvice]:
    if all(c in table.columns for c in columns) and not table.indexed(columns[0]):
        yield IndexAdvice(path, table.name, columns, why)


__all__ = ["IndexAdvice", "advice", "index_statement"]
