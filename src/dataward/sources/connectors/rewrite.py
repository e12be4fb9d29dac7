"""Rewriting the organisation's data files safely: a lock beside each, a temporary, a rename.

A CSV or JSON file is never edited in place. Erasure writes the new contents to a temporary
file in the same folder (so the rename cannot cross file systems), flushes it to disk, and
only then swaps it in with ``os.replace``: a reader sees the old file or the new one, never
half of either, and a failure before the swap leaves the original as it was.

Two workers must not rewrite one file at once (the second would overwrite the first's
change with its own copy of the old rows), so each data file has a lock file beside it,
held with ``flock`` for the whole read-rewrite-replace. ``flock`` is released by the
kernel when a process dies, so a crashed worker never leaves a file locked. The lock file
is removed on release; a waiter that locked a lock file just removed tries again.

dataward's own lock and temporary files are named ``.<file>.dataward-lock`` and
``.<file>.dataward-tmp-*``: the connectors' globs skip them (``is_ours``).
"""

from __future__ import annotations

import contextlib
import fcntl
import glob
import os
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO

from dataward.sources.connectors.base import SourceUnavailable

LOCK_SUFFIX = ".dataward-lock"
TEMP_MARK = ".dataward-tmp-"
LOCK_WAIT_SECONDS = 30.0
"""How long a worker waits for another to finish a file before giving up (and retrying later)."""


def is_ours(path: Path) -> bool:
    """A lock or temporary file of dataward's, never a data file."""
    name = path.name
    return name.startswith(".") and (name.endswith(LOCK_SUFFIX) or TEMP_MARK in name)


def lock_path(path: Path) -> Path:
    return path.with_name(f".{path.name}{LOCK_SUFFIX}")


@contextlib.contextmanager
def locked(connection: str, paths: Iterable[Path], *, wait: float | None = None) -> Iterator[None]:
    """Hold every file's lock (taken in sorted order, so two workers cannot deadlock).

    A file another worker holds for longer than ``wait`` seconds (``LOCK_WAIT_SECONDS``
    unless given): ``SourceUnavailable``
    (the executor retries later), with nothing changed.
    """
    held: list[tuple[Path, int]] = []
    try:
        deadline = time.monotonic() + (LOCK_WAIT_SECONDS if wait is None else wait)
        for path in sorted(set(paths)):
            target = lock_path(path)
            held.append((target, _lock(connection, target, deadline)))
        yield
    finally:
        for target, descriptor in reversed(held):
            # Removed while still held: a waiter that opened it finds it gone and retries.
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
            os.close(descriptor)


def _lock(connection: str, target: Path, deadline: float) -> int:
    while True:
        descriptor = os.open(target, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(descriptor)
            if time.monotonic() >= deadline:
                raise SourceUnavailable(
                    f"connection {connection}: another worker is rewriting one of its files"
                ) from None
            time.sleep(0.05)
            continue
        try:
            current = os.stat(target).st_ino == os.fstat(descriptor).st_ino
        except FileNotFoundError:
            current = False
        if current:
            return descriptor
        os.close(descriptor)  # the holder before us removed it: lock the new one


def open_temp(path: Path) -> tuple[Path, IO[str]]:
    """A temporary text file beside ``path``, with its permissions, open for writing."""
    descriptor, name = tempfile.mkstemp(prefix=f".{path.name}{TEMP_MARK}", dir=path.parent)
    os.fchmod(descriptor, stat.S_IMODE(path.stat().st_mode))
    return Path(name), os.fdopen(descriptor, "w", encoding="utf-8", newline="")


def close_temp(handle: IO[str]) -> None:
    """Flush the temporary's contents to disk before it may replace anything."""
    handle.flush()
    os.fsync(handle.fileno())
    handle.close()


def clear_leftovers(path: Path) -> None:
    """Temporaries a crashed rewrite of ``path`` left behind (call holding its lock)."""
    for leftover in path.parent.glob(f".{glob.escape(path.name)}{TEMP_MARK}*"):
        leftover.unlink(missing_ok=True)


def discard(temps: Iterable[Path]) -> None:
    for temp in temps:
        temp.unlink(missing_ok=True)


def replace_all(written: Sequence[tuple[Path, Path]]) -> None:
    """Swap each (temporary, original) in, then make the renames durable.

    Every temporary is complete on disk before the first rename, so the window in which
    some files are new and others old is a handful of renames long.
    """
    for temp, original in written:
        os.replace(temp, original)
    for folder in sorted({original.parent for _, original in written}):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
