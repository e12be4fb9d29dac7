"""``dataward consent``: the staff actions on a subject from a terminal (issue 15, item 8).

The same services as the console's subject page; each change is audited under --actor and
a bad input exits 2 with one line, changing nothing. Rules: CON-*, OBJ-01, OBJ-02, RES-01.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from typer.testing import CliRunner

from dataward.cli.app import app
from dataward.config import get_settings
from dataward.db import make_engine, make_session_factory
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.uow import UnitOfWork

SHOP_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "consent" / "registers" / "shop.yaml"
runner = CliRunner()


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (result.output, result.exception)
    return result.output


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A migrated SQLite database with the shop's register, its key store and fresh keys."""
    for name in list(os.environ):
        if name.startswith("DATAWARD_"):
            monkeypatch.delenv(name)
    path = tmp_path / "dataward.db"
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATAWARD_DATABASE_URL", url)
    monkeypatch.setenv("DATAWARD_KEYSTORE_URL", f"sqlite:///{tmp_path / 'keys.db'}")
    get_settings.cache_clear()
    run("db", "upgrade", "--url", url)
    for line in run("keys", "generate").splitlines():
        name, _, value = line.partition("=")
        monkeypatch.setenv(name, value)
    engine = make_engine(url)
    with UnitOfWork(make_session_factory(engine)) as uow:
        store_register(uow, load_register(SHOP_FILE), actor="test")
        uow.commit()
    engine.dispose()
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


def _audit(path: Path, prefix: str) -> list[tuple[str, str]]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT action, actor FROM audit_events WHERE action LIKE :p ORDER BY seq"),
                {"p": prefix + "%"},
            )
            return [(r[0], r[1]) for r in rows]
    finally:
        engine.dispose()


def _answer(shown: str, purpose: str, channel: str = "") -> str:
    """The answer column of ``consent show`` for one purpose (and channel)."""
    for line in shown.splitlines():
        cells = [c.strip() for c in line.strip("│┃ ").replace("┃", "│").split("│")]
        if len(cells) >= 3 and cells[0] == purpose and cells[1] == channel:
            return cells[2]
    raise AssertionError(f"no row for {purpose}/{channel} in:\n{shown}")


def test_consent_is_given_shown_and_withdrawn(database: Path) -> None:
    ref = run("subject", "add", "--org", "corner_shop", "-g", "customers", "-i", "email=a@b.uk")
    ref = ref.strip()
    assert _answer(run("consent", "show", "--org", "corner_shop", ref), "loyalty_photos") == "no"
    given = run(
        "consent",
        "give",
        "--org",
        "corner_shop",
        ref,
        "loyalty_photos",
        "--method",
        "paper",
        "--evidence",
        "Signed photo form 12",
        "--actor",
        "user:u_case",
    )
    assert given.startswith("consent recorded: ")
    shown = run("consent", "show", "--org", "corner_shop", ref)
    assert _answer(shown, "loyalty_photos") == "yes"
    run("consent", "withdraw", "--org", "corner_shop", ref, "loyalty_photos", "--method", "phone")
    assert _answer(run("consent", "show", "--org", "corner_shop", ref), "loyalty_photos") == "no"
    assert _audit(database, "consent.") == [
        ("consent.consent.given", "user:u_case"),
        ("consent.consent.withdrawn", "cli"),
    ]


def test_objections_and_a_restriction_from_the_terminal(database: Path) -> None:
    ref = run("subject", "add", "--org", "corner_shop", "-g", "customers", "-i", "email=c@d.uk")
    ref = ref.strip()
    run(
        "consent", "object", "--org", "corner_shop", ref, "--marketing", "post", "--method", "paper"
    )
    shown = run("consent", "show", "--org", "corner_shop", ref)
    assert _answer(shown, "offers", "post") == "no"  # OBJ-02
    li = run(
        "consent",
        "object",
        "--org",
        "corner_shop",
        ref,
        "--purpose",
        "fraud_checks",
        "--method",
        "email",
    )
    assert li.strip().endswith("(pending)")
    objection = li.split(": ", 1)[1].split(" ", 1)[0]
    assert _answer(run("consent", "show", "--org", "corner_shop", ref), "fraud_checks") == "no"
    run(
        "consent",
        "decide-objection",
        "--org",
        "corner_shop",
        objection,
        "--outcome",
        "compelling_grounds",
        "--reasons",
        "Fraud pattern found",
    )
    assert _answer(run("consent", "show", "--org", "corner_shop", ref), "fraud_checks") == "yes"
    started = run("consent", "restrict", "--org", "corner_shop", ref, "--ground", "unlawful")
    restriction = started.strip().rsplit(" ", 1)[1]
    assert _answer(run("consent", "show", "--org", "corner_shop", ref), "sales") == "no"
    # RES-01: lifting before the subject is told is refused, and --yes is needed.
    run("consent", "lift", "--org", "corner_shop", restriction, code=2)
    result = runner.invoke(app, ["consent", "lift", "--org", "corner_shop", restriction, "--yes"])
    assert result.exit_code != 0
    assert _answer(run("consent", "show", "--org", "corner_shop", ref), "sales") == "no"
    run("consent", "told", "--org", "corner_shop", restriction)
    run("consent", "lift", "--org", "corner_shop", restriction, "--yes")
    assert _answer(run("consent", "show", "--org", "corner_shop", ref), "sales") == "yes"
    assert [a for a, _ in _audit(database, "restriction.")] == [
        "restriction.started",
        "restriction.subject_told",
        "restriction.lifted",
    ]


def test_an_objection_must_say_what_it_is_to(database: Path) -> None:
    ref = run("subject", "add", "--org", "corner_shop", "-g", "customers", "-i", "email=e@f.uk")
    out = run("consent", "object", "--org", "corner_shop", ref.strip(), "--method", "paper", code=2)
    assert "say what the objection is to" in out
    assert _audit(database, "objection.") == []


def test_subject_find_says_when_nothing_matches(database: Path) -> None:
    """Issue 15, item 7: a search with no match says so and exits 1."""
    result = runner.invoke(app, ["subject", "find", "--org", "corner_shop", "email", "no@one.uk"])
    assert result.exit_code == 1
    assert "no subject of corner_shop holds this email" in result.output
