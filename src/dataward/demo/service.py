"""``create_demo``: build the demo agency and register its people. Never commits.

Order matters: the people are drawn and registered (checked in full) before the operational
database is touched, so a refused registration leaves an existing demo as it was. The
caller's unit of work commits the subjects after the operational database is written.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from dataward.audit.service import record
from dataward.db import make_engine
from dataward.demo import schema
from dataward.demo.audit_actions import DEMO_CREATED
from dataward.demo.errors import DemoExists
from dataward.demo.people import draw_people
from dataward.demo.sources import sources_document, sources_text, write_sources
from dataward.demo.worker import BackgroundBuild, OperationalJob, rebuild
from dataward.errors import RegisterNotFound, ValidationFailed
from dataward.publication.parsed import load_version
from dataward.publication.registers import current_version, store_register
from dataward.publication.sources import store_sources
from dataward.register.loader import load_register
from dataward.register.models import Register
from dataward.sources.loader import parse_sources, require_fit
from dataward.subjects.bulk import CheckedSubjects, check_subjects, write_subjects
from dataward.uow import UnitOfWork

DEFAULT_ORGANISATION = "jtr_collections"
DEFAULT_OPERATIONAL_URL = "sqlite:///var/demo-operational.db"
DEFAULT_FILES_DIR = Path("var/demo-files")
DEFAULT_SOURCES = Path("var/demo-sources.yaml")
PARALLEL_FROM = 5_000  # below this, starting a process costs more than it saves
GROUPS = frozenset({"customers", "new_occupiers"})
MAX_SUBJECTS = 10_000_000


class DemoProgress(Protocol):
    """What ``create_demo`` reports as it goes (the CLI draws Rich progress bars)."""

    def start(self, task: str, total: int) -> None: ...

    def advance(self, task: str, amount: int) -> None: ...


@dataclass(frozen=True)
class DemoOptions:
    subjects: int
    seed: int
    organisation: str = DEFAULT_ORGANISATION
    operational_url: str = DEFAULT_OPERATIONAL_URL
    files_dir: Path | None = DEFAULT_FILES_DIR  # None: no files, metadata rows only
    sources_path: Path = DEFAULT_SOURCES
    register_path: Path | None = None  # stored first when the organisation has no register
    replace: bool = False
    actor: str = "demo"
    parallel: bool | None = None  # None: a second process from PARALLEL_FROM subjects


@dataclass(frozen=True)
class DemoSummary:
    organisation: str
    subjects_added: int
    subjects_existing: int
    debtors: int
    new_occupiers: int
    tables: dict[str, int]
    seconds: float
    check_seconds: float  # drawing the people and checking every identity
    register_seconds: float  # sealing and writing the subjects (the rest builds the agency)
    parallel: bool  # operational data built in a second process meanwhile

    @property
    def subjects_per_second(self) -> float:
        total = self.subjects_added + self.subjects_existing
        return total / self.seconds if self.seconds > 0 else 0.0


def _ensure_register(uow: UnitOfWork, options: DemoOptions) -> Register:
    """The organisation's register; stores ``register_path`` if it has no register yet."""
    try:
        version = current_version(uow, options.organisation)
    except RegisterNotFound:
        if options.register_path is None:
            raise
        loaded = load_register(options.register_path)
        if loaded.register.organisation != options.organisation:
            raise ValidationFailed(
                f"{options.register_path} is the register of "
                f"{loaded.register.organisation!r}, not {options.organisation!r}"
            ) from None
        store_register(uow, loaded, actor=options.actor)
        version = current_version(uow, options.organisation)
    register = load_version(version).register
    missing = sorted(GROUPS - {g.id for g in register.subject_groups})
    if missing:
        raise ValidationFailed(
            f"the register of {options.organisation} has no subject groups "
            f"{', '.join(missing)}: the demo is a debt-collection agency like jtr_collections"
        )
    return register


def demo_exists(engine: Engine) -> bool:
    return inspect(engine).has_table(schema.debtors.name)


