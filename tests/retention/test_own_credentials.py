"""dataward's own credentials and cookie choices (RET-01): sessions, API tokens and one-time
codes go 30 days (by default) after they expired, were revoked or used; a live one stays.
Cookie choices go 24 months after they were replaced, or given when they are the visitor's
latest. The clock is 25 November 2026, 09:30 UTC."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from own_support import (
    at,
    cookie,
    download_code,
    package,
    request,
    request_code,
    session_row,
    settings_for,
    subject,
    token,
    user,
)
from sqlalchemy import select

from dataward.access.models import DownloadCode
from dataward.accounts.models import ApiToken, WebSession
from dataward.config import Settings
from dataward.consent.models import CookieConsent
from dataward.errors import ConfigurationError
from dataward.requests.verification_models import RequestCode
from dataward.retention.own import own_periods, own_plan, sweep_own
from dataward.uow import UnitOfWork

NOW = at(date(2026, 11, 25))


def _sweep(uow: UnitOfWork, tmp_path: Path) -> dict[str, int]:
    done = {s.kind: s.rows for s in sweep_own(uow, settings_for(tmp_path), worker="test")}
    uow.commit()
    uow.session.expire_all()
    return done


# RULES: RET-01
def test_it_deletes_sessions_long_expired_or_long_idle_and_keeps_live_ones(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    owner = user(uow)
    expired = session_row(
        uow, owner, last_seen=NOW - timedelta(days=40), expires=NOW - timedelta(days=31)
    )
    # Idle 30 minutes ends a session: last seen 31 days ago, its maximum age not yet reached.
    idle = session_row(
        uow, owner, last_seen=NOW - timedelta(days=31), expires=NOW + timedelta(days=1)
    )
    lately = session_row(
        uow, owner, last_seen=NOW - timedelta(days=20), expires=NOW - timedelta(days=19)
    )
    live = session_row(
        uow, owner, last_seen=NOW - timedelta(minutes=5), expires=NOW + timedelta(hours=11)
    )
    uow.commit()
    plan = {d.kind: d for d in own_plan(uow, settings_for(tmp_path))}["web_sessions"]
    assert plan.rows_due == 2
    # The session last seen 20 days ago ended idle then (30 minutes): due 30 days later.
    assert plan.next_due == date(2026, 12, 5)
    assert _sweep(uow, tmp_path)["web_sessions"] == 2
    assert set(uow.session.scalars(select(WebSession.id))) == {lately, live}
    assert {expired, idle}.isdisjoint(uow.session.scalars(select(WebSession.id)))


# RULES: RET-01
def test_it_deletes_tokens_long_expired_or_revoked_and_keeps_unexpired_ones(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    owner = user(uow)
    token(uow, owner, expires=NOW - timedelta(days=31))
    token(uow, owner, expires=NOW + timedelta(days=100), revoked=NOW - timedelta(days=40))
    revoked_lately = token(
        uow, owner, expires=NOW + timedelta(days=100), revoked=NOW - timedelta(days=2)
    )
    expired_lately = token(uow, owner, expires=NOW - timedelta(days=29))
    unexpired = token(uow, owner, expires=NOW + timedelta(days=1))
    uow.commit()
    assert _sweep(uow, tmp_path)["api_tokens"] == 2
    assert set(uow.session.scalars(select(ApiToken.id))) == {
        revoked_lately,
        expired_lately,
        unexpired,
    }


# RULES: RET-01
def test_it_deletes_one_time_codes_long_used_or_expired(uow: UnitOfWork, tmp_path: Path) -> None:
    row = request(uow, state="in_progress", last_step=date(2026, 11, 1))
    old = request_code(uow, row, expires=NOW - timedelta(days=40))
    used = request_code(
        uow, row, expires=NOW + timedelta(minutes=10), used=NOW - timedelta(days=31)
    )
    fresh = request_code(uow, row, expires=NOW + timedelta(minutes=10))
    made = package(
        uow,
        row,
        subject(uow),
        settings_for(tmp_path),
        state="ready",
        expires_at=NOW + timedelta(days=5),
    )
    gone = download_code(uow, made, expires=NOW - timedelta(days=31))
    kept = download_code(uow, made, expires=NOW - timedelta(days=1))
    uow.commit()
    done = _sweep(uow, tmp_path)
    assert (done["request_codes"], done["download_codes"]) == (2, 1)
    assert set(uow.session.scalars(select(RequestCode.id))) == {fresh}
    assert set(uow.session.scalars(select(DownloadCode.id))) == {kept}
    assert {old, used, gone}.isdisjoint(uow.session.scalars(select(RequestCode.id)))


# RULES: RET-01 (an organisation's run sweeps its own codes, and sessions of no organisation)
def test_it_sweeps_only_the_organisations_codes_when_given_one(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path)
    codes, downloads = {}, {}
    for organisation in ("own_org", "other_org"):
        row = request(
            uow, state="in_progress", last_step=date(2026, 11, 1), organisation=organisation
        )
        codes[organisation] = request_code(uow, row, expires=NOW - timedelta(days=40))
        owner = subject(uow, organisation=organisation)
        made = package(uow, row, owner, settings, expires_at=NOW + timedelta(days=5))
        downloads[organisation] = download_code(uow, made, expires=NOW - timedelta(days=31))
    session_row(
        uow, user(uow), last_seen=NOW - timedelta(days=40), expires=NOW - timedelta(days=31)
    )
    uow.commit()
    planned = {d.kind: d.rows_due for d in own_plan(uow, settings, organisation="own_org")}
    assert (planned["request_codes"], planned["download_codes"], planned["web_sessions"]) == (
        1,
        1,
        1,
    )
    swept = sweep_own(uow, settings, worker="test", organisation="own_org")
    uow.commit()
    uow.session.expire_all()
    done = {s.kind: s.rows for s in swept}
    assert (done["request_codes"], done["download_codes"], done["web_sessions"]) == (1, 1, 1)
    assert set(uow.session.scalars(select(RequestCode.id))) == {codes["other_org"]}
    assert set(uow.session.scalars(select(DownloadCode.id))) == {downloads["other_org"]}


# RULES: RET-01
def test_it_deletes_cookie_choices_long_replaced_or_long_given(
    uow: UnitOfWork, tmp_path: Path
) -> None:
    # Visitor A chose three times: the first choice was replaced over 24 months ago (due), the
    # second replaced 3 months ago (kept), the third is in force (kept).
    a1 = cookie(uow, "visitor-aaaaaaaaaaaa", at(date(2024, 1, 1)))
    a2 = cookie(uow, "visitor-aaaaaaaaaaaa", at(date(2024, 10, 1)))
    a3 = cookie(uow, "visitor-aaaaaaaaaaaa", at(date(2026, 8, 25)))
    # Visitor B chose once, over 24 months ago: due. Visitor C chose once, a year ago: kept.
    b1 = cookie(uow, "visitor-bbbbbbbbbbbb", at(date(2024, 10, 20)))
    c1 = cookie(uow, "visitor-cccccccccccc", at(date(2025, 11, 25)))
    uow.commit()
    plan = {d.kind: d for d in own_plan(uow, settings_for(tmp_path))}["cookie_consents"]
    assert (plan.rows_due, plan.next_due) == (2, date(2027, 11, 25))
    assert _sweep(uow, tmp_path)["cookie_consents"] == 2
    assert set(uow.session.scalars(select(CookieConsent.id))) == {a2, a3, c1}
    assert {a1, b1}.isdisjoint(uow.session.scalars(select(CookieConsent.id)))


@pytest.mark.parametrize(
    ("setting", "value", "variable"),
    [
        ("own_closed_request_years", 0, "DATAWARD_OWN_CLOSED_REQUEST_YEARS"),
        ("own_access_package_days", -1, "DATAWARD_OWN_ACCESS_PACKAGE_DAYS"),
        ("own_cookie_consent_months", 1201, "DATAWARD_OWN_COOKIE_CONSENT_MONTHS"),
        ("own_expired_credential_days", 0, "DATAWARD_OWN_EXPIRED_CREDENTIAL_DAYS"),
    ],
)
def test_it_refuses_a_period_below_one_or_past_a_century(
    setting: str, value: int, variable: str
) -> None:
    with pytest.raises(ConfigurationError, match=variable) as refused:
        own_periods(Settings(**{setting: value}))
    assert refused.value.code == "configuration_invalid"


def test_it_refuses_a_bad_period_before_anything_is_swept(uow: UnitOfWork, tmp_path: Path) -> None:
    owner = user(uow)
    token(uow, owner, expires=NOW - timedelta(days=400))
    uow.commit()
    with pytest.raises(ConfigurationError):
        sweep_own(uow, settings_for(tmp_path, own_outbox_body_days=0), worker="test")
    uow.rollback()
    assert len(list(uow.session.scalars(select(ApiToken.id)))) == 1


def test_it_reads_the_periods_with_defaults_a_dpo_can_defend() -> None:
    periods = {p.variable: p.words() for p in own_periods(Settings()).values()}
    assert periods == {
        "DATAWARD_OWN_CLOSED_REQUEST_YEARS": "6 years",
        "DATAWARD_OWN_ACCESS_PACKAGE_DAYS": "30 days",
        "DATAWARD_OWN_IDENTITY_DOCUMENT_DAYS": "7 days",
        "DATAWARD_OWN_OUTBOX_BODY_DAYS": "90 days",
        "DATAWARD_OWN_COOKIE_CONSENT_MONTHS": "24 months",
        "DATAWARD_OWN_EXPIRED_CREDENTIAL_DAYS": "30 days",
    }
