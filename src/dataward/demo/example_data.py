"""``build_example_data``: an operational database (and files) for a shared example.

Johnnie Johnson Housing and R3 Repairs have sources files (``examples/sources/``) but no
systems of their own; this writes a small SQLite database shaped exactly as those files
bind it, a files folder where the sources file binds files, and a sources file pointing at
them: the example's own file, with what retention needs added (the files connection, the
holds' predicates, the CCTV and photograph tables). It touches nothing of dataward's own
database: load the written sources file with ``dataward sources load``.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Connection, MetaData

from dataward.db import make_engine
from dataward.demo import housing, repairs
from dataward.demo.errors import DemoExists
from dataward.errors import ValidationFailed
from dataward.sources.loader import LoadedSources, parse_sources

MAX_PEOPLE = 100_000
DEFAULT_PEOPLE = 100
DEFAULT_OUT = Path("var/examples")


@dataclass(frozen=True)
class ExampleShape:
    key: str  # what --org takes
    organisation: str
    sources_file: str  # under examples/sources/
    connection: str  # the sql connection of that file
    url_from: str
    files_from: str | None  # the files connection's variable (None: no files bound)
    metadata: MetaData
    build: Callable[..., dict[str, int]]
    extend: Callable[[dict[str, Any]], None]


def _extend_housing(document: dict[str, Any]) -> None:
    """JJH: recordings as files, tenancy holds, CCTV and photographs bound."""
    datasets = document["datasets"]
    document["connections"]["housing"]["mode"] = "read_write"
    document["connections"]["housing_files"] = {
        "kind": "files",
        "url_from": "JJH_FILES_DIR",
        "mode": "read_write",
        "description": "Call recordings, CCTV clips and photographs.",
    }
    for binding in datasets["tenancy_records"]:
        if binding["table"] == "tenancies":
            binding["holds"] = {
                "tenancy_debt": {
                    "table": "debts",
                    "via": "tenancy_id",
                    "open_when_null": "cleared_on",
                    "since": "raised_on",
                },
                "tenancy_legal_matter": {
                    "table": "legal_matters",
                    "via": "tenancy_id",
                    "open_when_null": "closed_on",
                    "since": "opened_on",
                },
            }
    for binding in datasets["call_recordings"]:
        if binding["table"] == "calls":
            binding["files"] = {"connection": "housing_files", "column": "recording_path"}
    datasets["cctv_footage"] = [
        {
            "connection": "housing",
            "table": "cctv_clips",
            "key": "id",
            "entities": {"footage": "id"},
            "events": {"footage_recorded": "recorded_at"},
            "holds": {
                "cctv_evidence": {
                    "table": "cctv_evidence",
                    "via": "clip_id",
                    "open_when_null": "released_on",
                    "since": "kept_on",
                }
            },
            "files": {"connection": "housing_files", "column": "file_path"},
            "columns": {"file_path": {"category": "cctv_images", "provenance": "observed"}},
        }
    ]
    # The hold records are part of what they hold: a debt or legal matter of a tenancy is a
    # tenancy record, a clip's evidence record part of the footage. Each goes with its
    # tenancy or clip (its due date read through it), before it: they point at it.
    for table in ("debts", "legal_matters"):
        datasets["tenancy_records"].append(
            {
                "connection": "housing",
                "table": table,
                "key": "id",
                "subject": {
                    "via": "tenancy_id",
                    "table": "tenancies",
                    "key": "id",
                    "then": {"via": "tenant_id", "table": "tenants", "key": "id"},
                },
                "entities": {"tenancy": "tenancy_id"},
            }
        )
    datasets["cctv_footage"].append(
        {
            "connection": "housing",
            "table": "cctv_evidence",
            "key": "id",
            "entities": {"footage": "clip_id"},
        }
    )
    # The three years run from the photograph's day. Its use in a publication holds
    # nothing: the register has no such hold (the copies in circulation are not JJH's).
    datasets["publication_images"] = [
        {
            "connection": "housing",
            "table": "photos",
            "key": "id",
            "identities": {"name": "subject_name"},
            "events": {"image_taken": "taken_on"},
            "files": {"connection": "housing_files", "column": "file_path"},
            "columns": {"file_path": {"category": "publication_images", "provenance": "observed"}},
        }
    ]
    by_hand = document["searched_by_hand"]
    for dataset in ("cctv_footage", "publication_images"):
        by_hand.pop(dataset, None)
    _deleted_whole(document)
    document["not_in_register"] = {}


def _deleted_whole(document: dict[str, Any]) -> None:
    """Each bound table's rows deleted whole at the end of their period, as the notices
    say of these records ("deleted", "destroyed"): the key column's ``retention:``. The
    erasure strategies stay the example's own (none: an erasure request is decided by hand)."""
    for bindings in document["datasets"].values():
        for binding in bindings:
            if binding.get("table") is not None:
                columns = binding.setdefault("columns", {})
                columns.setdefault(binding["key"], {})["retention"] = "delete_row"


