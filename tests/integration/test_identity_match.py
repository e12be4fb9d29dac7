"""Which identities find a person on their own (SAR-07, ERA-01): one rule for every connector.

An email, a phone number, a reference or an NI number finds the person's row alone. A name,
an address, a date of birth, an IP address or a vehicle registration finds it only together
with another of the person's identities matching the same row: many people share each of
those, and disclosing or erasing someone else's data is the breach a search must never cause.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from dataward.cli.app import app
from dataward.scratch import scratch_databases
from dataward.sources.check import check_connected
from dataward.sources.connectors import open_all
from dataward.sources.connectors.base import (
    IDENTIFYING_ALONE,
    ONLY_TOGETHER,
    IdentityValues,
    lone_weak_kinds,
    stream_subject,
)
from dataward.sources.loader import parse_sources
from dataward.sources.models import SourcesFile

# Ann and her namesake share a name; Ann and Bob share a date of birth; Ann and Carol share an
# address. Only Ann has Ann's name with Ann's date of birth, or with Ann's address.
PEOPLE = [
    (1, "ann@example.org", "Ann", "Lee", "1946-01-20", "1 High St"),
    (2, "other.ann@example.org", "Ann", "Lee", "1980-05-05", "9 Low Rd"),
    (3, "bob@example.org", "Bob", "Hart", "1946-01-20", "5 Mill Ln"),
    (4, "carol@example.org", "Carol", "Day", "1990-02-02", "1 High St"),
]
ANN_NAME = [("Ann", "Lee")]
REGISTER = Path(__file__).resolve().parents[2] / "examples" / "jtr-collections.yaml"

SOURCES = """\
format_version: 1
organisation: jtr_collections
connections:
  agency:
    kind: sql
    url_from: AGENCY_DB_URL
datasets:
  customers:
    - connection: agency
      table: people
      key: id
      identities:
        email: email
        name: [first_name, last_name]
        date_of_birth: date_of_birth
        address: address
  cases:
    - connection: agency
      table: letters
      key: id
      subject: {via: person_id, table: people, key: id}
      identities:
        name: [first_name, last_name]
        date_of_birth: date_of_birth
"""


@pytest.fixture(scope="module")
def agency_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """People and their letters; letters 900 and 901 are addressed by name and birth date
    only (no person_id): 900 is Ann's, 901 names Ann with Bob's date of birth."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('idmatch') / 'agency.db'}"
        _build(url)
        yield url
        return
    with scratch_databases(os.environ["DATAWARD_TEST_DATABASE_URL"], "idmatch") as (url,):
        _build(url)
        yield url


def _build(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "CREATE TABLE people (id INTEGER PRIMARY KEY, email TEXT, first_name TEXT, "
                "last_name TEXT, date_of_birth DATE, address TEXT)"
            )
        )
        conn.execute(
            text(
                "CREATE TABLE letters (id INTEGER PRIMARY KEY, person_id INTEGER, "
                "first_name TEXT, last_name TEXT, date_of_birth DATE)"
            )
        )
        conn.execute(
            text("INSERT INTO people VALUES (:i, :e, :f, :l, :d, :a)"),
            [
                {**dict(zip("ieflda", person, strict=True)), "d": date.fromisoformat(person[4])}
                for person in PEOPLE
            ],
        )
        conn.execute(
            text("INSERT INTO letters VALUES (:i, :p, :f, :l, :d)"),
            [
                {"i": 100 + p[0], "p": p[0], "f": p[2], "l": p[3], "d": date.fromisoformat(p[4])}
                for p in PEOPLE
            ]
            + [
                {"i": 900, "p": None, "f": "Ann", "l": "Lee", "d": date(1946, 1, 20)},
                {"i": 901, "p": None, "f": "Ann", "l": "Lee", "d": date(1999, 9, 9)},
            ],
        )
    engine.dispose()


def _found(
    sources: SourcesFile, env: dict[str, str], values: IdentityValues
) -> dict[str, set[int]]:
    opened = open_all(sources, env)
    try:
        return {
            part.dataset: {int(row["id"]) for row in part.rows}
            for part in stream_subject(sources, opened, values)
        }
    finally:
        for connector in opened.values():
            connector.close()


def _sql(agency_url: str, values: IdentityValues) -> dict[str, set[int]]:
    sources = parse_sources(SOURCES, "sources.yaml").sources
    return _found(sources, {"AGENCY_DB_URL": agency_url}, values)


def test_the_rule_splits_every_register_kind_once() -> None:
    assert IDENTIFYING_ALONE.isdisjoint(ONLY_TOGETHER)
    assert {"email", "ni_number", "customer_ref"} <= IDENTIFYING_ALONE
    assert {"name", "date_of_birth", "address"} <= ONLY_TOGETHER


def test_a_name_and_date_of_birth_together_find_only_the_person(agency_url: str) -> None:
    found = _sql(agency_url, {"name": ANN_NAME, "date_of_birth": ["1946-01-20"]})
    assert found["customers"] == {1}  # not the other Ann (name), not Bob (date of birth)
    # Her letter through the relation, and the one addressed to her name and birth date.
    assert found["cases"] == {101, 900}


def test_a_name_and_address_together_find_the_person(agency_url: str) -> None:
    found = _sql(agency_url, {"name": ANN_NAME, "address": ["1 High St"]})
    assert found["customers"] == {1}  # not Carol at the same address


def test_a_lone_name_or_date_of_birth_finds_nobody(agency_url: str) -> None:
    assert _sql(agency_url, {"name": ANN_NAME}) == {"customers": set(), "cases": set()}
    assert _sql(agency_url, {"date_of_birth": ["1946-01-20"]}) == {
        "customers": set(),
        "cases": set(),
    }


