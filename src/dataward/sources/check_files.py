"""``sources check --connect`` on folders: CSV and JSON files whose columns the sources file
names, files a pattern should match, and the file a row's path column names (a few rows
sampled: a folder named wrongly shows at once). ``check._Checker`` adds the SQL checks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from dataward.sources.check_findings import Finding, Located, PathKey
from dataward.sources.connectors.base import Connector, Description, TableDescription
from dataward.sources.models import Binding, SourcesFile


@dataclass
class FolderChecks:
    """What every check of a binding needs, and the checks of folders and files."""

    located: Located
    sources: SourcesFile
    described: Mapping[str, Description]
    connectors: Mapping[str, Connector]

    def error(self, path: PathKey, message: str) -> Finding:
        return Finding("error", self.located.problem(path, message))

    def _column(
        self, at: PathKey, table: TableDescription, column: str, role: str
    ) -> Iterator[Finding]:
        if column not in table.columns:
            yield self.error(at, f"{role} column {column} does not exist in table {table.name}")

    def _tabular(
        self, at: PathKey, binding: Binding, description: Description
    ) -> Iterator[Finding]:
        assert binding.pattern is not None
        table = description.tables.get(binding.pattern)
        if table is None:
            yield self.error(
                (*at, "pattern"),
                f"pattern {binding.pattern} matches no file in connection {binding.connection}",
            )
            return
        if not table.columns:
            return
        yield from self._column((*at, "key"), table, binding.key, "key")
        for kind, columns in binding.identities.items():
            for name in (columns,) if isinstance(columns, str) else columns:
                yield from self._column(
                    (*at, "identities", kind), table, name, f"identity ({kind})"
                )
        if binding.subject is not None:
            yield from self._column((*at, "subject", "via"), table, binding.subject.via, "relation")
            if binding.subject.then is not None:
                yield self.error(
                    (*at, "subject", "then"), "a file source follows one relation at most"
                )
        for column in binding.columns:
            yield from self._column((*at, "columns", column), table, column, "described")

    def _files(self, at: PathKey, binding: Binding, description: Description) -> Iterator[Finding]:
        if binding.pattern is not None and not description.files:
            yield Finding(
                "warning",
                self.located.problem(
                    (*at, "pattern"), f"pattern {binding.pattern} matches no file yet"
                ),
            )

    def _file_ref(
        self, at: PathKey, binding: Binding, description: Description
    ) -> Iterator[Finding]:
        ref = binding.files
        assert ref is not None
        folder = files_connection(self.sources, binding)
        if folder is None:
            yield self.error(
                (*at, "files"),
                "the files need a files connection for their folder (files.connection)",
            )
        if ref.column is not None and binding.table is not None:
            table = description.tables.get(binding.table)
            if table is not None:
                found = table.columns.get(ref.column)
                if found is None:
                    yield self.error(
                        (*at, "files", "column"),
                        f"file path column {ref.column} does not exist in table {table.name}",
                    )
                elif found.family not in ("string", "other"):
                    yield self.error(
                        (*at, "files", "column"),
                        f"file path column {table.name}.{ref.column} is {found.type_name}, "
                        "not text",
                    )
                else:
                    yield from self._sample_files(at, binding, table, folder)

    def _sample_files(
        self, at: PathKey, binding: Binding, table: TableDescription, folder: str | None
    ) -> Iterator[Finding]:
        """A few rows' files looked for: a folder named wrongly shows at once."""
        ref = binding.files
        rows = self.connectors.get(binding.connection)
        files = self.connectors.get(folder) if folder is not None else None
        if ref is None or ref.column is None or rows is None or files is None:
            return
        sample = getattr(rows, "sample", None)
        exists = getattr(files, "exists", None)
        if sample is None or exists is None:
            return
        values = sample(table.name, ref.column)
        prefix = f"{ref.folder}/" if ref.folder else ""
        missing = sum(1 for value in values if not exists(f"{prefix}{value}"))
        if values and missing == len(values):
            yield self.error(
                (*at, "files"),
                f"none of {len(values)} sampled files of {table.name}.{ref.column} is in "
                f"connection {folder}" + (f" under {ref.folder}/" if ref.folder else ""),
            )
        elif missing:
            yield Finding(
                "warning",
                self.located.problem(
                    (*at, "files"),
                    f"{missing} of {len(values)} sampled files of {table.name}.{ref.column} "
                    f"are missing from connection {folder}",
                ),
            )


def files_connection(sources: SourcesFile, binding: Binding) -> str | None:
    """The files connection holding a binding's files: the one named, or the binding's own."""
    ref = binding.files
    name = ref.connection if ref is not None and ref.connection else binding.connection
    found = sources.connections.get(name)
    return name if found is not None and found.kind == "files" else None
