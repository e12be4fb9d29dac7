"""``dataward request show``, ``step`` and ``export`` on both backends (issue 16)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import sessionmaker
from typer.testing import CliRunner

from dataward.cli import request_cmd
from dataward.cli.app import app
from dataward.clock import FixedClock
from dataward.crypto.keystore import Vault
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.request_logs import LOG_COLUMNS, full_request_log
from dataward.requests.audit_actions import REQUEST_IDENTITY_VERIFIED
from dataward.requests.export import CSV_COLUMNS
from dataward.requests.service import NewRequest, Requester, get_request, open_request
from dataward.runtime import Runtime
from dataward.uow import UnitOfWork

SHOP_FILE = Path(__file__).resolve().parents[1] / "fixtures" / "consent" / "registers" / "shop.yaml"
ORG = "corner_shop"
runner = CliRunner()


class _Borrowed(Runtime):
    """The test's database, key store and fixed clock, left open when the command ends."""

    def close(self) -> None:
        pass


@pytest.fixture
def shop(
    uow: UnitOfWork,
    session_factory: sessionmaker[Any],
    clock: FixedClock,
    vault: Vault,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[UnitOfWork]:
    store_register(uow, load_register(SHOP_FILE), actor="test")
    uow.commit()
    borrowed = _Borrowed(session_factory.kw["bind"], session_factory, vault, clock)
    monkeypatch.setattr(request_cmd, "open_runtime", lambda *a, **k: borrowed)
    return uow


def _open(uow: UnitOfWork, received: date, name: str = "Jane Doe", channel: str = "post") -> str:
    requester = Requester(name=name, words="Everything you hold on me, please.")
    row = open_request(uow, NewRequest(ORG, ["access"], channel, received, requester), actor="test")
    uow.commit()
    return row.ref


def _state(uow: UnitOfWork, ref: str) -> str:
    uow.session.expire_all()
    return get_request(uow, ORG, ref).state


def test_show_prints_the_clock_and_history_but_no_personal_data_unless_asked(
    shop: UnitOfWork, clock: FixedClock
) -> None:
    ref = _open(shop, date(2026, 11, 20))
    shown = runner.invoke(app, ["request", "show", ORG, ref])
    assert shown.exit_code == 0, shown.output
    assert ref in shown.output
    assert "received" in shown.output
    assert "2026-11-20" in shown.output
    assert "request.received" in shown.output
    assert "Tasks (SAR-07)" in shown.output
    assert "Letters" in shown.output
    assert "Jane" not in shown.output
    assert "Everything you hold" not in shown.output

    # A step with a note: the note is personal too (sealed), shown only on request.
    stepped = runner.invoke(
        app,
        [
            "request",
            "step",
            ORG,
            ref,
            "verify_identity",
            "--on",
            "2026-11-21",
            "--method",
            "document",
            "--note",
            "Passport seen by Sam",
        ],
    )
    assert stepped.exit_code == 0, stepped.output
    assert "Passport" not in runner.invoke(app, ["request", "show", ORG, ref]).output
    full = runner.invoke(app, ["request", "show", ORG, ref, "--with-requester"])
    assert full.exit_code == 0, full.output
    assert "Jane Doe" in full.output
    assert "Everything you hold on me" in full.output
    assert "Passport seen by Sam" in full.output
    assert "verified 2026-11-21 by document" in full.output


def test_show_an_unknown_reference_says_so_plainly(shop: UnitOfWork) -> None:
    missing = runner.invoke(app, ["request", "show", ORG, "q_0000000000000000"])
    assert missing.exit_code == 2
    assert "request_not_found" in missing.output
    assert "Traceback" not in missing.output


def test_step_runs_the_consoles_service_and_the_rules_refuse_what_they_forbid(
    shop: UnitOfWork, clock: FixedClock
) -> None:
    ref = _open(shop, date(2026, 11, 20))
    verified = runner.invoke(
        app,
        [
            "request",
            "step",
            ORG,
            ref,
            "verify_identity",
            "--on",
            "2026-11-21",
            "--method",
            "document",
            "--actor",
            "user:u_case",
        ],
    )
    assert verified.exit_code == 0, verified.output
    assert f"{ref}: in_progress" in verified.output
    assert "due 2026-12-21" in verified.output  # RULES: SAR-01: a month from receipt
    assert _state(shop, ref) == "in_progress"
    from sqlalchemy import select

    from dataward.audit.models import AuditEvent

    audited = shop.session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity_id == ref, AuditEvent.action == REQUEST_IDENTITY_VERIFIED
        )
    ).one()
    assert audited.actor == "user:u_case"

    # RULES: SAR-04: an extension needs its reasons; the refusal is one line with its code.
    bare = runner.invoke(app, ["request", "step", ORG, ref, "extend", "--on", "2026-11-22"])
    assert bare.exit_code == 2
    assert "refused [request_invalid]" in bare.output
    assert _state(shop, ref) == "in_progress"
    once = ["request", "step", ORG, ref, "extend", "--on", "2026-11-22", "--note", "Complex."]
    assert runner.invoke(app, once).exit_code == 0
    twice = runner.invoke(app, once)
    assert twice.exit_code == 2
    assert "refused [request_transition_refused]: this request was extended already" in (
        twice.output
    )
    assert len(twice.output.strip().splitlines()) == 1


