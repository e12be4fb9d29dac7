"""Flash messages kept on a server-side session for its next page, then cleared."""

from __future__ import annotations

from dataward.accounts.models import WebSession
from dataward.accounts.passwords import Passwords
from dataward.accounts.service import create_user
from dataward.accounts.sessions import (
    MAX_FLASHES,
    SessionPolicy,
    clear_flashes,
    keep_flash,
    start_session,
)
from dataward.config import Settings
from dataward.uow import UnitOfWork


def _session_id(uow: UnitOfWork) -> str:
    settings = Settings(argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1)
    user, _ = create_user(uow, Passwords(settings), "flashy", "admin", actor="test")
    _token, row = start_session(uow, user, "full", SessionPolicy.from_settings(settings))
    uow.commit()
    return row.id


def _kept(uow: UnitOfWork, session_id: str) -> list[list[str]]:
    uow.session.expire_all()
    row = uow.session.get(WebSession, session_id)
    assert row is not None
    return list(row.flashes)


def test_flashes_are_kept_for_the_next_page_then_cleared(uow: UnitOfWork) -> None:
    session_id = _session_id(uow)
    for number in range(MAX_FLASHES + 1):
        keep_flash(uow, session_id, "success", f"done {number}" + "!" * 600)
    uow.commit()
    kept = _kept(uow, session_id)
    assert [text[:6] for _kind, text in kept] == [f"done {n}" for n in range(1, MAX_FLASHES + 1)]
    assert {len(text) for _kind, text in kept} == {500}
    clear_flashes(uow, session_id)
    uow.commit()
    assert _kept(uow, session_id) == []


def test_a_flash_for_an_ended_session_is_dropped(uow: UnitOfWork) -> None:
    keep_flash(uow, "no-such-session", "error", "nobody will see this")
    clear_flashes(uow, "no-such-session")
    uow.commit()
    assert uow.session.get(WebSession, "no-such-session") is None