def _r3_holds(via: str) -> dict[str, Any]:
    return {
        "complaint": {
            "table": "complaints",
            "via": via,
            "open_when_null": "closed_on",
            "since": "opened_on",
        },
        "prospect_of_litigation": {
            "table": "litigation_prospects",
            "via": via,
            "open_when_null": "closed_on",
            "since": "noted_on",
        },
    }


def _extend_repairs(document: dict[str, Any]) -> None:
    """R3: the holds' predicates on customers, jobs and members."""
    datasets = document["datasets"]
    document["connections"]["jobs"]["mode"] = "read_write"
    for binding in datasets["customer_accounts"]:
        if binding["table"] == "customers":
            binding["holds"] = {
                **_r3_holds("customer_id"),
                "restriction_for_legal_claims": {
                    "table": "restrictions",
                    "via": "customer_id",
                    "open_when_null": "lifted_on",
                    "since": "requested_on",
                },
            }
            # The customer the holds sit on (a complaint, litigation, a restriction: "your
            # personal data"): their jobs and visits are held through it.
            binding["entities"] = {"customer": "id"}
    for binding in datasets["service_records"]:
        if binding["table"] == "jobs":
            binding["entities"] = {"customer": "customer_id", "service": "id"}
        if binding["table"] == "job_visits":
            # A visit ends with its job: the service's end is read on the job.
            binding["entities"] = {
                "customer": {
                    "via": "job_id",
                    "table": "jobs",
                    "key": "id",
                    "column": "customer_id",
                },
                "service": "job_id",
            }
    for binding in datasets["r3_direct_members"]:
        if binding["table"] == "members":
            binding["holds"] = _r3_holds("member_id")
            binding["entities"] = {"membership": "id"}
    # A hold record goes with the job or membership it is about once its period ends (its
    # due date read through them), before them: it points at them.
    # A job's hold records are held as the job is, through its customer.
    for dataset, table, entities in (
        ("service_records", "complaints", {"service": "job_id", "customer": "customer_id"}),
        ("r3_direct_members", "complaints", {"membership": "member_id"}),
        ("r3_direct_members", "litigation_prospects", {"membership": "member_id"}),
    ):
        datasets[dataset].append(
            {"connection": "jobs", "table": table, "key": "id", "entities": entities}
        )
    _deleted_whole(document)
    document["not_in_register"] = {
        "complaints": "hold records (see holds.complaint)",
        "litigation_prospects": "hold records (see holds.prospect_of_litigation)",
        "restrictions": "hold records (see holds.restriction_for_legal_claims)",
    }


SHAPES: dict[str, ExampleShape] = {
    "jjh": ExampleShape(
        "jjh",
        "johnnie_johnson_housing",
        "johnnie-johnson-housing.yaml",
        "housing",
        "JJH_HOUSING_DB_URL",
        "JJH_FILES_DIR",
        housing.metadata,
        housing.build_housing,
        _extend_housing,
    ),
    "r3": ExampleShape(
        "r3",
        "r3_repairs",
        "r3-repairs.yaml",
        "jobs",
        "R3_JOBS_DB_URL",
        None,
        repairs.metadata,
        repairs.build_repairs,
        _extend_repairs,
    ),
}


