"""The sources file: binds each register dataset to where an organisation keeps it.

Strict like the register (an unknown key is an error, not a silent no-op). A connection is
named, and its URL comes from a setting or an environment variable (``url_from``), never from
the file. Every field is optional except what a binding cannot work without: its connection,
its table (or file pattern) and its key.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StringConstraints, model_validator

from dataward.register.models.common import Id, Strict, Text

FORMAT_VERSION = 1

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=128)]
"""A column name: a plain SQL identifier, so it never needs quoting tricks."""

TableName = Annotated[
    str,
    StringConstraints(
        pattern=r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$", max_length=257
    ),
]
"""A table, optionally schema-qualified (``schema.table``)."""

SettingName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", max_length=128)]
"""The name of a dataward setting or an environment variable holding a connection URL."""


def _relative(value: str) -> str:
    parts = value.replace("\\", "/").split("/")
    if value.startswith(("/", "\\")) or (len(value) > 1 and value[1] == ":") or ".." in parts:
        raise ValueError("must be relative to the connection's root, without '..'")
    return value


RelativePath = Annotated[
    str, StringConstraints(min_length=1, max_length=1024), AfterValidator(_relative)
]
"""A path or glob pattern relative to a connection's root: no leading ``/``, no ``..``."""

Scalar = str | int | float | bool


class Connection(Strict):
    """A named place data lives: a database, or a folder of files."""

    kind: Literal["sql", "files", "csv", "json"] = Field(
        description="sql: a database reached through SQLAlchemy; csv/json: a folder of "
        "CSV or JSON files; files: a folder of blobs (recordings, photos, scans)."
    )
    url_from: SettingName = Field(
        description="The setting or environment variable holding the URL or folder; the "
        "URL itself never appears in a sources file."
    )
    mode: Literal["read_only", "read_write"] = Field(
        default="read_only",
        description="read_write only where dataward may erase or anonymise (erasure, retention).",
    )
    description: Text | None = None


class Relation(Strict):
    """Follow a column to another table: this row's ``via`` equals that table's ``key``."""

    via: Name = Field(description="The column of this row pointing at the other table.")
    table: TableName
    key: Name = Field(description="The other table's column that ``via`` points at.")
    then: Relation | None = Field(
        default=None, description="Keep following from that table (cases -> debtors)."
    )


class EntityRelation(Relation):
    """A register entity's reference reached through other tables (a recording's visit's
    case): follow the relation; the reference is the last table's ``column`` (default: its
    ``key``)."""

    column: Name | None = Field(
        default=None,
        description="The last table's column holding the reference (default: its key).",
    )


class Related(Strict):
    """A column of a related table whose ``via`` column points at this row's key."""

    table: TableName
    via: Name = Field(description="The related table's column pointing at this row's key.")
    column: Name


class Condition(Strict):
    """True when ``column`` holds one of the listed values."""

    column: Name
    in_: list[Scalar] = Field(alias="in", min_length=1)


class HoldRule(Strict):
    """When a register hold is open on a row: a column is empty, or holds certain values.

    With ``table`` and ``via`` the predicate is read on a related table's rows pointing at
    this row (a complaint open on a case).
    """

    table: TableName | None = None
    via: Name | None = None
    open_when_null: Name | None = None
    open_when: Condition | None = None
    since: Name | None = Field(
        default=None, description="The column holding the date the hold began (for evidence)."
    )

    @model_validator(mode="after")
    def _one_predicate(self) -> HoldRule:
        if (self.open_when_null is None) == (self.open_when is None):
            raise ValueError("give exactly one of open_when_null or open_when")
        if (self.table is None) != (self.via is None):
            raise ValueError("table and via go together (a related table and its column)")
        return self


class FileRef(Strict):
    """Files belonging to a row: a column holding a path, or a folder and a pattern."""

    connection: Id | None = Field(
        default=None,
        description="The files connection whose root holds them (default: the binding's "
        "own connection, when it is a files connection).",
    )
    column: Name | None = Field(default=None, description="The column holding the file's path.")
    folder: RelativePath | None = Field(
        default=None, description="Folder under the connection's root the paths are relative to."
    )
    pattern: RelativePath | None = Field(
        default=None, description="Glob under the folder; {column} placeholders name columns."
    )

    @model_validator(mode="after")
    def _found_somehow(self) -> FileRef:
        if self.column is None and self.pattern is None:
            raise ValueError("give column (a path per row) or pattern (with folder)")
        return self


class Anonymise(Strict):
    anonymise: Id = Field(description="The name of the anonymisation rule to apply.")


