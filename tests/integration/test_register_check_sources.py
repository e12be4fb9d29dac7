"""`dataward register check REG --sources FILE`: the register's checks, then the sources
file's connected check against a small SQLite database of the organisation's.

The register is the loader's minimal fixture made lint-clean, so the exit code says what the
sources check found and nothing else.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dataward.cli.app import app

ROOT = Path(__file__).resolve().parents[2]
MINIMAL = ROOT / "tests" / "fixtures" / "loader" / "minimal.yaml"
URL_FROM = "ACME_SHOP_DB_URL"
SOURCES = """\
format_version: 1
organisation: acme
connections:
  shop:
    kind: sql
    url_from: ACME_SHOP_DB_URL
datasets:
  crm:
    - connection: shop
      table: customers
      key: id
      identities:
        email: email
    - connection: shop
      table: orders
      key: id
      subject: {via: customer_id, table: customers, key: id}
"""


def _register(folder: Path) -> Path:
    """The minimal register with what its lint asks for, so that it lints clean."""
    text = MINIMAL.read_text(encoding="utf-8").replace(
        "  how_to_exercise:",
        "  response: {months: 1, extension_months: 2, tell_subject_of_extension: true}\n"
        "  how_to_exercise:",
    )
    text += "security:\n  breach_procedure: {decided_by: dpo, ico_report_hours: 72}\n"
    path = folder / "register.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _shop(folder: Path) -> str:
    path = folder / "shop.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, email TEXT)")
        db.execute(
            "CREATE TABLE orders (id INTEGER PRIMARY KEY, "
            "customer_id INTEGER REFERENCES customers (id), placed_on DATE)"
        )
        db.execute("CREATE INDEX ix_orders_customer_id ON orders (customer_id)")
    db.close()
    return f"sqlite:///{path}"


def _line(text: str, needle: str) -> int:
    found = [n for n, line in enumerate(text.splitlines(), start=1) if needle in line]
    assert len(found) == 1, (needle, found)
    return found[0]


def _check(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    sources: str = SOURCES,
    url: str | None = "shop",
) -> tuple[int, list[str], Path]:
    register = _register(tmp_path)
    path = tmp_path / "sources.yaml"
    path.write_text(sources, encoding="utf-8")
    monkeypatch.delenv(URL_FROM, raising=False)
    monkeypatch.delenv(f"DATAWARD_{URL_FROM}", raising=False)
    if url is not None:
        monkeypatch.setenv(URL_FROM, _shop(tmp_path))
    result = CliRunner().invoke(app, ["register", "check", str(register), "--sources", str(path)])
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    return result.exit_code, result.output.splitlines(), path


def test_it_passes_a_sources_file_that_fits_and_prints_the_missing_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, lines, path = _check(tmp_path, monkeypatch)
    assert code == 0, lines
    assert lines[-1] == f"{path}: connected to 1 of 1 sources; 0 problems, 1 warning", lines
    assert f"{path}: valid; 1 datasets bound, 0 searched by hand" in lines
    # The register's own check ran first.
    assert any(
        line.endswith("register.yaml: valid; 0 lint errors, 16 other findings") for line in lines
    )
    at = next(n for n, line in enumerate(lines) if ": warning: " in line)
    assert lines[at].startswith(
        f"{path}:{_line(SOURCES, 'email: email')}:16: warning: datasets.crm[0].identities.email: "
        "no index on customers.email"
    ), lines[at]
    assert lines[at + 1].strip() == "CREATE INDEX ix_customers_email ON customers (email);"


def test_a_missing_table_exits_1_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = SOURCES.replace("table: orders", "table: order_lines")
    code, lines, path = _check(tmp_path, monkeypatch, sources)
    assert code == 1
    assert [line for line in lines if ": error: " in line] == [
        f"{path}:{_line(sources, 'table: order_lines')}:14: error: datasets.crm[1].table: "
        "table order_lines does not exist in connection shop"
    ]
    assert lines[-1] == f"{path}: connected to 1 of 1 sources; 1 problem, 1 warning"


def test_a_missing_column_exits_1_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = SOURCES.replace("email: email", "email: email_address")
    code, lines, path = _check(tmp_path, monkeypatch, sources)
    assert code == 1
    assert [line for line in lines if ": error: " in line] == [
        f"{path}:{_line(sources, 'email: email_address')}:16: error: "
        "datasets.crm[0].identities.email: identity (email) column email_address does not "
        "exist in table customers"
    ]


def test_an_unset_variable_is_named_without_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, lines, path = _check(tmp_path, monkeypatch, url=None)
    assert code == 1
    assert [line for line in lines if ": error: " in line] == [
        f"{path}:{_line(SOURCES, 'url_from')}:15: error: connections.shop.url_from: "
        f"connection shop: the environment variable {URL_FROM} is not set (url_from names "
        "where its URL comes from)"
    ]
    assert lines[-1] == f"{path}: connected to 0 of 1 sources; 1 problem, 0 warnings"
    assert not any("Traceback" in line or "sqlite://" in line for line in lines)


def test_a_sources_file_that_does_not_fit_the_register_exits_2_and_opens_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = SOURCES.replace("  crm:", "  crn:")
    code, lines, path = _check(tmp_path, monkeypatch, sources)
    assert code == 2
    assert (
        f"{path}:{_line(sources, 'crn:')}:3: datasets.crn: the register has no dataset 'crn'"
        in (lines)
    )
    assert lines[-1] == f"{path}: invalid against {tmp_path / 'register.yaml'}"
    assert not any("connected to" in line for line in lines)


def test_it_checks_one_register_against_a_sources_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register = _register(tmp_path)
    path = tmp_path / "sources.yaml"
    path.write_text(SOURCES, encoding="utf-8")
    result = CliRunner().invoke(
        app, ["register", "check", str(register), str(MINIMAL), "--sources", str(path)]
    )
    assert result.exit_code == 2
    assert result.output.strip() == (
        "--sources checks one register against its sources file; 2 registers were given"
    )


def test_an_invalid_register_leaves_the_sources_unchecked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    register = tmp_path / "broken.yaml"
    register.write_text("dataward: 1\norganisation: acme\n", encoding="utf-8")
    path = tmp_path / "sources.yaml"
    path.write_text(SOURCES, encoding="utf-8")
    monkeypatch.setenv(URL_FROM, _shop(tmp_path))
    result = CliRunner().invoke(app, ["register", "check", str(register), "--sources", str(path)])
    assert result.exit_code == 2
    lines = result.output.splitlines()
    assert lines[-1] == f"{path}: not checked: the register is invalid"
    assert not any("connected to" in line for line in lines)


# RULES: ERA-02 (what erasure keeps: a binding names the column of each entity's reference)
def test_an_entity_the_register_lacks_exits_2_at_its_line_and_opens_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = SOURCES.replace(
        "      subject: {via: customer_id, table: customers, key: id}\n",
        "      subject: {via: customer_id, table: customers, key: id}\n"
        "      entities: {custmer: customer_id}\n",
    )
    code, lines, path = _check(tmp_path, monkeypatch, sources)
    assert code == 2
    assert (
        f"{path}:{_line(sources, 'custmer')}:18: datasets.crm[1].entities.custmer: the register "
        "has no entity 'custmer' (its datasets' entities: customer)"
    ) in lines
    assert not any("connected to" in line for line in lines)


def test_an_entity_of_the_register_fits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sources = SOURCES.replace(
        "      subject: {via: customer_id, table: customers, key: id}\n",
        "      subject: {via: customer_id, table: customers, key: id}\n"
        "      entities: {customer: {via: customer_id, table: customers, key: id, "
        "column: email}}\n",
    )
    code, lines, _ = _check(tmp_path, monkeypatch, sources)
    assert code == 0, lines


# RULES: ERA-02
def test_an_entity_column_the_table_lacks_exits_1_at_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = SOURCES.replace(
        "      subject: {via: customer_id, table: customers, key: id}\n",
        "      subject: {via: customer_id, table: customers, key: id}\n"
        "      entities:\n"
        "        customer: {via: customer_id, table: customers, key: id, column: ref}\n",
    )
    code, lines, path = _check(tmp_path, monkeypatch, sources)
    assert code == 1
    assert [line for line in lines if ": error: " in line] == [
        f"{path}:{_line(sources, 'column: ref')}:73: error: "
        "datasets.crm[1].entities.customer.column: entity column ref does not exist in "
        "table customers"
    ]
