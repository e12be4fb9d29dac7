"""Throwaway PostgreSQL databases, for the test suite and the benchmarks.

The test server keeps state between runs, so every run creates databases of its own and
drops them afterwards, even when the run fails half-way.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def scratch_databases(admin_url: str, *prefixes: str) -> Iterator[list[str]]:
    """Create one database per prefix on the server of ``admin_url``; yield their URLs."""
    admin_parsed = make_url(admin_url)
    names = [f"{prefix}_{uuid.uuid4().hex[:12]}" for prefix in prefixes]
    admin = create_engine(admin_parsed, isolation_level="AUTOCOMMIT")
    created: list[str] = []
    try:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
                created.append(name)
        yield [
            admin_parsed.set(database=name).render_as_string(hide_password=False) for name in names
        ]
    finally:
        with admin.connect() as conn:
            for name in created:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
