"""Files sealed under a data key, written and read as a stream of chunks.

A package of a million rows or a recording of a gigabyte never sits in memory: each chunk
(1 MiB of plaintext) is sealed on its own with AES-GCM, its index and whether it is the last
in the additional data, so a chunk cannot be moved, dropped or the file cut short without
the read failing. Shredding the data key (a subject's) makes every such file unreadable.

Layout: ``MAGIC`` then, per chunk, a 4-byte big-endian length and the sealed chunk.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from dataward.crypto.cipher import open_sealed, seal
from dataward.crypto.errors import DecryptionFailed

MAGIC = b"DWSF1\n"
CHUNK = 1024 * 1024
_LENGTH = struct.Struct(">I")


def _aad(context: str, index: int, last: bool) -> bytes:
    return context.encode("utf-8") + struct.pack(">QB", index, 1 if last else 0)


class SealedWriter:
    """Write plaintext in any pieces; ``close`` seals the last chunk and renames into place.

    The file is written beside its final path and renamed only once complete, so a reader
    (or a worker resuming after a kill) never sees half a file under the final name.
    """

    def __init__(self, path: Path, key: bytes, context: str) -> None:
        self.path = path
        self._key = key
        self._context = context
        self._partial = path.with_name(path.name + ".partial")
        path.parent.mkdir(parents=True, exist_ok=True)
        self._out: BinaryIO = open(self._partial, "wb")  # noqa: SIM115 - closed in close()
        self._out.write(MAGIC)
        self._buffer = bytearray()
        self._index = 0
        self.plain_bytes = 0
        self._closed = False

    def write(self, data: bytes) -> int:
        self._buffer += data
        self.plain_bytes += len(data)
        while len(self._buffer) > CHUNK:
            self._emit(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def _emit(self, chunk: bytes, *, last: bool) -> None:
        sealed = seal(self._key, chunk, _aad(self._context, self._index, last))
        self._out.write(_LENGTH.pack(len(sealed)))
        self._out.write(sealed)
        self._index += 1

    def close(self) -> None:
        if self._closed:
            return
        self._emit(bytes(self._buffer), last=True)
        self._buffer.clear()
        self._out.flush()
        os.fsync(self._out.fileno())
        self._out.close()
        os.replace(self._partial, self.path)
        self._closed = True

    def abandon(self) -> None:
        """Drop what was written (an error half-way): nothing appears under the final name."""
        if self._closed:
            return
        self._out.close()
        self._partial.unlink(missing_ok=True)
        self._closed = True

    def __enter__(self) -> SealedWriter:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self.close()
        else:
            self.abandon()


def read_sealed(path: Path, key: bytes, context: str) -> Iterator[bytes]:
    """The plaintext chunks, in order; ``DecryptionFailed`` on any tampering or truncation."""
    with open(path, "rb") as handle:
        if handle.read(len(MAGIC)) != MAGIC:
            raise DecryptionFailed("not a sealed file")
        index = 0
        pending: bytes | None = None
        while True:
            head = handle.read(_LENGTH.size)
            if not head:
                break
            if len(head) != _LENGTH.size:
                raise DecryptionFailed("sealed file cut short")
            (size,) = _LENGTH.unpack(head)
            body = handle.read(size)
            if len(body) != size:
                raise DecryptionFailed("sealed file cut short")
            if pending is not None:
                yield open_sealed(key, pending, _aad(context, index - 1, False))
            pending = body
            index += 1
        if pending is None:
            raise DecryptionFailed("sealed file has no chunks")
        yield open_sealed(key, pending, _aad(context, index - 1, True))


class SealedReader:
    """A read-only file-like object over a sealed file (for ``zipfile`` and line readers)."""

    def __init__(self, path: Path, key: bytes, context: str) -> None:
        self._chunks = read_sealed(path, key, context)
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._buffer += chunk
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def lines(self) -> Iterator[bytes]:
        """Lines without their ``\\n``, streamed."""
        rest = b""
        for chunk in self._chunks_with_buffer():
            rest += chunk
            *complete, rest = rest.split(b"\n")
            yield from complete
        if rest:
            yield rest

    def _chunks_with_buffer(self) -> Iterator[bytes]:
        if self._buffer:
            buffered, self._buffer = self._buffer, b""
            yield buffered
        yield from self._chunks


__all__ = ["CHUNK", "MAGIC", "SealedReader", "SealedWriter", "read_sealed"]
