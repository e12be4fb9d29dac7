"""The demo's request queue: every state and urgency, opened once, through the services."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from dataward.audit.models import AuditEvent
from dataward.cli.app import app
from dataward.clock import FixedClock
from dataward.consent.models import Objection
from dataward.demo.rights_requests import ACTOR, PLANS, open_demo_requests
from dataward.demo.service import DemoOptions, create_demo
from dataward.requests.authority import authority_of
from dataward.requests.models import RightsRequest
from dataward.requests.queue import urgency, urgency_counts
from dataward.requests.service import requester_of
from dataward.uow import UnitOfWork

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ORG = "jtr_collections"
runner = CliRunner()


def _demo(uow: UnitOfWork, tmp_path: Path) -> None:
    create_demo(
        uow,
        DemoOptions(
            subjects=12,
            seed=1,
            operational_url=f"sqlite:///{tmp_path / 'operational.db'}",
            files_dir=None,
            sources_path=tmp_path / "sources.yaml",
            register_path=EXAMPLES / "jtr-collections.yaml",
        ),
    )
    uow.commit()


def _rows(uow: UnitOfWork) -> list[RightsRequest]:
    query = select(RightsRequest).where(RightsRequest.organisation == ORG)
    return list(uow.session.scalars(query.order_by(RightsRequest.received_on)))


def test_the_demo_queue_holds_every_urgency_and_state_once(
    uow: UnitOfWork, clock: FixedClock, tmp_path: Path, database_url: str
) -> None:
    _demo(uow, tmp_path)
    first = open_demo_requests(uow, ORG, seed=1)
    uow.commit()
    assert first.opened == len(PLANS) == 13
    again = open_demo_requests(uow, ORG, seed=1)  # a second `make run`: nothing twice
    uow.commit()
    assert (again.opened, again.existing) == (0, 13)

    rows = _rows(uow)
    assert len(rows) == 13
    today = clock.today()
    assert urgency_counts(uow, ORG, today) == {
        "overdue": 1,
        "due_soon": 1,
        "on_time": 5,
        "waiting": 3,
    }
    assert Counter(r.state for r in rows) == {
        "in_progress": 3,
        "received": 2,
        "awaiting_identity": 2,  # one for identity (SAR-05), one for authority (SAR-10)
        "awaiting_clarification": 1,
        "extended": 1,
        "ready_for_review": 1,
        "closed": 2,
        "refused": 1,
    }
    assert {r.outcome for r in rows if r.state == "closed"} == {"responded", "deceased"}
    assert len({r.channel for r in rows}) >= 5
    assert all(r.received_on < today for r in rows)
    # No user exists here: nobody is assigned rather than a made-up name.
    assert all(r.assignee is None for r in rows)
    by_urgency = Counter(urgency(r, today) for r in rows)
    assert by_urgency["closed"] == 3
    # RULES: SAR-10: the solicitor's request waits for an authority asked for, not yet seen.
    solicitor = next(r for r in rows if r.requester_kind == "solicitor")
    found = authority_of(uow, solicitor)
    assert found is not None
    assert found.asked_on is not None
    assert found.outcome is None
    # OBJ-02: the objection to marketing took effect the day it was opened.
    objection = next(r for r in rows if "objection_direct_marketing" in r.rights)
    assert objection.subject_id is not None
    assert uow.session.scalar(
        select(func.count())
        .select_from(Objection)
        .where(Objection.subject_id == objection.subject_id)
    )
    # The requester's details are sealed like any request's, and drawn from the seed.
    words = {requester_of(uow, r).words for r in rows}
    assert "Stop sending me offers. Now." in words
    # Every step appended to the chain as the demo, and the chain holds.
    demo_rows = uow.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.actor == ACTOR)
    )
    assert demo_rows is not None
    assert demo_rows > 13 * 2
    opened = uow.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "demo.requests_opened")
    ).all()
    assert len(opened) == 1
    assert opened[0].entity_id == ORG
    verified = runner.invoke(app, ["audit", "verify", "--url", database_url])
    assert verified.exit_code == 0, verified.output
    assert "intact" in verified.output


def test_the_first_user_gets_some_requests_and_the_seed_decides_the_rest(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    from dataward.accounts.models import User
    from dataward.accounts.passwords import Passwords
    from dataward.accounts.service import ensure_first_admin
    from dataward.config import get_settings

    _demo(uow, tmp_path)
    made = ensure_first_admin(uow, Passwords(get_settings()))  # as `make run` does first
    assert made is not None
    user = uow.session.scalars(select(User)).one()
    open_demo_requests(uow, ORG, seed=1)
    uow.commit()
    assigned = [r for r in _rows(uow) if r.assignee is not None]
    assert {r.assignee for r in assigned} == {f"user:{user.ref}"}
    assert len(assigned) == 3


def test_make_run_opens_the_demo_queue_on_first_start_and_never_again(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    capsys: pytest.CaptureFixture[str],
    uow: UnitOfWork,  # its teardown empties the shared test database again
) -> None:
    from dataward.config import get_settings
    from dataward.localkeys import ensure_local_keys
    from dataward.web import serve

    for name in ("DATAWARD_KEK", "DATAWARD_BLIND_INDEX_KEY", "DATAWARD_SECRET_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATAWARD_DATABASE_URL", database_url)
    monkeypatch.setenv("DATAWARD_KEYSTORE_URL", f"sqlite:///{tmp_path / 'keys.db'}")
    monkeypatch.setenv("DATAWARD_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("DATAWARD_EXAMPLES_DIR", str(EXAMPLES))
    monkeypatch.setenv("DATAWARD_DEMO_SUBJECTS", "20")
    get_settings.cache_clear()
    try:
        ensure_local_keys()
        # With no demo (DATAWARD_DEMO_SUBJECTS=0) no request is opened, in any register.
        monkeypatch.setenv("DATAWARD_DEMO_SUBJECTS", "0")
        get_settings.cache_clear()
        serve.ensure_demo(get_settings())
        assert uow.session.scalar(select(func.count()).select_from(RightsRequest)) == 0
        monkeypatch.setenv("DATAWARD_DEMO_SUBJECTS", "20")
        get_settings.cache_clear()
        serve.ensure_demo(get_settings())
        started = capsys.readouterr().err
        assert "Demo requests: 13 rights requests of jtr_collections" in started
        assert "Demo complaints: 8 complaints of jtr_collections" in started  # CMP-01
        serve.ensure_demo(get_settings())  # a second start opens nothing
        restarted = capsys.readouterr().err
        assert "Demo requests" not in restarted
        assert "Demo complaints" not in restarted
        uow.session.expire_all()
        assert len(_rows(uow)) == 13
    finally:
        get_settings.cache_clear()


def test_demo_create_opens_the_requests_once_and_no_requests_skips_them(
    tmp_path: Path,
    database_url: str,
    uow: UnitOfWork,  # its teardown empties the shared test database again
) -> None:
    from dataward.config import get_settings
    from dataward.crypto.cipher import new_key
    from dataward.crypto.secrets import encode_key

    env = {
        "DATAWARD_DATABASE_URL": database_url,
        "DATAWARD_KEYSTORE_URL": f"sqlite:///{tmp_path / 'keys.db'}",
        "DATAWARD_EXAMPLES_DIR": str(EXAMPLES),
        "DATAWARD_KEK": encode_key(new_key()),
        "DATAWARD_BLIND_INDEX_KEY": encode_key(new_key()),
    }
    args = ["demo", "create", "--subjects", "12", "--no-files"]
    args += ["--operational-url", f"sqlite:///{tmp_path / 'ops.db'}"]
    args += ["--sources", str(tmp_path / "sources.yaml")]
    get_settings.cache_clear()
    try:
        skipped = runner.invoke(app, [*args, "--no-requests"], env=env)
        assert skipped.exit_code == 0, skipped.output
        assert "demo rights requests" not in skipped.stdout
        assert "demo complaints" not in skipped.stdout
        assert uow.session.scalar(select(func.count()).select_from(RightsRequest)) == 0
        first = runner.invoke(app, [*args, "--replace"], env=env)
        assert first.exit_code == 0, first.output
        assert "13 demo rights requests opened" in first.stdout
        assert "8 demo complaints opened" in first.stdout
        again = runner.invoke(app, [*args, "--replace"], env=env)
        assert again.exit_code == 0, again.output
        assert "0 demo rights requests opened (13 were there already)" in again.stdout
        assert "0 demo complaints opened (8 were there already)" in again.stdout
        assert uow.session.scalar(select(func.count()).select_from(RightsRequest)) == 13
    finally:
        get_settings.cache_clear()


def test_the_demo_logs_disclosures_so_a_change_has_recipients_to_tell(
    uow: UnitOfWork, clock: FixedClock, tmp_path: Path
) -> None:
    """NOT-01 (issue 19): each linked demo request for rectification, erasure or restriction has
    its subject's records logged as disclosed to two of the register's recipients, before
    the request; telling recipients of the correction finds them. Loading stays small."""
    import time

    from dataward.disclosures.models import Disclosure
    from dataward.disclosures.notices import tell_recipients

    _demo(uow, tmp_path)
    started = time.perf_counter()
    open_demo_requests(uow, ORG, seed=1)
    uow.commit()
    assert time.perf_counter() - started < 10
    changing = [
        r
        for r in _rows(uow)
        if r.subject_id is not None and {"rectification", "restriction", "erasure"} & set(r.rights)
    ]
    assert len(changing) == 3  # rectification, restriction, the linked erasure
    logged = uow.session.scalars(select(Disclosure).order_by(Disclosure.recipient)).all()
    assert len(logged) == 6
    assert {d.subject_id for d in logged} == {r.subject_id for r in changing}
    assert {d.recipient for d in logged} == {"clients", "enforcement_agents"}
    assert all(d.datasets == ["customers", "cases"] for d in logged)
    received = {r.subject_id: r.received_on for r in changing}
    assert all(d.disclosed_on < received[d.subject_id] for d in logged)
    recorded = uow.session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "demo.requests_opened")
    ).one()
    assert recorded["disclosures"] == 6

    rectification = next(r for r in changing if "rectification" in r.rights)
    notices = tell_recipients(uow, rectification, "rectification", datasets=(), actor=ACTOR)
    # JTR's notice gives its recipients no contact: the reason is recorded, nobody invented.
    assert sorted((n.recipient, n.outcome) for n in notices) == [
        ("clients", "impossible"),
        ("enforcement_agents", "impossible"),
    ]