def test_step_refuses_a_future_day_an_unknown_ref_and_a_mismatched_option(
    shop: UnitOfWork, clock: FixedClock
) -> None:
    ref = _open(shop, date(2026, 11, 20))
    cases = [
        (["ask_identity", "--on", "2026-11-26"], "request_invalid", "after today"),
        (["ask_identity", "--on", "26/11/2026"], "request_invalid", "--on must be a date"),
        (["ask_identity", "--on", "2026-11-19"], "request_invalid", "before the request"),
        (["ask_identity", "--method", "document"], "request_invalid", "verify_identity only"),
        (["verify_identity"], "request_invalid", "needs --method"),
        (["verify_identity", "--method", "a_hunch"], "request_invalid", "method must be"),
        (["assign", "--method", "document"], "request_invalid", "verify_identity only"),
        (["fly_to_the_moon"], "request_invalid", "unknown step"),
        (["close"], "request_transition_refused", "cannot close a request that is received"),
        # RULES: SAR-05: nothing is disclosed to a requester not yet verified.
        (["respond"], "request_transition_refused", "verify the requester's identity"),
    ]
    for args, code, words in cases:
        result = runner.invoke(app, ["request", "step", ORG, ref, *args])
        assert result.exit_code == 2, (args, result.output)
        assert f"refused [{code}]" in result.output, (args, result.output)
        assert words in result.output, (args, result.output)
        assert _state(shop, ref) == "received", args
    unknown = runner.invoke(app, ["request", "step", ORG, "q_ffffffffffffffff", "ask_identity"])
    assert unknown.exit_code == 2
    assert "refused [request_not_found]" in unknown.output
    # With no --on the step takes effect today (the clock's day), and the clock stops.
    asked = runner.invoke(app, ["request", "step", ORG, ref, "ask_identity"])
    assert asked.exit_code == 0, asked.output
    assert _state(shop, ref) == "awaiting_identity"
    assign = ["request", "step", ORG, ref, "assign", "--assignee", "user:u_amy"]
    assert runner.invoke(app, assign).exit_code == 0
    shop.session.expire_all()
    assert get_request(shop, ORG, ref).assignee == "user:u_amy"


def test_export_writes_the_consoles_csv_filtered_by_month(
    shop: UnitOfWork, clock: FixedClock
) -> None:
    october = _open(shop, date(2026, 10, 30), channel="email")
    november = _open(shop, date(2026, 11, 2), name="John Roe")
    everything = runner.invoke(app, ["request", "export", "--org", ORG])
    assert everything.exit_code == 0, everything.output
    rows = list(csv.reader(io.StringIO(everything.stdout)))
    header = (*CSV_COLUMNS, *(name for added in LOG_COLUMNS for name in added.names))
    assert tuple(rows[0]) == header
    assert [r[0] for r in rows[1:]] == [october, november]  # oldest first
    assert "Jane" not in everything.stdout
    assert "John" not in everything.stdout
    # The same bytes as the console's download, which writes through the same function.
    assert everything.stdout_bytes == "".join(full_request_log(shop, ORG, None)).encode()

    only = runner.invoke(app, ["request", "export", "--month", "2026-11"])
    assert only.exit_code == 0, only.output
    assert [r[0] for r in list(csv.reader(io.StringIO(only.stdout)))[1:]] == [november]
    other = runner.invoke(app, ["request", "export", "--org", "nobody_here"])
    assert list(csv.reader(io.StringIO(other.stdout))) == [list(header)]
    bad = runner.invoke(app, ["request", "export", "--month", "November"])
    assert bad.exit_code == 2
    assert "month must be YYYY-MM" in bad.output
