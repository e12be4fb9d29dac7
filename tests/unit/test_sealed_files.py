"""Files sealed in chunks under a data key: round trip, tampering, truncation, reordering."""

from __future__ import annotations

from pathlib import Path

import pytest

from dataward.crypto.cipher import new_key
from dataward.crypto.errors import DecryptionFailed
from dataward.crypto.sealed_files import CHUNK, MAGIC, SealedReader, SealedWriter, read_sealed


def _write(path: Path, key: bytes, data: bytes, context: str = "ctx") -> None:
    with SealedWriter(path, key, context) as writer:
        for start in range(0, len(data), 100_000):
            writer.write(data[start : start + 100_000])


@pytest.mark.parametrize("size", [0, 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17])
def test_it_reads_back_what_was_written(tmp_path: Path, size: int) -> None:
    key, data = new_key(), bytes(i % 251 for i in range(size))
    _write(tmp_path / "f", key, data)
    assert b"".join(read_sealed(tmp_path / "f", key, "ctx")) == data
    assert (tmp_path / "f").read_bytes().startswith(MAGIC)
    if size >= 1000:
        assert data[:1000] not in (tmp_path / "f").read_bytes()


def test_it_streams_lines_across_chunk_boundaries(tmp_path: Path) -> None:
    key = new_key()
    lines = [f"row {i} ".encode() * (i % 50 + 1) for i in range(30_000)]
    _write(tmp_path / "f", key, b"\n".join(lines) + b"\n")
    assert list(SealedReader(tmp_path / "f", key, "ctx").lines()) == lines


def test_another_key_or_context_opens_nothing(tmp_path: Path) -> None:
    key = new_key()
    _write(tmp_path / "f", key, b"secret")
    with pytest.raises(DecryptionFailed):
        list(read_sealed(tmp_path / "f", new_key(), "ctx"))
    with pytest.raises(DecryptionFailed):
        list(read_sealed(tmp_path / "f", key, "another package"))


def test_a_file_cut_after_a_chunk_is_refused(tmp_path: Path) -> None:
    key = new_key()
    _write(tmp_path / "f", key, b"x" * (2 * CHUNK + 5))
    whole = (tmp_path / "f").read_bytes()
    first_chunk_end = len(MAGIC) + 4 + int.from_bytes(whole[len(MAGIC) : len(MAGIC) + 4], "big")
    (tmp_path / "cut").write_bytes(whole[:first_chunk_end])
    with pytest.raises(DecryptionFailed):
        list(read_sealed(tmp_path / "cut", key, "ctx"))
    (tmp_path / "torn").write_bytes(whole[:-3])
    with pytest.raises(DecryptionFailed):
        list(read_sealed(tmp_path / "torn", key, "ctx"))


def test_a_failed_write_leaves_no_file_under_its_name(tmp_path: Path) -> None:
    key = new_key()
    _write(tmp_path / "f", key, b"first")

    def half_write() -> None:
        with SealedWriter(tmp_path / "f", key, "ctx") as writer:
            writer.write(b"second, half done")
            raise RuntimeError("source went down")

    with pytest.raises(RuntimeError):
        half_write()
    assert b"".join(read_sealed(tmp_path / "f", key, "ctx")) == b"first"
    assert not (tmp_path / "f.partial").exists()
