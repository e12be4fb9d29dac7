"""A small agency for the retention tests: the demo agency's schema with explicit dates
(``tests/integration/test_retention_plan.py``'s rows), JTR's register, and the demo's
sources file, optionally with a files folder holding each recording's file.

``terminal_site`` is what the retention commands see from a terminal (a SQLite database of
their own); ``console_with_site`` a console app on the test database with the site stored
(the retention and evidence pages). Tests under ``tests/integration`` put this folder on
``sys.path`` to import it."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi import FastAPI
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from dataward.cli.app import app
from dataward.clock import FixedClock
from dataward.config import get_settings
from dataward.db import make_engine, make_session_factory
from dataward.demo.sources import FILES_DIR_FROM, OPERATIONAL_URL_FROM, sources_document
from dataward.publication.registers import store_register
from dataward.publication.sources import store_sources
from dataward.register.loader import load_register
from dataward.retention.run import RunStep, run_step
from dataward.sources.connectors import open_all
from dataward.sources.connectors.base import Connector
from dataward.sources.loader import parse_sources
from dataward.sources.versions import current_sources
from dataward.uow import UnitOfWork

sys.path.insert(0, str(Path(__file__).parents[1] / "integration"))
from test_retention_plan import JTR, ORG, _agency
from web_support import fresh_console_app

__all__ = [
    "ORG",
    "Site",
    "build_site",
    "console_with_site",
    "finish",
    "ids",
    "store",
    "terminal_site",
]


@dataclass
class Site:
    url: str
    env: dict[str, str]
    files: Path | None = None


def build_site(folder: Path, *, files: bool = False) -> Site:
    agency = _agency(folder)
    site = Site(agency.url, dict(agency.env))
    if files:
        site.files = folder / "files"
        site.files.mkdir()
        site.env[FILES_DIR_FROM] = str(site.files)
        for table in ("body_worn_video", "call_recordings"):
            give_files(site, table, suffix="mp4", content=b"recording")
    return site


def give_files(
    site: Site, table: str, *, suffix: str, content: bytes, keys: tuple[int, ...] | None = None
) -> None:
    """A file for each row of ``table`` (or for ``keys``) in the site's files folder, its
    path (and, with ``keys``, its size) written on the row."""
    assert site.files is not None
    engine = create_engine(site.url)
    try:
        with engine.begin() as conn:
            found = keys or tuple(k for (k,) in conn.execute(text(f"SELECT id FROM {table}")))
            sized = ", size_bytes = :s" if keys else ""
            for key in found:
                path = f"{table}/{key}.{suffix}"
                conn.execute(
                    text(f"UPDATE {table} SET file_path = :p{sized} WHERE id = :k"),
                    {"p": path, "k": key, "s": len(content)},
                )
                (site.files / table).mkdir(exist_ok=True)
                (site.files / path).write_bytes(content)
    finally:
        engine.dispose()


def store(uow: UnitOfWork, site: Site, register: Path = JTR) -> None:
    loaded = load_register(register)
    store_register(uow, loaded, actor="test")
    document = sources_document(
        organisation=ORG,
        files_dir=site.files,
        register_datasets={d.id for d in loaded.register.datasets},
    )
    text_ = yaml.safe_dump(document, sort_keys=False)
    store_sources(uow, parse_sources(text_, "jtr-sources.yaml"), organisation=ORG, actor="dpo")


def terminal_site(folder: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """A fixture's body: a SQLite dataward database of its own under ``folder``, migrated,
    holding JTR's register and the demo's sources file, with the agency's URL in the
    environment and no other DATAWARD_ setting (what a terminal's command reads)."""
    for name in list(os.environ):
        if name.startswith("DATAWARD_"):
            monkeypatch.delenv(name)
    url = f"sqlite:///{folder / 'dataward.db'}"
    monkeypatch.setenv("DATAWARD_DATABASE_URL", url)
    get_settings.cache_clear()
    upgraded = CliRunner().invoke(app, ["db", "upgrade", "--url", url])
    assert upgraded.exit_code == 0, upgraded.output
    built = build_site(folder)
    monkeypatch.setenv(OPERATIONAL_URL_FROM, built.url)
    engine = make_engine(url)
    with UnitOfWork(make_session_factory(engine)) as uow:
        store(uow, built)
        uow.commit()
    engine.dispose()
    yield built
    get_settings.cache_clear()


def console_with_site(
    database_url: str,
    clock: FixedClock,
    vault: object,
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[FastAPI]:
    """A fixture's body: a console app on the test database (either backend) with the
    site's register and sources stored and the agency's URL in the environment."""
    built = build_site(folder)
    monkeypatch.setenv(OPERATIONAL_URL_FROM, built.url)
    for made in fresh_console_app(database_url, clock, vault):
        with UnitOfWork(made.state.session_factory, clock, made.state.vault) as uow:
            store(uow, built)
            uow.commit()
        yield made


def connectors_of(uow: UnitOfWork, site: Site) -> dict[str, Connector]:
    return open_all(current_sources(uow, ORG).parsed().sources, site.env)


def finish(
    uow: UnitOfWork,
    env: Mapping[str, str],
    *,
    worker: str = "test-worker",
    batch_size: int = 5000,
    limit: int = 200,
) -> list[RunStep]:
    """``run_step`` until the run is finished, committing between steps like the CLI."""
    steps: list[RunStep] = []
    for _ in range(limit):
        step = run_step(uow, ORG, worker=worker, env=env, batch_size=batch_size)
        uow.commit()
        steps.append(step)
        if step.finished:
            return steps
    raise AssertionError("the run did not finish")


def ids(site: Site, table: str) -> set[Any]:
    engine = create_engine(site.url)
    try:
        with engine.connect() as conn:
            return set(conn.execute(text(f"SELECT id FROM {table}")).scalars())
    finally:
        engine.dispose()
