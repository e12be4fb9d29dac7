"""Strict sources loading: YAML with marks, then pydantic, then checks within the file and
against the register.

Every problem is reported at once as ``FILE:LINE:COL: field.path: message``, with the
register loader's machinery (``dataward.marked_yaml``). Bad input only ever raises
``SourcesInvalid``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import get_args

from dataward.config import get_settings
from dataward.errors import SourceProblem
from dataward.marked_yaml import (
    Mark,
    PathKey,
    dotted,
    nearest_mark,
    read_text,
    validate_marked,
)
from dataward.register.models import Register
from dataward.register.models.retention import Identity
from dataward.sources.connectors.blobs import placeholders
from dataward.sources.errors import SourcesInvalid
from dataward.sources.models import Binding, SourcesFile

_FILE_KINDS = {"csv", "json", "files"}
REGISTER_IDENTITIES = frozenset(get_args(Identity))


@dataclass(frozen=True)
class LoadedSources:
    sources: SourcesFile
    source_text: str
    content_hash: str
    file: str
    marks: dict[PathKey, Mark]

    def line_of(self, path: PathKey) -> Mark:
        return nearest_mark(self.marks, path)

    def problem(self, path: PathKey, message: str) -> SourceProblem:
        line, col = self.line_of(path)
        return SourceProblem(self.file, line, col, dotted(path), message)


@dataclass(frozen=True)
class ByHand:
    """A register dataset no binding reaches: a manual search task on each request."""

    dataset: str
    reason: str


@dataclass(frozen=True)
class RegisterFit:
    """What checking a sources file against its register found."""

    problems: list[SourceProblem]
    bound: list[str]
    by_hand: list[ByHand]


def read_sources_text(path: Path) -> str:
    """Read a sources file with the register's size cap and UTF-8 check."""
    return read_text(path, get_settings().register_max_bytes, SourcesInvalid)


def load_sources(path: Path) -> LoadedSources:
    return parse_sources(read_sources_text(path), str(path))


def parse_sources(text: str, file: str = "<sources>") -> LoadedSources:
    """Parse and check a sources file on its own (no register, no database)."""
    settings = get_settings()
    marked = validate_marked(
        text,
        file,
        SourcesFile,
        max_bytes=settings.register_max_bytes,
        max_nodes=settings.register_max_nodes,
        what="sources file",
        invalid=SourcesInvalid,
    )
    sources, problems = marked.model, marked.problems
    if sources is None:
        _raise(problems)
        raise AssertionError  # unreachable: pydantic failed, so there is a problem
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    loaded = LoadedSources(sources, text, digest, file, marked.marks)
    problems.extend(_internal_problems(loaded))
    _raise(problems)
    return loaded


def _raise(problems: list[SourceProblem]) -> None:
    if problems:
        problems.sort(key=lambda p: (p.line, p.column, p.path))
        raise SourcesInvalid(problems)


def _internal_problems(loaded: LoadedSources) -> list[SourceProblem]:
    """Connections named by bindings exist and fit (a table for sql, a pattern for files)."""
    sources = loaded.sources
    problems: list[SourceProblem] = []
    for dataset, bindings in sources.datasets.items():
        for index, binding in enumerate(bindings):
            at: PathKey = ("datasets", dataset, index)
            connection = sources.connections.get(binding.connection)
            if connection is None:
                known = ", ".join(sorted(sources.connections)) or "none"
                problems.append(
                    loaded.problem(
                        (*at, "connection"),
                        f"unknown connection {binding.connection!r} (connections: {known})",
                    )
                )
                continue
            if connection.kind == "sql" and binding.table is None:
                problems.append(
                    loaded.problem(
                        (*at, "pattern"), "a sql connection is read by table, not by pattern"
                    )
                )
            if connection.kind in _FILE_KINDS and binding.pattern is None:
                problems.append(
                    loaded.problem(
                        (*at, "table"),
                        f"a {connection.kind} connection is read by file pattern, not by table",
                    )
                )
            if connection.kind == "files" and binding.pattern is not None:
                problems.extend(_file_key_problems(loaded, at, binding))
            if binding.files is not None:
                problems.extend(_files_problems(loaded, (*at, "files"), binding, connection.kind))
    for dataset in sources.searched_by_hand:
        if dataset in sources.datasets:
            problems.append(
                loaded.problem(
                    ("searched_by_hand", dataset),
                    "this dataset is also bound under datasets: bound or by hand, not both",
                )
            )
    return problems


def _file_key_problems(loaded: LoadedSources, at: PathKey, binding: Binding) -> list[SourceProblem]:
    """A ``files`` binding's key is ``path``: the connector gives each file a row of its
    ``path``, its ``size`` and the values its pattern's placeholders took, and only the path
    tells one file from another (a person's files share their placeholders)."""
    assert binding.pattern is not None
    names = _placeholders(binding.pattern)
    if names is None:
        return [loaded.problem((*at, "pattern"), UNCLOSED)]
    if binding.key == "path":
        return []
    columns = ["path", "size", *(n for n in names if n not in ("path", "size"))]
    holds = f"{', '.join(columns[:-1])} and {columns[-1]}"
    return [
        loaded.problem(
            (*at, "key"),
            f"a files binding's key must be path, not {binding.key!r}: a file's row holds "
            f"{holds}; only its path tells one file from another",
        )
    ]


