"""What a SQL source's catalogue says, as dataward reads it: type families, schema-qualified
table names, text values coerced to a column's type, and the tables bindings name."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Float, Integer, Numeric, String
from sqlalchemy.sql import ColumnElement
from sqlalchemy.types import TypeEngine

from dataward.sources.connectors.base import TypeFamily
from dataward.sources.models import Binding, Relation


def family_of(column_type: TypeEngine[Any]) -> TypeFamily:
    """The broad kind of a column's type, for comparing keys and checking event dates."""
    if isinstance(column_type, Boolean):
        return "boolean"
    if isinstance(column_type, Integer):
        return "integer"
    if isinstance(column_type, DateTime):
        return "datetime"
    if isinstance(column_type, Date):
        return "date"
    if isinstance(column_type, Numeric | Float):
        return "number"
    if isinstance(column_type, String):
        return "string"
    return "other"


def split_table(table: str) -> tuple[str | None, str]:
    schema, _, name = table.rpartition(".")
    return (schema or None), name


def tables_named(bindings: Iterable[Binding]) -> list[str]:
    """Every table the bindings read: their own, along their relations, entities, events and
    holds; each once, in order."""
    names: list[str] = []
    for binding in bindings:
        if binding.table is not None:
            names.append(binding.table)
        relation, passed = binding.subject, set[str]()
        while relation is not None and relation.table not in passed:
            passed.add(relation.table)  # a loop stops here; the check reports it
            names.append(relation.table)
            relation = relation.then
        for reference in binding.entities.values():
            hop: Relation | None = None if isinstance(reference, str) else reference
            crossed: set[str] = set()
            while hop is not None and hop.table not in crossed:
                crossed.add(hop.table)  # a loop stops here; the check reports it
                names.append(hop.table)
                hop = hop.then
        names.extend(e.table for e in binding.events.values() if not isinstance(e, str))
        names.extend(h.table for h in binding.holds.values() if h.table is not None)
    return list(dict.fromkeys(names))


def coerce(column: ColumnElement[Any], value: Any) -> Any:
    """ISO strings for date columns (identity values arrive as text)."""
    if isinstance(value, str):
        family = family_of(column.type)
        try:
            if family == "date":
                return date.fromisoformat(value)
            if family == "datetime":
                return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value


__all__ = ["coerce", "family_of", "split_table", "tables_named"]
