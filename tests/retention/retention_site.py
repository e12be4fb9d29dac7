"""A small agency for the retention run's tests: the demo agency's schema with explicit
dates (``tests/integration/test_retention_plan.py``'s rows), JTR's register, and the
demo's sources file, optionally with a files folder holding each recording's file."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import create_engine, text

from dataward.demo.sources import FILES_DIR_FROM, sources_document
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

__all__ = ["ORG", "Site", "build_site", "finish", "ids", "store"]


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
        engine = create_engine(site.url)
        with engine.begin() as conn:
            for table in ("body_worn_video", "call_recordings"):
                for (key,) in conn.execute(text(f"SELECT id FROM {table}")):
                    path = f"{table}/{key}.mp4"
                    conn.execute(
                        text(f"UPDATE {table} SET file_path = :p WHERE id = :k"),
                        {"p": path, "k": key},
                    )
                    (site.files / table).mkdir(exist_ok=True)
                    (site.files / path).write_bytes(b"recording")
        engine.dispose()
    return site


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
