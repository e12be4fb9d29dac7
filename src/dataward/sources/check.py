"""``sources check --connect``: does the organisation's data look the way the file says?

Connects to every connection of a sources file and checks, binding by binding, that each
table, column and relation exists and that types fit (a date column for an event, a key
column comparable to the one its relation points at). Each problem carries the sources
file's ``file:line``. Where a column that requests or the retention run filter on has no
index (``index_advice``), a warning gives the ``CREATE INDEX`` a DBA could run. dataward
never changes the organisation's schema itself; the check only reads the catalogue.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from dataward.sources.check_files import FolderChecks, files_connection
from dataward.sources.check_findings import (
    ConnectedCheck,
    Finding,
    Located,
    PathKey,
    describe_findings,
)
from dataward.sources.connectors import open_connector
from dataward.sources.connectors.base import (
    Connector,
    Description,
    SourceMisfit,
    SourceUnavailable,
    TableDescription,
    TypeFamily,
    lone_weak_kinds,
    relation_chain,
)
from dataward.sources.index_advice import advice
from dataward.sources.models import Binding, EntityRelation, Related

_COMPARABLE: tuple[frozenset[TypeFamily], ...] = (
    frozenset({"integer", "number"}),
    frozenset({"string"}),
    frozenset({"date", "datetime"}),
    frozenset({"boolean"}),
)


def comparable(a: TypeFamily, b: TypeFamily) -> bool:
    if "other" in (a, b):
        return True
    return any(a in group and b in group for group in _COMPARABLE)


def check_connected(
    located: Located,
    connectors: Mapping[str, Connector] | None = None,
    env: Mapping[str, str] | None = None,
) -> ConnectedCheck:
    """Connect (or use ``connectors``) and check every binding against what exists."""
    sources = located.sources
    result = ConnectedCheck()
    opened: dict[str, Connector] = {}
    owned: list[Connector] = []
    for name, connection in sources.connections.items():
        if connectors is not None and name in connectors:
            opened[name] = connectors[name]
            continue
        try:
            connector = open_connector(name, connection, env)
        except (SourceUnavailable, SourceMisfit) as error:
            result.findings.append(
                Finding("error", located.problem(("connections", name, "url_from"), error.message))
            )
            continue
        opened[name] = connector
        owned.append(connector)
    try:
        by_connection: dict[str, list[Binding]] = {}
        for bindings in sources.datasets.values():
            for binding in bindings:
                by_connection.setdefault(binding.connection, []).append(binding)
        described: dict[str, Description] = {}
        for name, connector in opened.items():
            try:
                described[name] = connector.describe(by_connection.get(name, []))
            except (SourceUnavailable, SourceMisfit) as error:
                result.findings.append(
                    Finding(
                        "error", located.problem(("connections", name, "url_from"), error.message)
                    )
                )
                continue
            result.connected.append(name)
        checker = _Checker(located, sources, described, opened)
        for dataset, bindings in sources.datasets.items():
            for index, binding in enumerate(bindings):
                if binding.connection not in described:
                    continue
                result.findings.extend(checker.binding(("datasets", dataset, index), binding))
    finally:
        for connector in owned:
            connector.close()
    result.findings.sort(key=lambda f: (f.problem.line, f.problem.column, f.level))
    return result


@dataclass
class _Checker(FolderChecks):
    """Every binding checked against what its connection describes: SQL here, folders and
    files in ``FolderChecks``."""

    def binding(self, at: PathKey, binding: Binding) -> Iterator[Finding]:
        kind = self.sources.connections[binding.connection].kind
        description = self.described[binding.connection]
        if kind == "sql":
            yield from self._sql(at, binding, description)
        elif kind in ("csv", "json"):
            yield from self._tabular(at, binding, description)
        else:
            yield from self._files(at, binding, description)
        if binding.files is not None:
            yield from self._file_ref(at, binding, description)
        for weak in lone_weak_kinds(binding.identities):
            yield Finding(
                "warning",
                self.located.problem(
                    (*at, "identities", weak),
                    f"{weak} finds a row only together with another identity of the same "
                    f"row, and this binding has none: no row here is found by {weak} (bind "
                    "another identity with it, or one that finds the person alone)",
                ),
            )

    # SQL ------------------------------------------------------------------------------------

    def _table(self, at: PathKey, description: Description, name: str) -> TableDescription | None:
        return description.tables.get(name)

    def _sql(self, at: PathKey, binding: Binding, description: Description) -> Iterator[Finding]:
        assert binding.table is not None
        table = self._table(at, description, binding.table)
        if table is None:
            yield self.error(
                (*at, "table"),
                f"table {binding.table} does not exist in connection {binding.connection}",
            )
            return
        yield from self._column((*at, "key"), table, binding.key, "key")
        for kind, columns in binding.identities.items():
            names = (columns,) if isinstance(columns, str) else tuple(columns)
            for position, name in enumerate(names):
                path = (
                    (*at, "identities", kind)
                    if isinstance(columns, str)
                    else (
                        *at,
                        "identities",
                        kind,
                        position,
                    )
                )
                yield from self._column(path, table, name, f"identity ({kind})")
        yield from self._relation(at, binding, table, description)
        for entity, reference in binding.entities.items():
            yield from self._entity((*at, "entities", entity), table, reference, description)
        for event, spec in binding.events.items():
            yield from self._event((*at, "events", event), table, spec, description)
        for hold, rule in binding.holds.items():
            path = (*at, "holds", hold)
            holder: TableDescription = table
            if rule.table is not None:
                related = description.tables.get(rule.table)
                if related is None:
                    yield self.error((*path, "table"), f"table {rule.table} does not exist")
                    continue
                holder = related
                if rule.via is not None:
                    yield from self._column((*path, "via"), holder, rule.via, "hold relation")
            if rule.open_when_null is not None:
                yield from self._column(
                    (*path, "open_when_null"), holder, rule.open_when_null, "hold"
                )
            if rule.open_when is not None:
                yield from self._column(
                    (*path, "open_when", "column"), holder, rule.open_when.column, "hold"
                )
            since: str | None = getattr(rule, "since", None)
            if since is not None:
                yield from self._date((*path, "since"), holder, since, "hold start")
        for column in binding.columns:
            yield from self._column((*at, "columns", column), table, column, "described")
        # Advice, not errors: what requests and the retention run filter on, unindexed.
        for found in advice(at, binding, description):
            problem = self.located.problem(found.path, found.message)
            yield Finding("warning", problem, found.statement)

    def _relation(
        self, at: PathKey, binding: Binding, table: TableDescription, description: Description
    ) -> Iterator[Finding]:
        if binding.subject is None:
            return
        try:
            chain = relation_chain(binding.subject)
        except SourceMisfit as error:
            yield self.error((*at, "subject"), error.message)
            return
        current = table
        path: PathKey = (*at, "subject")
        for relation in chain:
            target = description.tables.get(relation.table)
            if relation.via not in current.columns:
                yield self.error(
                    (*path, "via"),
                    f"relation column {relation.via} does not exist in table {current.name}",
                )
            if target is None:
                yield self.error(
                    (*path, "table"),
                    f"table {relation.table} does not exist in connection {binding.connection}",
                )
                return
            if relation.key not in target.columns:
                yield self.error(
                    (*path, "key"),
                    f"key column {relation.key} does not exist in table {target.name}",
                )
            if relation.via in current.columns and relation.key in target.columns:
                mine = current.columns[relation.via]
                theirs = target.columns[relation.key]
                if not comparable(mine.family, theirs.family):
                    yield self.error(
                        (*path, "via"),
                        f"{current.name}.{relation.via} ({mine.type_name}) cannot be compared "
                        f"with {target.name}.{relation.key} ({theirs.type_name})",
                    )
            current = target
            path = (*path, "then")

    def _entity(
        self,
        at: PathKey,
        table: TableDescription,
        reference: str | EntityRelation,
        description: Description,
    ) -> Iterator[Finding]:
        """The column holding an entity's reference, on the row or at the relation's end."""
        if isinstance(reference, str):
            yield from self._column(at, table, reference, "entity")
            return
        try:
            chain = relation_chain(reference)
        except SourceMisfit as error:
            yield self.error(at, error.message)
            return
        current, path = table, at
        for relation in chain:
            yield from self._column((*path, "via"), current, relation.via, "entity relation")
            target = description.tables.get(relation.table)
            if target is None:
                yield self.error((*path, "table"), f"table {relation.table} does not exist")
                return
            yield from self._column((*path, "key"), target, relation.key, "entity relation key")
            current, path = target, (*path, "then")
        if reference.column is not None:
            yield from self._column((*at, "column"), current, reference.column, "entity")

    def _date(
        self, at: PathKey, table: TableDescription, column: str, role: str
    ) -> Iterator[Finding]:
        found = table.columns.get(column)
        if found is None:
            yield self.error(at, f"{role} column {column} does not exist in table {table.name}")
        elif found.family not in ("date", "datetime", "other"):
            yield self.error(
                at, f"{role} column {table.name}.{column} is {found.type_name}, not a date"
            )

    def _event(
        self,
        at: PathKey,
        table: TableDescription,
        spec: str | Related,
        description: Description,
    ) -> Iterator[Finding]:
        if isinstance(spec, str):
            yield from self._date(at, table, spec, "event")
            return
        related = description.tables.get(spec.table)
        if related is None:
            yield self.error((*at, "table"), f"table {spec.table} does not exist")
            return
        yield from self._column((*at, "via"), related, spec.via, "event relation")
        yield from self._date((*at, "column"), related, spec.column, "event")


__all__ = [
    "ConnectedCheck",
    "Finding",
    "check_connected",
    "describe_findings",
    "files_connection",
]
