"""A hold on a row's case read shallower where the database says the case's
reference is unique (issue 20; RULES: RET-02). The demo names a recording's case by its
``case_ref``: the long path finds the cases with the recording's case's reference, then
their complaints; with ``case_ref`` unique that case is the recording's own, and its
complaints are those naming the recording's ``case_id``. Today is 25 November 2026 (the
``clock`` fixture)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from retention_site import ORG, Site, store
from sqlalchemy import MetaData, UniqueConstraint, create_engine, text

from dataward.demo import schema
from dataward.retention.plan import plan_retention
from dataward.retention.plan_types import BindingPlan
from dataward.retention.unique import unique_columns
from dataward.sources.connectors.sql import SqlConnector
from dataward.uow import UnitOfWork

sys.path.insert(0, str(Path(__file__).parents[1] / "integration"))
from test_retention_plan import _agency, _occupiers, _people, _recordings

LONG_PATH = "cases.case_ref = cases_1.case_ref"


def _site_without_unique_reference(folder: Path) -> Site:
    """The same agency, its ``cases.case_ref`` not declared unique."""
    metadata = MetaData()
    for table in schema.metadata.sorted_tables:
        table.to_metadata(metadata)
    cases = metadata.tables["cases"]
    cases.c.case_ref.unique = False
    for constraint in [c for c in cases.constraints if isinstance(c, UniqueConstraint)]:
        cases.constraints.discard(constraint)
    url = f"sqlite:///{folder / 'agency.db'}"
    engine = create_engine(url)
    try:
        metadata.create_all(engine)
        with engine.begin() as conn:
            _people(conn)
            _recordings(conn)
            _occupiers(conn)
    finally:
        engine.dispose()
    return Site(url, {"DATAWARD_DEMO_OPERATIONAL_URL": url})


def _bwv(uow: UnitOfWork, site: Site) -> BindingPlan:
    plan = plan_retention(uow, ORG, env=site.env)
    rule = next(r for r in plan.rules if r.rule == "body_worn_video")
    return next(b for d in rule.datasets for b in d.bindings if b.table == "body_worn_video")


def _counted(found: BindingPlan) -> tuple[Any, ...]:
    return (found.due, found.held, found.to_act_on, found.sample)


def _unique_site(folder: Path) -> Site:
    folder.mkdir()
    agency = _agency(folder)
    return Site(agency.url, dict(agency.env))


def _plain_site(folder: Path) -> Site:
    folder.mkdir()
    return _site_without_unique_reference(folder)


# RULES: RET-02 (the shortcut only where the database itself says the reference is unique)
def test_it_reads_the_reference_unique_only_where_the_database_says_so(tmp_path: Path) -> None:
    unique = _unique_site(tmp_path / "unique")
    plain = _plain_site(tmp_path / "plain")
    for url, expected in ((unique.url, {"id", "case_ref"}), (plain.url, {"id"})):
        connector = SqlConnector("ops", url)
        try:
            assert unique_columns(connector, "cases") == expected
        finally:
            connector.close()


# RULES: RET-02 (a complaint or investigation on the recording's case keeps it)
def test_the_unique_reference_shortcut_picks_the_same_rows_as_the_long_path(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    unique = _unique_site(tmp_path / "unique")
    plain = _plain_site(tmp_path / "plain")
    store(uow, unique)
    short = _bwv(uow, unique)
    long = _bwv(uow, plain)
    assert LONG_PATH not in short.held_sql["complaint_on_case"]
    # One look-up, as a person would write it: the complaints of the recording's case_id.
    shallow = "complaints.case_id = body_worn_video.case_id"
    assert shallow in short.held_sql["complaint_on_case"]
    assert "cases" not in short.held_sql["complaint_on_case"].replace("complaints", "")
    assert LONG_PATH in long.held_sql["complaint_on_case"]
    assert _counted(short) == _counted(long)
    assert short.held == {"complaint_on_case": 1, "investigation_on_case": 1}


# RULES: RET-02 (a reference that is not unique: every case with it counts)
def test_a_reference_not_declared_unique_keeps_the_long_path(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    plain = _site_without_unique_reference(tmp_path)
    engine = create_engine(plain.url)
    with engine.begin() as conn:
        # Case 7 shares case 6's reference (CASE6, whose complaint is open): its recording,
        # due and free on its own case, is held through the reference.
        conn.execute(
            text(
                "INSERT INTO cases (id, case_ref, debtor_id, client_id, debt_type,"
                " amount_pence, status, opened_on) VALUES (7, 'CASE6', 4, 1, 'x', 1, 'x',"
                " '2015-01-01')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO body_worn_video (id, case_id, recorded_at, file_path, size_bytes)"
                " VALUES (9, 7, '2026-08-01 10:00:00.000000', 'x', 1)"
            )
        )
    engine.dispose()
    store(uow, plain)
    found = _bwv(uow, plain)
    assert LONG_PATH in found.held_sql["complaint_on_case"]
    assert found.held["complaint_on_case"] == 2
    assert found.to_act_on == 2
