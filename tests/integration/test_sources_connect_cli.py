"""`dataward sources check --connect` on the sources file the demo agency writes itself."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sources_support import Agency, built_agency, line_of
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from dataward.cli.app import app
from dataward.demo.sources import (
    FILES_DIR_FROM,
    OPERATIONAL_URL_FROM,
    sources_document,
    sources_text,
)
from dataward.register.loader import load_register
from dataward.scratch import scratch_databases

REGISTER = Path(__file__).resolve().parents[2] / "examples" / "jtr-collections.yaml"


@pytest.fixture(scope="module")
def small_agency(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agency]:
    files = tmp_path_factory.mktemp("cli_agency_files")
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('cli_agency') / 'agency.db'}"
        with built_agency(url, files, 80) as built:
            yield built
        return
    admin = os.environ["DATAWARD_TEST_DATABASE_URL"]
    with scratch_databases(admin, "cli_agency") as (url,), built_agency(url, files, 80) as built:
        yield built


def _demo_sources(agency: Agency, path: Path) -> str:
    register = load_register(REGISTER).register
    body = sources_text(
        sources_document(
            organisation=register.organisation,
            files_dir=agency.files,
            register_datasets={d.id for d in register.datasets},
        ),
        operational_url=agency.url,
        files_dir=agency.files,
        seed=18,
        subjects=80,
    )
    path.write_text(body, encoding="utf-8")
    return body


def _run(
    agency: Agency, path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str] | None = None
) -> tuple[int, list[str]]:
    values = (
        env
        if env is not None
        else {
            OPERATIONAL_URL_FROM: agency.url,
            FILES_DIR_FROM: str(agency.files),
        }
    )
    for name in (OPERATIONAL_URL_FROM, FILES_DIR_FROM):
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    result = CliRunner().invoke(
        app, ["sources", "check", str(path), "--register", str(REGISTER), "--connect"]
    )
    return result.exit_code, result.output.splitlines()


def test_the_demos_own_sources_pass_connected(
    small_agency: Agency, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "demo-sources.yaml"
    body = _demo_sources(small_agency, path)
    code, lines = _run(small_agency, path, monkeypatch)
    assert code == 0, lines
    assert not [line for line in lines if ": error: " in line]
    # Ten for requests (identity columns), five for the retention run (trigger columns).
    assert lines[-1].endswith("connected to 2 of 2 sources; 0 problems, 15 warnings"), lines
    # The email column of debtors has no index: the warning and the statement under it.
    at = lines.index(
        next(line for line in lines if "identities.email: no index on debtors.email" in line)
    )
    # The first "email: email" of the file is the debtors' (customers comes first).
    email_line = next(n for n, x in enumerate(body.splitlines(), 1) if "email: email" in x)
    assert line_of(body, "customers:") < email_line < line_of(body, "  cases:")
    assert lines[at].startswith(f"{path}:{email_line}:")
    assert ": warning: datasets.customers[0].identities.email: " in lines[at]
    assert lines[at + 1].strip() == "CREATE INDEX ix_debtors_email ON debtors (email);"
    # The demo leaves its trigger columns unindexed: the retention run's advice (RULES: RET-01).
    at = lines.index(
        next(
            line for line in lines if "events.case_returned: no index on cases.returned_on" in line
        )
    )
    assert ": warning: datasets.cases[0].events.case_returned: " in lines[at]
    assert lines[at + 1].strip() == "CREATE INDEX ix_cases_returned_on ON cases (returned_on);"


def test_a_missing_column_exits_1_at_its_line(
    small_agency: Agency, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "demo-sources.yaml"
    body = _demo_sources(small_agency, path)
    engine = create_engine(small_agency.url)
    try:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE payments RENAME TO payments_old"))
        code, lines = _run(small_agency, path, monkeypatch)
    finally:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE payments_old RENAME TO payments"))
        engine.dispose()
    assert code == 1
    errors = [line for line in lines if ": error: " in line]
    assert errors == [
        f"{path}:{line_of(body, 'table: payments')}:12: error: datasets.payments[0].table: "
        "table payments does not exist in connection demo_operational"
    ]


def test_an_unset_variable_is_named_and_no_url_printed(
    small_agency: Agency, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "demo-sources.yaml"
    _demo_sources(small_agency, path)
    # The header comment of the demo's file names the URL without password; strip it to
    # show that nothing the check prints comes from it.
    body = "\n".join(x for x in path.read_text().splitlines() if not x.startswith("#"))
    path.write_text(body + "\n", encoding="utf-8")
    code, lines = _run(small_agency, path, monkeypatch, {FILES_DIR_FROM: str(small_agency.files)})
    assert code == 1
    assert any(
        f"connections.demo_operational.url_from: connection demo_operational: the environment "
        f"variable {OPERATIONAL_URL_FROM} is not set" in line
        for line in lines
    ), lines
    assert not any("sqlite://" in line or "postgresql" in line for line in lines)
