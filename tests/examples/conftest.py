"""Fixtures of the examples' tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from retention_support import source_database


@pytest.fixture
def source_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """The example organisation's own database, on the same kind of server as dataward's."""
    with source_database(backend, tmp_path, os.environ.get("DATAWARD_TEST_DATABASE_URL")) as url:
        yield url
