"""Alembic migrations and the SQLAlchemy models describe the same schema, on both backends."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from dataward.db import Base, make_engine
from dataward.models import import_all_models


def test_the_migrations_match_the_models(database_url: str) -> None:
    import_all_models()
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    finally:
        engine.dispose()
    assert diff == []