def create_demo(
    uow: UnitOfWork, options: DemoOptions, progress: DemoProgress | None = None
) -> DemoSummary:
    """Build the agency of ``options`` and register its debtors and new occupiers.

    Refuses (``DemoExists``) when the operational database already holds a demo, unless
    ``options.replace``: then it is dropped and rebuilt, and people already registered by an
    earlier run with the same seed are kept as they are (counted as existing).
    """
    if not 1 <= options.subjects <= MAX_SUBJECTS:
        raise ValidationFailed(f"--subjects must be between 1 and {MAX_SUBJECTS:,}")
    started = time.perf_counter()
    engine = make_engine(options.operational_url)
    try:
        if demo_exists(engine) and not options.replace:
            raise DemoExists(
                "a demo agency already exists in "
                f"{engine.url.render_as_string(hide_password=True)}: "
                "add --replace to drop and rebuild it"
            )
        register = _ensure_register(uow, options)
        people = draw_people(options.seed, options.subjects, uow.clock.today())
        total = len(people.debtors) + len(people.new_occupiers)
        text = sources_text(
            sources_document(
                organisation=options.organisation,
                files_dir=options.files_dir,
                register_datasets={d.id for d in register.datasets},
            ),
            operational_url=options.operational_url,
            files_dir=options.files_dir,
            seed=options.seed,
            subjects=total,
        )
        # Checked before anything is touched: a demo whose map does not fit is a bug here.
        sources = parse_sources(text, str(options.sources_path))
        require_fit(sources, register)
        checked = check_subjects(
            uow, options.organisation, people.subject_rows(), skip_existing=options.replace
        )
        # Every check passed: from here on the old demo may be replaced.
        checked_at = time.perf_counter()
        job = OperationalJob(
            options.operational_url,
            options.seed,
            options.subjects,
            uow.clock.today(),
            options.files_dir,
        )
        if progress is not None:
            progress.start("register", total)
            progress.start("operational", len(people.debtors))
            progress.advance("register", checked.skipped)
        parallel = (
            options.parallel if options.parallel is not None else options.subjects >= PARALLEL_FROM
        )
        if parallel:
            counts, added, register_seconds = _in_parallel(uow, options, job, checked, progress)
        else:
            counts = rebuild(job, people, _advancer(progress, "operational"))
            built_at = time.perf_counter()
            added = write_subjects(
                uow, checked, actor=options.actor, progress=_advancer(progress, "register")
            )
            register_seconds = time.perf_counter() - built_at
        write_sources(options.sources_path, text)
        store_sources(uow, sources, organisation=options.organisation, actor=options.actor)
        record(
            uow,
            actor=options.actor,
            action=DEMO_CREATED,
            entity_type="organisation",
            entity_id=options.organisation,
            details={
                "seed": options.seed,
                "subjects": total,
                "subjects_added": added,
                "files": options.files_dir is not None,
            },
        )
    finally:
        engine.dispose()
    return DemoSummary(
        organisation=options.organisation,
        subjects_added=added,
        subjects_existing=total - added,
        debtors=len(people.debtors),
        new_occupiers=len(people.new_occupiers),
        tables=counts,
        seconds=time.perf_counter() - started,
        check_seconds=checked_at - started,
        register_seconds=register_seconds,
        parallel=parallel,
    )


def _advancer(progress: DemoProgress | None, task: str) -> Callable[[int], None] | None:
    if progress is None:
        return None
    return lambda amount: progress.advance(task, amount)


def _in_parallel(
    uow: UnitOfWork,
    options: DemoOptions,
    job: OperationalJob,
    checked: CheckedSubjects,
    progress: DemoProgress | None,
) -> tuple[dict[str, int], int, float]:
    """Operational data in a child process while this one seals and writes the subjects."""
    build = BackgroundBuild(job)
    try:

        def registered(amount: int) -> None:
            if progress is not None:
                progress.advance("register", amount)
                progress.advance("operational", build.poll())

        writing = time.perf_counter()
        added = write_subjects(uow, checked, actor=options.actor, progress=registered)
        register_seconds = time.perf_counter() - writing
        counts = build.wait(_advancer(progress, "operational"))
    finally:
        build.stop()
    return counts, added, register_seconds