UNCLOSED = "a {placeholder} in the pattern is not closed"


def _placeholders(pattern: str) -> list[str] | None:
    """The pattern's ``{placeholders}``; None when one is not closed (``calls/{ref-*``)."""
    try:
        return placeholders(pattern)
    except ValueError:
        return None


def _files_problems(
    loaded: LoadedSources, at: PathKey, binding: Binding, own_kind: str
) -> list[SourceProblem]:
    assert binding.files is not None
    if binding.files.pattern is not None and _placeholders(binding.files.pattern) is None:
        return [loaded.problem((*at, "pattern"), UNCLOSED)]
    name = binding.files.connection
    if name is None:
        if own_kind == "files":
            return []
        return [
            loaded.problem(
                at, "name the files connection whose root holds these files (connection: ...)"
            )
        ]
    connection = loaded.sources.connections.get(name)
    if connection is None:
        return [loaded.problem((*at, "connection"), f"unknown connection {name!r}")]
    if connection.kind != "files":
        return [
            loaded.problem(
                (*at, "connection"), f"{name!r} is a {connection.kind} connection, not files"
            )
        ]
    return []


def check_against_register(loaded: LoadedSources, register: Register) -> RegisterFit:
    """Every id the sources file names is the register's; unbound datasets are by hand.

    Dataset ids exist; identity kinds are register identity kinds and declared on that
    dataset; entity ids, column categories, event ids and hold ids exist in the register. A register
    dataset with no binding is not an error: it is searched by hand on each request.
    """
    sources = loaded.sources
    problems: list[SourceProblem] = []
    if sources.organisation != register.organisation:
        problems.append(
            loaded.problem(
                ("organisation",),
                f"the register is {register.organisation!r}, not {sources.organisation!r}",
            )
        )
    datasets = {d.id: d for d in register.datasets}
    categories = {c.id for c in register.data_categories}
    events = {e.id for e in register.events}
    holds = {h.id for h in register.holds}
    # What one record is, per dataset: the entities a binding may name a reference column of.
    entities = {d.entity for d in register.datasets}
    for dataset_id, bindings in sources.datasets.items():
        dataset = datasets.get(dataset_id)
        if dataset is None:
            problems.append(
                loaded.problem(
                    ("datasets", dataset_id, "__key__"),
                    f"the register has no dataset {dataset_id!r}",
                )
            )
            continue
        declared = {str(kind) for kind in dataset.identities}
        for index, binding in enumerate(bindings):
            problems.extend(
                _binding_problems(
                    loaded,
                    ("datasets", dataset_id, index),
                    binding,
                    declared,
                    categories,
                    events,
                    holds,
                    entities,
                )
            )
    for dataset_id in sources.searched_by_hand:
        if dataset_id not in datasets:
            problems.append(
                loaded.problem(
                    ("searched_by_hand", dataset_id, "__key__"),
                    f"the register has no dataset {dataset_id!r}",
                )
            )
    by_hand = [
        ByHand(d.id, sources.searched_by_hand.get(d.id, "no binding in the sources file"))
        for d in register.datasets
        if d.id not in sources.datasets
    ]
    bound = [d.id for d in register.datasets if d.id in sources.datasets]
    problems.sort(key=lambda p: (p.line, p.column, p.path))
    return RegisterFit(problems, bound, by_hand)


def _binding_problems(
    loaded: LoadedSources,
    at: PathKey,
    binding: Binding,
    declared: set[str],
    categories: set[str],
    events: set[str],
    holds: set[str],
    entities: set[str],
) -> list[SourceProblem]:
    problems: list[SourceProblem] = []
    for entity in binding.entities:
        if entity not in entities:
            known = ", ".join(sorted(entities)) or "none"
            problems.append(
                loaded.problem(
                    (*at, "entities", entity, "__key__"),
                    f"the register has no entity {entity!r} (its datasets' entities: {known})",
                )
            )
    for kind in binding.identities:
        path = (*at, "identities", kind, "__key__")
        if kind not in REGISTER_IDENTITIES:
            problems.append(loaded.problem(path, f"{kind!r} is not a register identity kind"))
        elif kind not in declared:
            listed = ", ".join(sorted(declared)) or "none"
            problems.append(
                loaded.problem(
                    path,
                    f"the register does not declare identity {kind!r} on this dataset "
                    f"(it declares: {listed})",
                )
            )
    for event in binding.events:
        if event not in events:
            problems.append(
                loaded.problem(
                    (*at, "events", event, "__key__"), f"the register has no event {event!r}"
                )
            )
    for hold in binding.holds:
        if hold not in holds:
            problems.append(
                loaded.problem(
                    (*at, "holds", hold, "__key__"), f"the register has no hold {hold!r}"
                )
            )
    for column, info in binding.columns.items():
        if info.category is not None and info.category not in categories:
            problems.append(
                loaded.problem(
                    (*at, "columns", column, "category"),
                    f"the register has no data category {info.category!r}",
                )
            )
    return problems


def require_fit(loaded: LoadedSources, register: Register) -> RegisterFit:
    """``check_against_register``, raising ``SourcesInvalid`` when anything does not fit."""
    fit = check_against_register(loaded, register)
    if fit.problems:
        raise SourcesInvalid(fit.problems)
    return fit
