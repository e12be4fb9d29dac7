"""The examples' sources files (examples/sources/) fit their registers and the small
operational databases the access tests build for them: `register check --sources` passes
with no problem and no missing index."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from access_support import JJH_SOURCES, JJH_URL_FROM, R3_SOURCES, R3_URL_FROM, jjh_housing, r3_jobs
from runs_support import JJH, R3, Example
from typer.testing import CliRunner

from dataward.cli.app import app

CASES = [
    pytest.param(JJH, JJH_SOURCES, JJH_URL_FROM, jjh_housing, 3, 3, id="jjh"),
    pytest.param(R3, R3_SOURCES, R3_URL_FROM, r3_jobs, 4, 2, id="r3"),
]


@pytest.mark.parametrize(("example", "sources", "url_from", "build", "bound", "by_hand"), CASES)
def test_the_sources_file_passes_register_check_against_its_database(
    example: Example,
    sources: Path,
    url_from: str,
    build: Callable[[Path], str],
    bound: int,
    by_hand: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(url_from, build(tmp_path))
    register = str(example.register_path)
    alone = CliRunner().invoke(app, ["register", "check", register])
    result = CliRunner().invoke(app, ["register", "check", register, "--sources", str(sources)])
    lines = result.output.splitlines()
    assert f"{sources}: valid; {bound} datasets bound, {by_hand} searched by hand" in lines
    assert lines[-1] == f"{sources}: connected to 1 of 1 sources; 0 problems, 0 warnings"
    # The register's own lint errors (the examples keep some) set the exit code, nothing else.
    assert result.exit_code == alone.exit_code
    assert result.output.startswith(alone.output)


@pytest.mark.parametrize(("example", "sources", "url_from", "build", "bound", "by_hand"), CASES)
def test_a_table_the_database_lacks_is_a_problem_at_its_line(
    example: Example,
    sources: Path,
    url_from: str,
    build: Callable[[Path], str],
    bound: int,
    by_hand: int,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    del bound, by_hand
    url = build(tmp_path)
    text = sources.read_text(encoding="utf-8")
    # The first bound table of the file, renamed in a copy: the database has no such table.
    line, table = next(
        (n, row.split("table:")[1].strip())
        for n, row in enumerate(text.splitlines(), start=1)
        if row.strip().startswith("table:")
    )
    copy = tmp_path / sources.name
    copy.write_text(text.replace(f"table: {table}\n", f"table: {table}_gone\n", 1), "utf-8")
    monkeypatch.setenv(url_from, url)
    result = CliRunner().invoke(
        app, ["register", "check", str(example.register_path), "--sources", str(copy)]
    )
    assert result.exit_code == 1
    errors = [row for row in result.output.splitlines() if ": error: " in row]
    assert len(errors) == 1
    assert errors[0].startswith(f"{copy}:{line}:")
    assert errors[0].endswith(
        f"table {table}_gone does not exist in connection {_connection(text)}"
    )


def _connection(text: str) -> str:
    return next(
        row.split("connection:")[1].strip()
        for row in text.splitlines()
        if row.strip().startswith("- connection:")
    )