def test_two_weak_values_matching_different_rows_find_nobody(agency_url: str) -> None:
    # Ann's name is on rows 1 and 2, the date of birth on 1 and 3; the address on neither.
    found = _sql(agency_url, {"name": [("Bob", "Hart")], "address": ["1 High St"]})
    assert found["customers"] == set()


def test_a_strong_identity_still_finds_the_row_alone(agency_url: str) -> None:
    found = _sql(agency_url, {"email": ["bob@example.org"]})
    assert found == {"customers": {3}, "cases": {103}}
    # With a weak value that matches someone else, still only Bob.
    found = _sql(agency_url, {"email": ["bob@example.org"], "address": ["1 High St"]})
    assert found["customers"] == {3}


FILE_SOURCES = """\
format_version: 1
organisation: jtr_collections
connections:
  exports:
    kind: {kind}
    url_from: EXPORTS_DIR
datasets:
  customers:
    - connection: exports
      pattern: "people/*.{kind}"
      key: id
      identities:
        email: email
        name: [first_name, last_name]
        date_of_birth: date_of_birth
        address: address
"""


def _write_files(folder: Path, kind: str) -> None:
    (folder / "people").mkdir(parents=True)
    rows = [
        dict(
            zip(
                ("id", "email", "first_name", "last_name", "date_of_birth", "address"),
                p,
                strict=True,
            )
        )
        for p in PEOPLE
    ]
    if kind == "csv":
        lines = ["id,email,first_name,last_name,date_of_birth,address"]
        lines += [",".join(str(v) for v in row.values()) for row in rows]
        (folder / "people" / "all.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    else:
        (folder / "people" / "all.json").write_text(json.dumps(rows), encoding="utf-8")


@pytest.mark.parametrize("kind", ["csv", "json"])
def test_files_follow_the_same_rule(tmp_path: Path, kind: str) -> None:
    _write_files(tmp_path, kind)
    sources = parse_sources(FILE_SOURCES.replace("{kind}", kind), "sources.yaml").sources
    env = {"EXPORTS_DIR": str(tmp_path)}

    def found(values: IdentityValues) -> set[int]:
        return _found(sources, env, values)["customers"]

    assert found({"name": ANN_NAME, "date_of_birth": ["1946-01-20"]}) == {1}
    assert found({"name": ANN_NAME, "address": ["1 High St"]}) == {1}
    assert found({"name": ANN_NAME}) == set()
    assert found({"date_of_birth": ["1946-01-20"]}) == set()
    assert found({"name": [("Bob", "Hart")], "address": ["1 High St"]}) == set()
    assert found({"email": ["carol@example.org"]}) == {4}


def test_a_binding_with_one_weak_kind_only_is_named() -> None:
    assert lone_weak_kinds({"date_of_birth": "dob"}) == ["date_of_birth"]
    assert lone_weak_kinds({"date_of_birth": "dob", "email": "email"}) == []
    assert lone_weak_kinds({"date_of_birth": "dob", "name": "name"}) == []
    assert lone_weak_kinds({"case_ref": "ref"}) == []


def test_the_connected_check_warns_of_a_binding_with_one_weak_identity(agency_url: str) -> None:
    body = SOURCES.replace(
        "      identities:\n        name: [first_name, last_name]\n"
        "        date_of_birth: date_of_birth\n",
        "      identities:\n        date_of_birth: date_of_birth\n",
    )
    assert body != SOURCES
    located = parse_sources(body, "sources.yaml")
    result = check_connected(located, env={"AGENCY_DB_URL": agency_url})
    assert result.errors == []
    lone = [f.problem for f in result.warnings if "only together" in f.problem.message]
    # The letters' binding (the second date_of_birth of the file), at its line.
    lines = [n for n, x in enumerate(body.splitlines(), 1) if "date_of_birth: date_of_birth" in x]
    assert [p.line for p in lone] == [lines[-1]]
    assert lone[0].message.startswith(
        "date_of_birth finds a row only together with another identity of the same row"
    )
    assert "datasets.cases[0].identities.date_of_birth" in str(lone[0])
    # The file as it was (name and date of birth together) draws no such warning.
    whole = check_connected(
        parse_sources(SOURCES, "sources.yaml"), env={"AGENCY_DB_URL": agency_url}
    )
    assert not [f for f in whole.warnings if "only together" in f.problem.message]


LONE = """\
format_version: 1
organisation: jtr_collections
connections:
  agency:
    kind: sql
    url_from: AGENCY_DB_URL
datasets:
  customers:
    - connection: agency
      table: people
      key: id
      identities:
        date_of_birth: date_of_birth
"""


@pytest.mark.parametrize("command", ["sources", "register"])
def test_both_checks_print_the_warning_at_its_line(
    agency_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(LONE, encoding="utf-8")
    monkeypatch.setenv("AGENCY_DB_URL", agency_url)
    args = (
        ["sources", "check", str(path), "--register", str(REGISTER), "--connect"]
        if command == "sources"
        else ["register", "check", str(REGISTER), "--sources", str(path)]
    )
    result = CliRunner().invoke(app, args)
    if command == "sources":
        assert result.exit_code == 0, result.output  # a warning, not a problem
    warned = [line for line in result.output.splitlines() if "only together" in line]
    assert len(warned) == 1, result.output
    assert warned[0].startswith(
        f"{path}:13:24: warning: datasets.customers[0].identities.date_of_birth: "
        "date_of_birth finds a row only together with another identity of the same row"
    )
