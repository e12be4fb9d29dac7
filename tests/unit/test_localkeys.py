"""Local key material for `make run` on a fresh clone."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from dataward.config import get_settings
from dataward.crypto.secrets import key_material
from dataward.localkeys import ensure_local_keys


@pytest.fixture
def no_keys(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    monkeypatch.delenv("DATAWARD_KEK", raising=False)
    monkeypatch.delenv("DATAWARD_BLIND_INDEX_KEY", raising=False)
    monkeypatch.delenv("DATAWARD_SECRET_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # no .env from the project is read
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def test_it_makes_keys_once_readable_by_the_owner_only(no_keys: Path) -> None:
    path = ensure_local_keys(no_keys / "var" / "local-keys.env")
    assert path is not None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    first = key_material(get_settings())
    text = path.read_text()
    # A second start reuses the same keys: data encrypted before stays readable.
    ensure_local_keys(path)
    assert path.read_text() == text
    assert key_material(get_settings()).kek == first.kek
    secret = get_settings().secret_key
    assert secret is not None
    assert "DATAWARD_SECRET_KEY=" + secret.get_secret_value() in text


def test_it_leaves_configured_keys_alone(no_keys: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATAWARD_KEK", "A" * 43 + "=")
    monkeypatch.setenv("DATAWARD_BLIND_INDEX_KEY", "B" * 43 + "=")
    monkeypatch.setenv("DATAWARD_SECRET_KEY", "C" * 43 + "=")
    get_settings.cache_clear()
    assert ensure_local_keys(no_keys / "var" / "local-keys.env") is None
    assert not (no_keys / "var").exists()