class Keep(Strict):
    keep: Text = Field(description="Why this column is kept on erasure.")


Erasure = Literal["delete_row", "set_null"] | Anonymise | Keep


class ColumnInfo(Strict):
    """What one column holds, for access, portability, redaction and erasure."""

    category: Id | None = Field(default=None, description="The register data category.")
    provenance: Literal["provided", "observed", "derived"] | None = Field(
        default=None, description="Provided by the subject, observed, or derived (portability)."
    )
    free_text: bool = Field(default=False, description="Free text: redact third parties.")
    erasure: Erasure | None = Field(
        default=None,
        description="delete_row | set_null | {anonymise: rule} | {keep: reason}.",
    )
    retention: Erasure | None = Field(
        default=None,
        description="What the end of a retention period does to the column, where it differs "
        "from erasure (a column kept on request for legal claims goes when the period ends); "
        "the erasure strategy otherwise.",
    )
    description: Text | None = None


class Binding(Strict):
    """One table (or set of files) holding part of a register dataset."""

    connection: Id = Field(description="The name of a connection of this file.")
    table: TableName | None = Field(default=None, description="For sql connections.")
    pattern: RelativePath | None = Field(
        default=None, description="For csv/json/files connections: a glob under the root."
    )
    key: Name = Field(description="The column identifying a row (or a file).")
    identities: dict[Id, Name | Annotated[list[Name], Field(min_length=1)]] = Field(
        default_factory=dict,
        description="Register identity kind -> the column (or columns) holding it.",
    )
    subject: Relation | None = Field(
        default=None, description="How a row leads to the person, when no identity column does."
    )
    entities: dict[Id, Name | EntityRelation] = Field(
        default_factory=dict,
        description="Register entity id -> the column (or the relation to the column) holding "
        "that entity's reference: the case a legal hold on a case keeps (ERA-02).",
    )
    events: dict[Id, Name | Related] = Field(
        default_factory=dict, description="Register event id -> the column holding its date."
    )
    holds: dict[Id, HoldRule] = Field(
        default_factory=dict, description="Register hold id -> when it is open on a row."
    )
    files: FileRef | None = None
    columns: dict[Name, ColumnInfo] = Field(default_factory=dict)
    description: Text | None = None

    @model_validator(mode="after")
    def _table_or_pattern(self) -> Binding:
        if (self.table is None) == (self.pattern is None):
            raise ValueError("give exactly one of table (sql) or pattern (csv, json, files)")
        # Deleting the row takes every column with it: a column kept beside a deleted row
        # would be a promise the erasure silently breaks, so the two cannot be mixed.
        for when in ("erasure", "retention"):
            strategies = {name: _strategy(info, when) for name, info in self.columns.items()}
            kept = sorted(name for name, how in strategies.items() if isinstance(how, Keep))
            if kept and "delete_row" in strategies.values():
                raise ValueError(
                    f"a row deleted on {when} cannot keep {', '.join(kept)}: give those "
                    "columns' strategy to the others (set_null, anonymise) or keep the whole row"
                )
        return self


def _strategy(info: ColumnInfo, when: str) -> Erasure | None:
    """A column's strategy on erasure, or at the end of a retention period (its own, else
    its erasure one)."""
    if when == "retention" and info.retention is not None:
        return info.retention
    return info.erasure


class SourcesFile(Strict):
    """Top level of a sources file: one organisation's connections and dataset bindings."""

    format_version: Literal[1] = Field(description="Sources file format version.")
    organisation: Id = Field(description="The register's organisation id.")
    connections: dict[Id, Connection] = Field(default_factory=dict)
    datasets: dict[Id, Annotated[list[Binding], Field(min_length=1)]] = Field(
        default_factory=dict,
        description="Register dataset id -> the bindings holding it.",
    )
    searched_by_hand: dict[Id, Text] = Field(
        default_factory=dict,
        description="Register datasets no connection reaches (paper, a SaaS system), with "
        "where to look: each becomes a manual search task on a request.",
    )
    not_in_register: dict[TableName, Text] = Field(
        default_factory=dict,
        description="Tables deliberately left out of the register, with the reason.",
    )


__all__ = [
    "FORMAT_VERSION",
    "Anonymise",
    "Binding",
    "ColumnInfo",
    "Condition",
    "Connection",
    "EntityRelation",
    "Erasure",
    "FileRef",
    "HoldRule",
    "Keep",
    "Related",
    "Relation",
    "SourcesFile",
]
