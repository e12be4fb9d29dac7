"""dataward's own data in the retention run (RULES: RET-01, RET-03; issue 20): the daily run
sweeps it a kind at a time, one evidence record per kind (rule ``own:<kind>``, connection
``dataward``), folders removed only after the sweep that names them commits; an
organisation's run sweeps its own organisation's data and what belongs to none (sessions,
tokens). The clock is 25 November 2026, 09:30 UTC; the agency is the SQL site of the run's
tests."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from own_support import (
    at,
    cookie,
    folder_of,
    package,
    request,
    session_row,
    settings_for,
    subject,
    user,
)
from retention_site import ORG, Site, build_site, store
from sqlalchemy import select

from dataward.access.models import AccessPackage
from dataward.audit.models import AuditEvent
from dataward.config import Settings
from dataward.requests.models import RightsRequest
from dataward.retention import run_own
from dataward.retention.models import RetentionEvidence
from dataward.retention.own import own_plan
from dataward.retention.run import RunStep, run_step, what_each_did
from dataward.uow import UnitOfWork


@pytest.fixture
def site(uow: UnitOfWork, tmp_path: Path) -> Site:
    """The agency under tmp_path/site, its register and sources stored for the run."""
    (tmp_path / "site").mkdir()
    built = build_site(tmp_path / "site")
    store(uow, built)
    return built


def _finish(uow: UnitOfWork, env: dict[str, str], settings: Settings) -> RunStep:
    for _ in range(200):
        step = run_step(uow, ORG, worker="w", env=env, settings=settings)
        uow.commit()
        if step.finished:
            return step
    raise AssertionError("the run did not finish")


def _own(uow: UnitOfWork) -> dict[str, RetentionEvidence]:
    found = uow.session.scalars(
        select(RetentionEvidence).where(RetentionEvidence.connection == "dataward")
    )
    return {r.dataset: r for r in found}


OTHER = "other_org"


def _data(
    uow: UnitOfWork, settings: Settings, organisation: str = ORG
) -> tuple[AccessPackage, Path]:
    """A closed request of 2019 with its package (expired), and two cookie choices."""
    owner = subject(uow, organisation=organisation)
    finished = request(uow, subject_row=owner, organisation=organisation)
    made = package(uow, finished, owner, settings, expires_at=at(date(2026, 10, 1)))
    # Given over two years ago: due; and not yet.
    cookie(uow, "visitor-1", at(date(2024, 1, 1)), organisation=organisation)
    cookie(uow, "visitor-2", at(date(2026, 1, 1)), organisation=organisation)
    uow.commit()
    return made, folder_of(made, settings)


# RULES: RET-01, RET-03 (one record per kind; files after the rows commit)
def test_the_run_sweeps_datawards_own_data_with_a_record_per_kind(
    uow: UnitOfWork, tmp_path: Path, site: Site
) -> None:
    settings = settings_for(tmp_path)
    made, folder = _data(uow, settings)
    step = _finish(uow, site.env, settings)
    own = _own(uow)
    assert set(own) >= {"closed_requests", "access_packages", "cookie_consents", "web_sessions"}
    packages = own["access_packages"]
    assert (packages.rule, packages.status, packages.rows, packages.files) == (
        "own:access_packages",
        "done",
        1,
        2,
    )
    assert (own["cookie_consents"].rows, own["closed_requests"].rows) == (1, 1)
    assert (own["web_sessions"].status, own["web_sessions"].rows) == ("done", 0)
    assert not folder.exists()
    uow.session.expire_all()
    assert uow.session.get(AccessPackage, made.id).state == "deleted"  # type: ignore[union-attr]
    assert what_each_did(uow, step.run_id)[packages.id] == "swept"
    actions = [e.action for e in uow.session.scalars(select(AuditEvent))]
    assert actions.count("retention.own_data_swept") >= 3
    # The register's rules ran beside it.
    assert step.rows >= 3 + 2


# RULES: RET-03 (killed after the sweep committed, before its folders were removed)
def test_a_run_killed_before_removing_the_folders_removes_them_on_resume(
    uow: UnitOfWork, tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = settings_for(tmp_path)
    _, folder = _data(uow, settings)
    real = run_own.remove_swept_files
    crashed: list[int] = []

    def crash(swept: Any) -> int:
        if not crashed:
            crashed.append(1)
            raise RuntimeError("killed")
        return int(real(swept))

    monkeypatch.setattr(run_own, "remove_swept_files", crash)
    with pytest.raises(RuntimeError):
        _finish(uow, site.env, settings)
    uow.rollback()
    assert folder.exists()  # the package is marked deleted, its folder still there
    _finish(uow, site.env, settings)
    assert not folder.exists()
    packages = _own(uow)["access_packages"]
    assert (packages.rows, packages.files) == (1, 2)


# Bad input: a period setting refused; the own records say so and the rules run regardless
def test_a_bad_own_period_skips_the_own_records_and_the_rules_still_run(
    uow: UnitOfWork, tmp_path: Path, site: Site
) -> None:
    settings = settings_for(tmp_path, own_outbox_body_days=0)
    _finish(uow, site.env, settings)
    own = _own(uow)
    assert list(own) == ["settings"]
    assert own["settings"].status == "skipped"
    assert "DATAWARD_OWN_OUTBOX_BODY_DAYS" in own["settings"].reason
    bwv = uow.session.scalars(
        select(RetentionEvidence).where(
            RetentionEvidence.rule == "body_worn_video",
            RetentionEvidence.dataset == "body_worn_video",
        )
    ).first()
    assert bwv is not None
    assert (bwv.status, bwv.rows) == ("done", 2)


def test_nothing_due_is_done_at_once(uow: UnitOfWork, tmp_path: Path, site: Site) -> None:
    settings = settings_for(tmp_path)
    cookie(uow, "visitor-2", at(date(2026, 11, 25) - timedelta(days=3)), organisation=ORG)
    uow.commit()
    _finish(uow, site.env, settings)
    cookies = _own(uow)["cookie_consents"]
    assert (cookies.status, cookies.reason, cookies.rows) == ("done", "nothing to act on", 0)


# RULES: RET-01 (each organisation's own data is swept by that organisation's run)
def test_an_organisations_run_sweeps_its_own_data_and_leaves_the_others(
    uow: UnitOfWork, tmp_path: Path, site: Site
) -> None:
    settings = settings_for(tmp_path)
    _data(uow, settings)
    theirs, their_folder = _data(uow, settings, OTHER)
    # A session of dataward's own user: it belongs to no organisation (expired in January).
    session_row(uow, user(uow), last_seen=at(date(2026, 1, 1)), expires=at(date(2026, 1, 2)))
    uow.commit()
    _finish(uow, site.env, settings)
    own = _own(uow)
    swept = {kind: own[kind].rows for kind in ("closed_requests", "access_packages")}
    assert swept == {"closed_requests": 1, "access_packages": 1}
    assert (own["cookie_consents"].rows, own["web_sessions"].rows) == (1, 1)
    # The other organisation's request, package and cookie choice wait for its own run.
    assert their_folder.exists()
    uow.session.expire_all()
    their_request = uow.session.get(RightsRequest, theirs.request_id)
    assert their_request is not None
    assert their_request.requester_sealed != b""
    left = {d.kind: d for d in own_plan(uow, settings, organisation=OTHER)}
    assert {kind: due.rows_due for kind, due in left.items() if due.rows_due} == {
        "closed_requests": 1,
        "access_packages": 1,
        "cookie_consents": 1,
    }
    assert left["access_packages"].files_due == 2
