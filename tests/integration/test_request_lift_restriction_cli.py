"""``dataward request lift-restriction``: a restriction applied from a request is lifted
from a terminal only after the requester is told (RES-01, Art 18(3); issue 19).

The shop's register (``sales`` rests on contract); a restriction request linked to a
customer, identity proven, restriction applied through the services, then the CLI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from consent_support import SHOP, customer
from sqlalchemy import create_engine, select, text
from typer.testing import CliRunner

from dataward.cli.app import app
from dataward.config import get_settings
from dataward.consent.models import Restriction
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.requests.rights_applied import apply_right
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.tasks import tasks_of
from dataward.requests.transitions import Step, link_subject, verify_identity
from dataward.runtime import open_runtime

SHOP_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "consent" / "registers" / "shop.yaml"
CASE = "user:u_case"
runner = CliRunner()


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, (result.output, result.exception)
    return result.output


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A migrated SQLite database with the shop's register and fresh keys."""
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
    get_settings.cache_clear()
    with open_runtime() as runtime, runtime.uow() as uow:
        store_register(uow, load_register(SHOP_FILE), actor="test")
        uow.commit()
    yield path
    get_settings.cache_clear()


def _restricted(email: str) -> tuple[str, str]:
    """A restriction request whose restriction is applied: (request ref, restriction ref)."""
    ann = Requester(name="Ann Example", email=email, words="Stop using my data.")
    with open_runtime() as runtime, runtime.uow() as uow:
        today = uow.clock.today()
        row = open_request(uow, NewRequest(SHOP, ("restriction",), "email", today, ann), actor=CASE)
        link_subject(uow, SHOP, row.ref, customer(uow, email), Step(CASE, today))
        verify_identity(uow, SHOP, row.ref, "document", Step(CASE, today))
        task = next(t for t in tasks_of(uow, row) if t.kind == "execute")
        apply_right(uow, SHOP, row.ref, task.id, ground="legal_claims", actor=CASE)
        uow.commit()
        restriction = uow.session.scalars(
            select(Restriction.ref).where(Restriction.subject_id == row.subject_id)
        ).one()
        return row.ref, restriction


def _state(path: Path, restriction: str) -> tuple[object, object, int]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            told, lifted = conn.execute(
                text("SELECT subject_told_at, lifted_at FROM restrictions WHERE ref = :r"),
                {"r": restriction},
            ).one()
            messages = conn.execute(
                text("SELECT count(*) FROM outbox_messages WHERE kind = 'restriction_lifting'")
            ).scalar_one()
            return told, lifted, messages
    finally:
        engine.dispose()


def test_it_lifts_a_restriction_only_after_warning_the_requester(database: Path) -> None:
    ref, restriction = _restricted("ann@example.com")
    early = run("request", "lift-restriction", SHOP, ref, restriction, "--lift", code=2)
    assert early.strip().startswith("refused [restriction_invalid]: tell the subject")
    assert "Traceback" not in early
    assert _state(database, restriction) == (None, None, 0)

    warned = run("request", "lift-restriction", SHOP, ref, restriction, "--warn")
    assert warned.strip() == f"{restriction}: the requester was told it will be lifted"
    told, lifted, messages = _state(database, restriction)
    assert (told is not None, lifted, messages) == (True, None, 1)

    lifted_out = run("request", "lift-restriction", SHOP, ref, restriction, "--lift")
    assert lifted_out.strip() == f"{restriction}: lifted"
    assert _state(database, restriction)[1] is not None


def test_it_refuses_a_bad_call_with_one_line(database: Path) -> None:
    ref, restriction = _restricted("ann@example.com")
    both = run("request", "lift-restriction", SHOP, ref, restriction, "--warn", "--lift", code=2)
    assert both.strip() == "give exactly one of --warn or --lift"
    neither = run("request", "lift-restriction", SHOP, ref, restriction, code=2)
    assert neither.strip() == "give exactly one of --warn or --lift"
    other_ref, other = _restricted("bob@example.com")
    wrong = run("request", "lift-restriction", SHOP, ref, other, "--warn", code=2)
    assert "restriction_invalid" in wrong
    assert "not on this request's subject" in wrong
    assert _state(database, other) == (None, None, 0)
    assert other_ref != ref
    helped = run("request", "lift-restriction", "--help")
    assert "--warn" in helped
    assert "--lift" in helped
