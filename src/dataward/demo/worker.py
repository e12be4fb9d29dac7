"""Building the operational database, in this process or in a second one.

The operational data and the subjects' encryption are both CPU-bound Python; with two
processes they overlap (the child re-draws the same people from the seed, which is cheaper
than sending them). The child is started with "spawn", so it shares no connection, lock or
thread with the parent.
"""

from __future__ import annotations

import multiprocessing
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from multiprocessing.connection import Connection
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path

from dataward.db import make_engine
from dataward.demo import schema
from dataward.demo.operational import build_operational
from dataward.demo.people import People, draw_people
from dataward.errors import DatawardError

FILE_FOLDERS = (
    "body_worn_video",
    "call_recordings",
    "vulnerability_evidence",
    "new_occupier_evidence",
)


@dataclass(frozen=True)
class OperationalJob:
    url: str
    seed: int
    subjects: int
    today: date
    files_dir: Path | None


def rebuild(
    job: OperationalJob, people: People, progress: Callable[[int], None] | None = None
) -> dict[str, int]:
    """Drop the demo's tables and files, then build them again for ``people``."""
    engine = make_engine(job.url)
    try:
        schema.metadata.drop_all(engine)
        if job.files_dir is not None:
            for folder in FILE_FOLDERS:  # only what the demo writes: the folder may hold more
                shutil.rmtree(job.files_dir / folder, ignore_errors=True)
        schema.metadata.create_all(engine)
        with engine.begin() as conn:
            return build_operational(
                conn,
                people,
                seed=job.seed,
                today=job.today,
                files=job.files_dir,
                progress=progress,
            )
    finally:
        engine.dispose()


def _child(job: OperationalJob, done: Synchronized[int], results: Connection) -> None:
    def advance(amount: int) -> None:
        with done.get_lock():
            done.value += amount

    try:
        counts = rebuild(job, draw_people(job.seed, job.subjects, job.today), advance)
    except Exception as exc:  # reported to the parent, which raises it
        results.send(("error", f"{type(exc).__name__}: {exc}"))
    else:
        results.send(("ok", counts))
    finally:
        results.close()


class BackgroundBuild:
    """``rebuild`` in a child process; ``poll`` reports progress, ``wait`` the counts."""

    def __init__(self, job: OperationalJob) -> None:
        context = multiprocessing.get_context("spawn")
        self._done: Synchronized[int] = context.Value("q", 0)
        self._reader, writer = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_child, args=(job, self._done, writer), name="dataward-demo-operational"
        )
        self._process.start()
        writer.close()
        self._reported = 0

    def poll(self) -> int:
        """Debtors built since the last call."""
        value = int(self._done.value)
        step, self._reported = value - self._reported, value
        return step

    def wait(self, progress: Callable[[int], None] | None = None) -> dict[str, int]:
        outcome: tuple[str, object] | None = None
        while outcome is None:
            if self._reader.poll(0.2):
                try:
                    outcome = self._reader.recv()
                except EOFError:
                    outcome = ("error", "the operational build stopped without a result")
            elif not self._process.is_alive() and not self._reader.poll(0):
                outcome = ("error", "the operational build stopped without a result")
            if progress is not None:
                progress(self.poll())
        self._process.join()
        kind, value = outcome
        if kind != "ok" or not isinstance(value, dict):
            raise DatawardError(f"building the operational database failed: {value}")
        return {str(k): int(v) for k, v in value.items()}

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()
