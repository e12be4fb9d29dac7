"""The demo agency: valid synthetic values, deterministic data, registered subjects, the CLI."""

from __future__ import annotations

import hashlib
import itertools
import os
import random
import re
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, func, inspect, select
from typer.testing import CliRunner

from dataward.cli.app import app
from dataward.config import get_settings
from dataward.crypto.cipher import new_key
from dataward.crypto.secrets import encode_key
from dataward.db import make_engine
from dataward.demo import generators as gen
from dataward.demo import schema
from dataward.demo import sources as demo_sources
from dataward.demo.errors import DemoExists
from dataward.demo.operational import build_operational
from dataward.demo.people import draw_people
from dataward.demo.service import DemoOptions, create_demo
from dataward.errors import ConfigurationError
from dataward.register.loader import load_register
from dataward.scratch import scratch_databases
from dataward.sources.loader import load_sources, require_fit
from dataward.sources.versions import current_sources
from dataward.subjects.identities import (
    normalise_email,
    normalise_ni_number,
    normalise_phone,
    normalise_postcode,
)
from dataward.subjects.service import find_subjects, show_subject
from dataward.uow import UnitOfWork

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
REGISTER = EXAMPLES / "jtr-collections.yaml"
TODAY = date(2026, 11, 25)
ORG = "jtr_collections"
runner = CliRunner()


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_it_generates_values_that_pass_the_normalisers(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(20):
        ni = gen.ni_number(rng)
        assert normalise_ni_number(ni) == ni
        phone = gen.mobile_number(rng)
        assert normalise_phone(phone) == phone
        area, _, districts = rng.choice(gen.UK_AREAS)
        code = gen.postcode(rng, area, districts)
        assert normalise_postcode(code) == code


@settings(max_examples=10, deadline=None)
@given(st.integers(min_value=0, max_value=2**32))
def test_it_draws_people_with_unique_valid_identities(seed: int) -> None:
    people = draw_people(seed, 60, TODAY)
    emails = [p.email for p in [*people.debtors, *people.new_occupiers] if p.email]
    assert len(set(emails)) == len(emails)
    assert all(normalise_email(e) == e for e in emails)
    ni_numbers = [d.ni_number for d in people.debtors if d.ni_number]
    assert len(set(ni_numbers)) == len(ni_numbers)
    for debtor in people.debtors:
        assert TODAY - timedelta(days=86 * 366) < debtor.date_of_birth < TODAY
        assert TODAY - timedelta(days=8 * 366) <= debtor.created_on <= TODAY


def _fingerprint(url: str) -> str:
    engine = create_engine(url)
    digest = hashlib.sha256()
    with engine.connect() as conn:
        for table in schema.TABLES:
            for row in conn.execute(select(table).order_by(table.c.id)):
                digest.update(repr(tuple(row)).encode())
    engine.dispose()
    return digest.hexdigest()


def _build(folder: Path, seed: int) -> str:
    folder.mkdir(exist_ok=True)
    url = f"sqlite:///{folder / f'op-{seed}.db'}"
    engine = make_engine(url)
    schema.metadata.create_all(engine)
    with engine.begin() as conn:
        build_operational(conn, draw_people(seed, 80, TODAY), seed=seed, today=TODAY, files=None)
    engine.dispose()
    return _fingerprint(url)


def test_it_builds_the_same_operational_data_from_the_same_seed(tmp_path: Path) -> None:
    first, second = _build(tmp_path / "a", 7), _build(tmp_path / "b", 7)
    assert first == second
    assert _build(tmp_path / "a", 8) != first


@pytest.fixture
def operational_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """The agency's own database, on the same backend as dataward's."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'operational.db'}"
        return
    with scratch_databases(os.environ["DATAWARD_TEST_DATABASE_URL"], "demo_ops") as (url,):
        yield url


def _options(tmp_path: Path, url: str, **changes: object) -> DemoOptions:
    values: dict[str, object] = {
        "subjects": 50,
        "seed": 3,
        "operational_url": url,
        "files_dir": tmp_path / "files",
        "sources_path": tmp_path / "sources.yaml",
        "register_path": REGISTER,
    }
    values.update(changes)
    return DemoOptions(**values)  # type: ignore[arg-type]


def test_it_builds_a_plausible_agency(
    uow: UnitOfWork, operational_url: str, tmp_path: Path
) -> None:
    summary = create_demo(uow, _options(tmp_path, operational_url))
    uow.commit()

    assert summary.subjects_added == 50
    assert summary.debtors + summary.new_occupiers == 50
    engine = create_engine(operational_url)
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) == {t.name for t in schema.TABLES}
        for table in schema.TABLES:
            assert summary.tables[table.name] == conn.scalar(
                select(func.count()).select_from(table)
            )
        for name in ("debtors", "cases", "payments", "agent_visits", "notes", "call_recordings"):
            assert summary.tables[name] > 0, name
        orphans = conn.scalar(
            select(func.count())
            .select_from(schema.cases.outerjoin(schema.debtors))
            .where(schema.debtors.c.id.is_(None))
        )
        assert orphans == 0
        for path, size in conn.execute(
            select(schema.body_worn_video.c.file_path, schema.body_worn_video.c.size_bytes)
        ):
            assert (tmp_path / "files" / path).stat().st_size == size
        for opened, returned in conn.execute(
            select(schema.cases.c.opened_on, schema.cases.c.returned_on)
        ):
            assert TODAY - timedelta(days=8 * 366) <= opened <= TODAY
            assert returned is None or opened <= returned <= TODAY
        pools = gen.name_pools(3)
        firsts, lasts = set(pools.female_first + pools.male_first), set(pools.last)
        notes = conn.execute(
            select(schema.notes.c.body, schema.debtors.c.first_name, schema.debtors.c.last_name)
            .join(schema.cases, schema.cases.c.id == schema.notes.c.case_id)
            .join(schema.debtors)
        ).all()
        for body, first, last in notes:
            words = re.findall(r"[A-Za-z'-]+", body)
            named = {f"{a} {b}" for a, b in itertools.pairwise(words) if a in firsts and b in lasts}
            assert named - {f"{first} {last}"}, body
        debtor = conn.execute(
            select(schema.debtors).where(
                schema.debtors.c.email.is_not(None), schema.debtors.c.ni_number.is_not(None)
            )
        ).first()
        occupier = conn.execute(select(schema.new_occupiers)).first()
    engine.dispose()

    assert debtor is not None
    found = find_subjects(uow, ORG, "email", debtor.email.upper())
    assert len(found) == 1
    view = show_subject(uow, ORG, found[0].ref)
    assert view.groups == ["customers"]
    values = {i.kind: i.value for i in view.identities}
    assert values["ni_number"] == debtor.ni_number
    assert values["customer_ref"] == debtor.customer_ref
    assert values["date_of_birth"] == debtor.date_of_birth.isoformat()
    assert occupier is not None
    (neighbour,) = find_subjects(uow, ORG, "customer_ref", occupier.occupier_ref)
    assert show_subject(uow, ORG, neighbour.ref).groups == ["new_occupiers"]


def test_it_maps_the_registers_datasets_to_the_agencys_tables(
    uow: UnitOfWork, operational_url: str, tmp_path: Path
) -> None:
    create_demo(uow, _options(tmp_path, operational_url, files_dir=None, subjects=10))
    uow.commit()

    text = (tmp_path / "sources.yaml").read_text(encoding="utf-8")
    loaded = load_sources(tmp_path / "sources.yaml")  # a valid sources file (docs/sources.md)
    register = load_register(REGISTER).register
    fit = require_fit(loaded, register)  # and it fits the demo's register
    assert {m.dataset for m in fit.by_hand} == set(demo_sources.NOT_IN_DEMO)
    sources = loaded.sources
    assert sources.organisation == ORG
    assert set(sources.connections) == {"demo_operational"}  # no files: no files connection
    assert sources.connections["demo_operational"].url_from == "DATAWARD_DEMO_OPERATIONAL_URL"
    tables = {t.name: t for t in schema.TABLES}
    for dataset, bindings in sources.datasets.items():
        for binding in bindings:
            assert binding.files is None
            assert binding.table is not None
            table = tables[binding.table]
            assert binding.key in table.c
            for column in binding.identities.values():
                for name in [column] if isinstance(column, str) else column:
                    assert name in table.c, f"{dataset}: {table.name}.{name}"
            for name in binding.columns:
                assert name in table.c, f"{dataset}: {table.name}.{name}"
    assert sources.datasets["body_worn_video"][0].events == {"recording_made": "recorded_at"}
    # Stored as the organisation's sources version, the very text written; no password.
    stored = current_sources(uow, ORG)
    assert (stored.version, stored.source_text) == (1, text)
    assert stored.content_hash == loaded.content_hash
    assert "DATAWARD_DEMO_OPERATIONAL_URL=" in text


def test_the_demo_with_files_binds_them_through_a_files_connection(
    uow: UnitOfWork, operational_url: str, tmp_path: Path
) -> None:
    create_demo(uow, _options(tmp_path, operational_url, subjects=10))
    uow.commit()

    sources = load_sources(tmp_path / "sources.yaml").sources
    assert sources.connections["demo_files"].kind == "files"
    files = sources.datasets["call_recordings"][0].files
    assert files is not None
    # The rows' paths start with their folder already (call_recordings/2024/05/...), relative
    # to the files root: a folder here would be prepended twice (sources check --connect).
    assert (files.connection, files.column, files.folder) == ("demo_files", "file_path", None)
    lines = (tmp_path / "sources.yaml").read_text(encoding="utf-8").splitlines()
    (folder,) = [line for line in lines if line.startswith("# DATAWARD_DEMO_FILES_DIR=")]
    assert folder == f"# DATAWARD_DEMO_FILES_DIR={tmp_path / 'files'}"


def test_it_refuses_to_build_over_a_demo_unless_replacing(
    uow: UnitOfWork, operational_url: str, tmp_path: Path
) -> None:
    first = create_demo(uow, _options(tmp_path, operational_url, subjects=20))
    uow.commit()
    with pytest.raises(DemoExists, match="--replace"):
        create_demo(uow, _options(tmp_path, operational_url, subjects=20))

    # The second build runs in a child process (as large demos do) and gives the same rows.
    again = create_demo(
        uow, _options(tmp_path, operational_url, subjects=20, replace=True, parallel=True)
    )
    uow.commit()

    assert (again.subjects_added, again.subjects_existing) == (0, 20)
    assert again.parallel
    assert again.tables == first.tables


def _environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "DATAWARD_DATABASE_URL": f"sqlite:///{tmp_path / 'dataward.db'}",
        "DATAWARD_KEYSTORE_URL": f"sqlite:///{tmp_path / 'keys.db'}",
        "DATAWARD_EXAMPLES_DIR": str(EXAMPLES),
        **extra,
    }


@pytest.fixture
def fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_it_creates_the_demo_from_the_command_line(tmp_path: Path, fresh_settings: None) -> None:
    env = _environment(
        tmp_path,
        DATAWARD_KEK=encode_key(new_key()),
        DATAWARD_BLIND_INDEX_KEY=encode_key(new_key()),
    )
    args = [
        "demo",
        "create",
        "--subjects",
        "30",
        "--seed",
        "5",
        "--operational-url",
        f"sqlite:///{tmp_path / 'ops.db'}",
        "--files-dir",
        str(tmp_path / "files"),
        "--sources",
        str(tmp_path / "sources.yaml"),
    ]

    result = runner.invoke(app, args, env=env)

    assert result.exit_code == 0, result.output
    assert "30 subjects registered" in result.stdout
    assert "subjects/s" in result.stdout
    assert (tmp_path / "sources.yaml").is_file()
    assert any((tmp_path / "files" / "call_recordings").rglob("*.wav"))
    again = runner.invoke(app, args, env=env)
    assert isinstance(again.exception, DemoExists)


def test_it_needs_the_keys_to_create_the_demo(tmp_path: Path, fresh_settings: None) -> None:
    result = runner.invoke(
        app, ["demo", "create", "--subjects", "5"], env=_environment(tmp_path, DATAWARD_KEK="")
    )

    assert isinstance(result.exception, ConfigurationError)
    assert "DATAWARD_KEK is not set" in result.exception.message
