"""`make run` on a fresh clone: local keys and the demo agency are made on first start only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from dataward.config import get_settings
from dataward.uow import UnitOfWork
from dataward.web import serve

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def first_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str
) -> Iterator[Path]:
    for name in ("DATAWARD_KEK", "DATAWARD_BLIND_INDEX_KEY", "DATAWARD_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATAWARD_DATABASE_URL", database_url)
    monkeypatch.setenv("DATAWARD_KEYSTORE_URL", f"sqlite:///{tmp_path / 'keys.db'}")
    monkeypatch.setenv("DATAWARD_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DATAWARD_EXAMPLES_DIR", str(EXAMPLES))
    monkeypatch.setenv("DATAWARD_DEMO_SUBJECTS", "40")
    get_settings.cache_clear()
    yield tmp_path / "var"
    get_settings.cache_clear()


def _count(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()


def _column(url: str, query: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [str(value) for value in conn.execute(text(query)).scalars()]
    finally:
        engine.dispose()


def test_it_builds_the_demo_agency_on_first_start_only(
    first_start: Path,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    uow: UnitOfWork,  # its teardown empties the shared test database again
) -> None:
    from dataward.localkeys import ensure_local_keys
    from dataward.migrate import upgrade

    assert ensure_local_keys() == first_start / "local-keys.env"
    upgrade(database_url)
    serve.ensure_demo(get_settings())
    subjects = _count(database_url, "subjects")
    assert subjects == 40
    operational = f"sqlite:///{first_start / 'demo-operational.db'}"
    assert _count(operational, "debtors") > 0
    assert "Demo agency ready: 40 subjects of jtr_collections" in capsys.readouterr().err
    # The demo complaint's hold sits on a real case of the agency, read where `make run`
    # put its database (no DATAWARD_DEMO_OPERATIONAL_URL set).
    (held,) = _column(database_url, "SELECT case_ref FROM legal_holds")
    assert held in _column(operational, "SELECT case_ref FROM cases")
    # Its sources file is written and stored as the demo organisation's version 1.
    assert (first_start / "demo-sources.yaml").is_file()
    assert _count(database_url, "source_versions") == 1
    serve.ensure_demo(get_settings())  # a second start leaves it as it is
    assert _count(database_url, "subjects") == subjects
    assert _count(database_url, "source_versions") == 1
    assert "building the demo agency" not in capsys.readouterr().err


def test_the_demo_database_and_files_come_from_their_settings(
    first_start: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    uow: UnitOfWork,
) -> None:
    from dataward.localkeys import ensure_local_keys
    from dataward.migrate import upgrade

    elsewhere = first_start.parent / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.setenv("DATAWARD_DEMO_OPERATIONAL_URL", f"sqlite:///{elsewhere / 'ops.db'}")
    monkeypatch.setenv("DATAWARD_DEMO_FILES_DIR", str(elsewhere / "files"))
    get_settings.cache_clear()
    ensure_local_keys()
    upgrade(database_url)
    serve.ensure_demo(get_settings())

    assert _count(f"sqlite:///{elsewhere / 'ops.db'}", "debtors") > 0
    assert (elsewhere / "files").is_dir()
    assert not (first_start / "demo-operational.db").exists()
    header = (first_start / "demo-sources.yaml").read_text(encoding="utf-8")
    assert f"# DATAWARD_DEMO_FILES_DIR={elsewhere / 'files'}" in header