@dataclass(frozen=True)
class ExampleDataOptions:
    org: str
    today: date
    examples_dir: Path
    people: int = DEFAULT_PEOPLE
    seed: int = 1
    out: Path = DEFAULT_OUT
    replace: bool = False


@dataclass(frozen=True)
class ExampleData:
    organisation: str
    database: Path
    files: Path | None
    sources: Path
    env: dict[str, str]  # what to set before loading or checking the sources file
    tables: dict[str, int]
    seconds: float


def shape_of(org: str) -> ExampleShape:
    shape = SHAPES.get(org) or next((s for s in SHAPES.values() if s.organisation == org), None)
    if shape is None:
        known = ", ".join(f"{s.key} ({s.organisation})" for s in SHAPES.values())
        raise ValidationFailed(f"no example data for {org!r}: choose one of {known}")
    return shape


def sources_document(shape: ExampleShape, examples_dir: Path) -> dict[str, Any]:
    """The example's sources file as plain data, extended for its operational database."""
    path = examples_dir / "sources" / shape.sources_file
    if not path.is_file():
        # Run outside a checkout, the default examples folder is not there: say what to set.
        raise ValidationFailed(
            f"no sources file {path}: run from the project folder or set DATAWARD_EXAMPLES_DIR"
        )
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    document = json.loads(json.dumps(document))
    document.setdefault("searched_by_hand", {})
    shape.extend(document)
    return document


def sources_text(shape: ExampleShape, document: dict[str, Any], env: dict[str, str]) -> str:
    header = [
        f"# {shape.organisation}'s sources file for its generated operational database,",
        "# written by `dataward examples data` from "
        f"examples/sources/{shape.sources_file}. Set before loading or checking:",
        *(f"# {name}={value}" for name, value in env.items()),
    ]
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    return "\n".join(header) + "\n" + body


def build_example_data(options: ExampleDataOptions) -> ExampleData:
    """Write the example's database, files and sources file under ``options.out``.

    Refuses (``DemoExists``) when the database is already there, unless ``replace``.
    """
    if not 1 <= options.people <= MAX_PEOPLE:
        raise ValidationFailed(f"--people must be between 1 and {MAX_PEOPLE:,}")
    shape = shape_of(options.org)
    started = time.perf_counter()
    out = options.out.resolve()
    database = out / f"{shape.key}-operational.db"
    files = out / f"{shape.key}-files" if shape.files_from is not None else None
    sources_path = out / f"{shape.key}-sources.yaml"
    if database.exists() and not options.replace:
        raise DemoExists(f"{database} already exists: add --replace to rebuild it")
    url = f"sqlite:///{database}"
    env = {shape.url_from: url}
    if files is not None and shape.files_from is not None:
        env[shape.files_from] = str(files)
    document = sources_document(shape, options.examples_dir)
    text = sources_text(shape, document, env)
    # Checked before anything is written: a file that does not parse is a bug here.
    parse_sources(text, str(sources_path))
    out.mkdir(parents=True, exist_ok=True)
    database.unlink(missing_ok=True)
    if files is not None:
        shutil.rmtree(files, ignore_errors=True)
        files.mkdir(parents=True)
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            shape.metadata.create_all(conn)
            tables = _fill(shape, conn, options, files)
    finally:
        engine.dispose()
    sources_path.write_text(text, encoding="utf-8")
    return ExampleData(
        organisation=shape.organisation,
        database=database,
        files=files,
        sources=sources_path,
        env=env,
        tables=tables,
        seconds=time.perf_counter() - started,
    )


def _fill(
    shape: ExampleShape, conn: Connection, options: ExampleDataOptions, files: Path | None
) -> dict[str, int]:
    counts: dict[str, int] = shape.build(
        conn, people=options.people, seed=options.seed, today=options.today, files=files
    )
    return counts


def load_written(data: ExampleData) -> LoadedSources:
    """The written sources file, parsed strictly."""
    return parse_sources(data.sources.read_text(encoding="utf-8"), str(data.sources))
