"""Johnnie Johnson Housing's and R3 Repairs' own operational databases (issue 20), built by
``dataward examples data``: they hold every table and column the examples' sources files
bind, pass the connected sources checks, are the same for the same seed, and give every
retention rule of the registers rows due, rows not yet due and rows held, computed here
from the dates (RULES: RET-01, RET-02)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from access_support import JJH_SOURCES, R3_SOURCES, store_sources_file
from runs_support import JJH, R3, Example, register_of, store_example
from typer.testing import CliRunner

from dataward.calendar.working_days import Nation, add_working_days
from dataward.cli.app import app
from dataward.demo.errors import DemoExists
from dataward.demo.example_data import (
    ExampleData,
    ExampleDataOptions,
    build_example_data,
    load_written,
)
from dataward.errors import ValidationFailed
from dataward.sources.check import check_connected, describe_findings
from dataward.sources.loader import load_sources, require_fit
from dataward.sources.models import Binding, Related
from dataward.uow import UnitOfWork

TODAY = date(2026, 6, 1)
ROOT = Path(__file__).resolve().parents[2]


def _build(org: str, out: Path, *, seed: int = 7, replace: bool = False) -> ExampleData:
    return build_example_data(
        ExampleDataOptions(
            org=org,
            today=TODAY,
            examples_dir=ROOT / "examples",
            seed=seed,
            out=out,
            replace=replace,
        )
    )


@pytest.fixture(scope="module")
def jjh(tmp_path_factory: pytest.TempPathFactory) -> ExampleData:
    return _build("jjh", tmp_path_factory.mktemp("jjh"))


@pytest.fixture(scope="module")
def r3(tmp_path_factory: pytest.TempPathFactory) -> ExampleData:
    return _build("r3", tmp_path_factory.mktemp("r3"))


def _rows(data: ExampleData, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(data.database) as db:
        return list(db.execute(sql))


def _columns(data: ExampleData, table: str) -> set[str]:
    return {row[1] for row in _rows(data, f"PRAGMA table_info({table})")}


def _named_columns(binding: Binding) -> Iterator[tuple[str, str]]:
    """(table, column) for every column a binding names, related tables included."""
    assert binding.table is not None
    table = binding.table
    yield table, binding.key
    for value in binding.identities.values():
        for column in [value] if isinstance(value, str) else value:
            yield table, column
    yield from ((table, column) for column in binding.columns)
    for value in binding.entities.values():
        if isinstance(value, str):
            yield table, value
    for value in binding.events.values():
        if isinstance(value, Related):
            yield value.table, value.via
            yield value.table, value.column
        else:
            yield table, value
    relation = binding.subject
    while relation is not None:
        yield table, relation.via
        yield relation.table, relation.key
        table, relation = relation.table, relation.then
    for hold in binding.holds.values():
        on = hold.table or binding.table
        if hold.via:
            yield on, hold.via
        for column in (hold.open_when_null, hold.since):
            if column:
                yield on, column
        if hold.open_when is not None:
            yield on, hold.open_when.column
    if binding.files is not None and binding.files.column:
        yield binding.table, binding.files.column


CASES = [
    pytest.param("jjh", JJH, JJH_SOURCES, id="jjh"),
    pytest.param("r3", R3, R3_SOURCES, id="r3"),
]


NAME_ONLY_WARNING = "datasets.publication_images[0].identities.name"


def _warning_of(line: str) -> str:
    """The field a finding names, without its file and line (they vary by folder)."""
    return line.split(": warning: ", 1)[1].split(":", 1)[0] if ": warning: " in line else line


@pytest.mark.parametrize(("org", "example", "own_sources"), CASES)
def test_the_database_holds_every_column_both_sources_files_bind(
    org: str, example: Example, own_sources: Path, request: pytest.FixtureRequest
) -> None:
    data: ExampleData = request.getfixturevalue(org)
    written = load_written(data).sources
    own = load_sources(own_sources).sources
    # The written file is the example's own, extended: every binding of it is still there,
    # first (the hold records that go with their rows are bound after them).
    for dataset, bindings in own.datasets.items():
        tables = [b.table for b in written.datasets[dataset]]
        assert tables[: len(bindings)] == [b.table for b in bindings]
    for sources in (own, written):
        for bindings in sources.datasets.values():
            for binding in bindings:
                for table, column in _named_columns(binding):
                    assert column in _columns(data, table), f"{table}.{column}"
                assert binding.table is not None
                assert data.tables[binding.table] > 0, binding.table
    require_fit(load_written(data), register_of(example))


@pytest.mark.parametrize(("org", "example", "own_sources"), CASES)
def test_the_connected_check_finds_no_problem_and_events_hold_dates(
    org: str, example: Example, own_sources: Path, request: pytest.FixtureRequest
) -> None:
    del example, own_sources
    data: ExampleData = request.getfixturevalue(org)
    loaded = load_written(data)
    result = check_connected(loaded, env=data.env)
    # JJH's register finds a publication photograph by the person's name only, and a name
    # alone finds nobody (docs/sources.md): the check says so, and that is all it says.
    expected = [f"{NAME_ONLY_WARNING}"] if org == "jjh" else []
    assert [_warning_of(line) for line in describe_findings(result)] == expected
    assert sorted(result.connected) == sorted(loaded.sources.connections)
    for bindings in loaded.sources.datasets.values():
        for binding in bindings:
            for column in binding.events.values():
                assert isinstance(column, str)
                values = [v for (v,) in _rows(data, f"SELECT {column} FROM {binding.table}")]
                present = [v for v in values if v is not None]
                assert present, f"{binding.table}.{column} is never set"
                for value in present:
                    datetime.fromisoformat(value)  # a date or a timestamp, nothing else
            if binding.files is not None:
                assert data.files is not None
                column = binding.files.column
                for (path,) in _rows(data, f"SELECT {column} FROM {binding.table}"):
                    assert (data.files / path).is_file()


def test_the_written_sources_file_loads_as_the_organisations_sources(
    uow: UnitOfWork, jjh: ExampleData, r3: ExampleData
) -> None:
    """What ``dataward sources load`` does, on both databases."""
    for example, data in ((JJH, jjh), (R3, r3)):
        store_example(uow, example)
        assert store_sources_file(uow, data.organisation, load_written(data)) == 1
    uow.commit()


@pytest.mark.parametrize("org", ["jjh", "r3"])
def test_the_same_seed_gives_the_same_rows_and_another_seed_others(
    org: str, tmp_path: Path
) -> None:
    first = _build(org, tmp_path / "a")
    again = _build(org, tmp_path / "b")
    other = _build(org, tmp_path / "c", seed=8)
    assert first.tables == again.tables
    for table in first.tables:
        sql = f"SELECT * FROM {table} ORDER BY id"
        assert _rows(first, sql) == _rows(again, sql), table
    main = "tenants" if org == "jjh" else "customers"
    sql = f"SELECT * FROM {main} ORDER BY id"
    assert _rows(first, sql) != _rows(other, sql)
    # Fast enough for tests at the default size (measured 0.3 to 0.9 s).
    assert first.seconds < 5


# -- every retention rule of JJH: due, not yet due, held (computed from the dates) ------------


@dataclass
class Split:
    due: int = 0
    not_due: int = 0
    held: int = 0

    def add(self, due_on: date | None, held: bool) -> None:
        if due_on is None or due_on > TODAY:
            self.not_due += 1
        elif held:
            self.held += 1
        else:
            self.due += 1


def _day(value: str) -> date:
    return datetime.fromisoformat(value).date()


def _plus_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError(day)  # pragma: no cover


def _plus_years(day: date, years: int) -> date:
    return _plus_months(day, 12 * years)


def test_every_jjh_rule_has_rows_due_not_due_and_held(jjh: ExampleData) -> None:
    """RULES: RET-01, RET-02 (JJH retention r1..r10)."""
    splits: dict[str, Split] = {}
    calls = splits["call_recordings"] = Split()
    for (called_at,) in _rows(jjh, "SELECT called_at FROM calls"):
        calls.add(_plus_months(_day(called_at), 6), held=False)
    cctv = splits["cctv_footage"] = Split()
    for recorded_at, kept in _rows(
        jjh,
        "SELECT c.recorded_at, EXISTS (SELECT 1 FROM cctv_evidence e WHERE e.clip_id = c.id "
        "AND e.released_on IS NULL) FROM cctv_clips c",
    ):
        cctv.add(_day(recorded_at) + timedelta(days=30), held=bool(kept))
    photos = splits["publication_images"] = Split()
    published = 0
    for taken_on, published_in in _rows(jjh, "SELECT taken_on, published_in FROM photos"):
        # Used in a publication or not, JJH's own copy goes (no hold: retention.r3).
        photos.add(_plus_years(_day(taken_on), 3), held=False)
        published += published_in is not None
    tenancies = splits["tenancy_records"] = Split()
    held_by: dict[str, int] = {"debts": 0, "legal_matters": 0}
    for ended_on, debt, matter in _rows(
        jjh,
        "SELECT t.ended_on, "
        "EXISTS (SELECT 1 FROM debts d WHERE d.tenancy_id = t.id AND d.cleared_on IS NULL), "
        "EXISTS (SELECT 1 FROM legal_matters m WHERE m.tenancy_id = t.id "
        "AND m.closed_on IS NULL) FROM tenancies t",
    ):
        due_on = None if ended_on is None else _plus_years(_day(ended_on), 6)
        tenancies.add(due_on, held=bool(debt or matter))
        if due_on is not None and due_on <= TODAY:
            held_by["debts"] += bool(debt)
            held_by["legal_matters"] += bool(matter)
    for rule, split in splits.items():
        assert split.due >= 1, rule
        assert split.not_due >= 1, rule
    # Rules with holds; photographs used in a publication are there, held by nothing.
    for rule in ("cctv_footage", "tenancy_records"):
        assert splits[rule].held >= 1, rule
    assert published >= 1
    assert held_by["debts"] >= 1
    assert held_by["legal_matters"] >= 1
    sources = load_written(jjh).sources
    # Paper tenancy files are destroyed by hand; card details are never stored anywhere.
    assert "tenancy_files" in sources.searched_by_hand
    assert all(
        info.category != "card_details"
        for bindings in sources.datasets.values()
        for binding in bindings
        for info in binding.columns.values()
    )
    rules = {r.id for r in register_of(JJH).retention_rules}
    assert rules == {*splits, "tenancy_files", "card_details"}


# -- R3: no period is stated, so: ended, still running, held; Scottish days ------------------


def test_every_r3_rule_has_ended_running_and_held_rows(r3: ExampleData) -> None:
    """RULES: RET-01, RET-02 on R3's register: its offsets are unspecified, so the data has
    triggers that happened, ones that have not (kept while the service or membership runs)
    and held ones; nothing here assumes a period."""
    jobs = _rows(
        r3,
        "SELECT j.completed_on, "
        "EXISTS (SELECT 1 FROM complaints c WHERE c.job_id = j.id AND c.closed_on IS NULL) "
        "OR EXISTS (SELECT 1 FROM complaints c WHERE c.customer_id = j.customer_id "
        "AND c.closed_on IS NULL) "
        "OR EXISTS (SELECT 1 FROM litigation_prospects p WHERE p.customer_id = j.customer_id "
        "AND p.closed_on IS NULL) "
        "OR EXISTS (SELECT 1 FROM restrictions r WHERE r.customer_id = j.customer_id "
        "AND r.lifted_on IS NULL) FROM jobs j",
    )
    members = _rows(
        r3,
        "SELECT m.left_on, "
        "EXISTS (SELECT 1 FROM complaints c WHERE c.member_id = m.id AND c.closed_on IS NULL) "
        "OR EXISTS (SELECT 1 FROM litigation_prospects p WHERE p.member_id = m.id "
        "AND p.closed_on IS NULL) FROM members m",
    )
    for rule, rows in (("service_data", jobs), ("membership_data", members)):
        ended = [held for end, held in rows if end is not None]
        assert sum(not held for held in ended) >= 1, f"{rule}: ended, not held"
        assert sum(bool(held) for held in ended) >= 1, f"{rule}: ended and held"
        assert any(end is None for end, _ in rows), f"{rule}: still running"
    restricted = _rows(r3, "SELECT COUNT(*) FROM restrictions WHERE lifted_on IS NULL")
    assert restricted[0][0] >= 1
    # Some service and membership ends fall just before a Scottish-only bank holiday: a
    # working day counted from them differs in Scotland and England.
    ends = [_day(end) for end, _ in jobs + members if end is not None]
    crossing = [
        d for d in ends if add_working_days(d, 1, Nation.SCT) != add_working_days(d, 1, Nation.ENG)
    ]
    assert len(crossing) >= 3
    # The "as long as necessary" rules' triggers are bound to nothing: a decision, not data.
    events = {
        event
        for bindings in load_written(r3).sources.datasets.values()
        for binding in bindings
        for event in binding.events
    }
    assert events == {"service_ended", "membership_ended"}
    rules = {r.id for r in register_of(R3).retention_rules}
    assert rules == {"general_limit", "service_data", "membership_data", "paper_disposal"}


# -- the command ---------------------------------------------------------------------------


def test_the_command_writes_a_database_the_connected_check_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "examples",
            "data",
            "--org",
            "jjh",
            "--people",
            "30",
            "--today",
            "2026-06-01",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert f"export JJH_HOUSING_DB_URL=sqlite:///{out.resolve()}/jjh-operational.db" in (
        result.output
    )
    monkeypatch.setenv("JJH_HOUSING_DB_URL", f"sqlite:///{out.resolve()}/jjh-operational.db")
    monkeypatch.setenv("JJH_FILES_DIR", str(out.resolve() / "jjh-files"))
    check = CliRunner().invoke(
        app,
        [
            "sources",
            "check",
            str(out / "jjh-sources.yaml"),
            "--register",
            str(JJH.register_path),
            "--connect",
        ],
    )
    assert check.exit_code == 0, check.output
    assert check.output.splitlines()[-1].endswith(
        "connected to 2 of 2 sources; 0 problems, 1 warning"
    )
    assert NAME_ONLY_WARNING in check.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--org", "acme"], "no example data for 'acme': choose one of jjh"),
        (["--org", "r3", "--people", "0"], "--people must be between 1 and 100,000"),
        (["--org", "r3", "--today", "2026-13-01"], "--today must be a date like 2026-06-01"),
    ],
)
def test_bad_input_is_one_clear_line_and_writes_nothing(
    args: list[str], message: str, tmp_path: Path
) -> None:
    result = CliRunner().invoke(app, ["examples", "data", *args, "--out", str(tmp_path)])
    # `dataward` prints the error as one line and exits 2 (cli.app.main, report_error).
    assert isinstance(result.exception, ValidationFailed)
    assert result.exception.exit_code == 2
    assert message in result.exception.message
    assert list(tmp_path.iterdir()) == []


def test_an_existing_database_is_kept_unless_replace(tmp_path: Path) -> None:
    first = _build("r3", tmp_path)
    before = first.database.read_bytes()
    result = CliRunner().invoke(
        app, ["examples", "data", "--org", "r3", "--seed", "9", "--out", str(tmp_path)]
    )
    assert isinstance(result.exception, DemoExists)
    assert "already exists: add --replace" in result.exception.message
    assert first.database.read_bytes() == before
    again = _build("r3", tmp_path, seed=9, replace=True)
    assert again.database.read_bytes() != before


def test_it_says_where_the_examples_are_when_it_cannot_find_them(tmp_path: Path) -> None:
    """Run outside a checkout: one clear line, not a traceback, and nothing written."""
    out = tmp_path / "out"
    with pytest.raises(ValidationFailed, match="set DATAWARD_EXAMPLES_DIR"):
        build_example_data(
            ExampleDataOptions(org="jjh", today=TODAY, examples_dir=tmp_path / "none", out=out)
        )
    assert not out.exists()
