"""Shared fixtures: a fresh database per backend (SQLite and PostgreSQL), clocks, paths.

Database tests run once per backend. PostgreSQL comes from ``DATAWARD_TEST_DATABASE_URL``
(``make test`` sets it); each run creates its own database and drops it afterwards, since
the server keeps state between runs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker

from dataward.clock import FixedClock
from dataward.crypto.keystore import KeyBase, Vault
from dataward.crypto.secrets import KeyMaterial
from dataward.db import Base, make_engine, make_session_factory
from dataward.migrate import upgrade
from dataward.models import import_all_models
from dataward.scratch import scratch_databases
from dataward.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
NOTICES = EXAMPLES / "notices"


@pytest.fixture(scope="session", autouse=True)
def hermetic_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Defaults that point into a temporary folder, never at the project's own ./var.

    Tests that need a setting set it themselves; anything that falls back on a default
    (the key store, the main database, local keys, the demo agency) stays out of the way of
    `make run` on the same checkout.
    """
    from dataward.config import get_settings

    state = tmp_path_factory.mktemp("state")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATAWARD_DATABASE_URL", f"sqlite:///{state / 'dataward.db'}")
        patch.setenv("DATAWARD_KEYSTORE_URL", f"sqlite:///{state / 'keys.db'}")
        patch.setenv("DATAWARD_VAR_DIR", str(state / "var"))
        patch.setenv("DATAWARD_DEMO_SUBJECTS", "0")
        get_settings.cache_clear()
        yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def examples_dir() -> Path:
    return EXAMPLES


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))


def _postgres_admin_url() -> str:
    url = os.environ.get("DATAWARD_TEST_DATABASE_URL")
    if not url:
        pytest.fail(
            "DATAWARD_TEST_DATABASE_URL is not set: run the suite with `make test`, or set it "
            "to postgresql+psycopg://postgres@127.0.0.1:5432/test"
        )
    return url


@contextmanager
def _postgres_database(prefix: str) -> Iterator[str]:
    """A database of its own on the test server, dropped afterwards."""
    with scratch_databases(_postgres_admin_url(), prefix) as (url,):
        yield url


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'dataward.db'}"
        upgrade(url)
        yield url
        return
    with _postgres_database("dataward_test") as url:
        upgrade(url)
        yield url


@pytest.fixture(scope="session")
def keystore_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The key store is a separate database from the main one, on the same backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('keys') / 'keys.db'}"
        return
    with _postgres_database("dataward_keys") as url:
        yield url


@pytest.fixture(scope="session")
def key_material() -> KeyMaterial:
    return KeyMaterial("kek-test", os.urandom(32), os.urandom(32))


@pytest.fixture(scope="session")
def vault(keystore_url: str, key_material: KeyMaterial) -> Iterator[Vault]:
    opened = Vault.open(keystore_url, key_material)
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def session_factory(database_url: str) -> Iterator[sessionmaker[Any]]:
    engine = make_engine(database_url)
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def uow(
    session_factory: sessionmaker[Any], clock: FixedClock, vault: Vault
) -> Iterator[UnitOfWork]:
    """A unit of work on a clean database and key store; both are emptied after each test."""
    import_all_models()
    with UnitOfWork(session_factory, clock, vault) as unit:
        yield unit
    with session_factory() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
        session.commit()
    with vault.session() as session:
        for table in reversed(KeyBase.metadata.sorted_tables):
            if table.name != "kek_check":
                session.execute(table.delete())
        session.commit()
