"""``create_demo``: build the demo agency and register its people. Never commits.

Order matters: the people are drawn and registered (checked in full) before the operational
database is touched, so a refused registration leaves an existing demo as it was. The
caller's unit of work commits the subjects after the operational database is written.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from sqlalchemy import inspect
from sqlalchemy.engine import Engine

from dataward.audit.service import record
from dataward.db import make_engine
from dataward.demo import schema
from dataward.demo.operational import build_operational
from dataward.demo.people import draw_people
from dataward.demo.sources import sources_document, write_sources
from dataward.errors import DatawardError, RegisterNotFound, ValidationFailed
from dataward.register.loader import load_register
from dataward.register.service import current_version, load_version, store_register
from dataward.subjects.bulk import add_subjects_bulk
from dataward.uow import UnitOfWork

DEFAULT_ORGANISATION = "jtr_collections"
DEFAULT_OPERATIONAL_URL = "sqlite:///var/demo-operational.db"
DEFAULT_FILES_DIR = Path("var/demo-files")
DEFAULT_SOURCES = Path("var/demo-sources.yaml")
FILE_FOLDERS = (
    "body_worn_video",
    "call_recordings",
    "vulnerability_evidence",
    "new_occupier_evidence",
)
GROUPS = frozenset({"customers", "new_occupiers"})
MAX_SUBJECTS = 10_000_000


class DemoExists(DatawardError):
    code = "demo_exists"
    http_status = 409
    title = "A demo agency already exists"


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


@dataclass(frozen=True)
class DemoSummary:
    organisation: str
    subjects_added: int
    subjects_existing: int
    debtors: int
    new_occupiers: int
    tables: dict[str, int]
    seconds: float
    register_seconds: float
    operational_seconds: float

    @property
    def subjects_per_second(self) -> float:
        total = self.subjects_added + self.subjects_existing
        return total / self.seconds if self.seconds > 0 else 0.0


def _ensure_register(uow: UnitOfWork, options: DemoOptions) -> set[str]:
    """The organisation's dataset ids; stores ``register_path`` if it has no register yet."""
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
    return {d.id for d in register.datasets}


def demo_exists(engine: Engine) -> bool:
    return inspect(engine).has_table(schema.debtors.name)


def _clear_files(files_dir: Path) -> None:
    # Only the folders the demo writes: files_dir may hold other things.
    for folder in FILE_FOLDERS:
        shutil.rmtree(files_dir / folder, ignore_errors=True)


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
        datasets = _ensure_register(uow, options)
        people = draw_people(options.seed, options.subjects, uow.clock.today())
        total = len(people.debtors) + len(people.new_occupiers)
        document = sources_document(
            organisation=options.organisation,
            operational_url=options.operational_url,
            files_dir=options.files_dir,
            seed=options.seed,
            subjects=total,
            created_at=uow.clock.now(),
            register_datasets=datasets,
        )
        if progress is not None:
            progress.start("register", total)
        added = add_subjects_bulk(
            uow,
            options.organisation,
            people.subject_rows(),
            actor=options.actor,
            skip_existing=options.replace,
            progress=(lambda n: progress.advance("register", n)) if progress else None,
        )
        if progress is not None and added < total:
            progress.advance("register", total - added)
        registered = time.perf_counter()

        schema.metadata.drop_all(engine)
        if options.files_dir is not None:
            _clear_files(options.files_dir)
        schema.metadata.create_all(engine)
        if progress is not None:
            progress.start("operational", len(people.debtors))
        with engine.begin() as conn:
            counts = build_operational(
                conn,
                people,
                seed=options.seed,
                today=uow.clock.today(),
                files=options.files_dir,
                progress=(lambda n: progress.advance("operational", n)) if progress else None,
            )
        built = time.perf_counter()
        # A JSON round trip turns shared sub-maps into plain copies (no YAML anchors).
        write_sources(options.sources_path, json.loads(json.dumps(document)))
        record(
            uow,
            actor=options.actor,
            action="demo.created",
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
        register_seconds=registered - started,
        operational_seconds=built - registered,
    )
