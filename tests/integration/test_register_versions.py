"""Register versions on the real database (SQLite and PostgreSQL): history, dedupe, rollback."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from dataward.clock import FixedClock
from dataward.errors import RegisterNotFound
from dataward.publication.models import RegisterVersion
from dataward.publication.parsed import load_version
from dataward.publication.registers import current_version, list_organisations, store_register
from dataward.register.loader import LoadedRegister, parse_register
from dataward.uow import UnitOfWork

MINIMAL_TEXT = (
    Path(__file__).resolve().parents[1] / "fixtures" / "loader" / "minimal.yaml"
).read_text(encoding="utf-8")
STARTED = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)


def register_text(organisation: str = "acme", description: str = "Sells things.") -> str:
    text = MINIMAL_TEXT.replace("organisation: acme", f"organisation: {organisation}")
    return text.replace("description: Sells things.", f"description: {description}")


def loaded(text: str, file: str = "registers/acme.yaml") -> LoadedRegister:
    return parse_register(text, file)


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def as_utc(moment: datetime) -> datetime:
    # SQLite keeps no offset: a naive value read back is the UTC value that was written.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def row_count(uow: UnitOfWork) -> int:
    return uow.session.scalar(select(func.count()).select_from(RegisterVersion)) or 0


def test_it_stores_the_first_register_as_version_1(uow: UnitOfWork, clock: FixedClock) -> None:
    assert clock.now() == STARTED
    text = register_text()

    version = store_register(uow, loaded(text))
    uow.commit()
    uow.session.expire_all()

    stored = current_version(uow, "acme")
    assert stored.id == version.id
    assert stored.version == 1
    assert stored.organisation == "acme"
    assert stored.source_text == text
    assert stored.content_hash == sha256(text)
    assert stored.source_name == "registers/acme.yaml"
    assert as_utc(stored.loaded_at) == STARTED
    assert load_version(stored).register.organisation == "acme"


def test_it_returns_the_same_version_for_the_same_text(uow: UnitOfWork, clock: FixedClock) -> None:
    first = store_register(uow, loaded(register_text()))
    uow.commit()
    clock.advance(timedelta(hours=1))

    again = store_register(uow, loaded(register_text(), "elsewhere/acme.yaml"))
    uow.commit()

    assert again.id == first.id
    assert again.version == 1
    assert as_utc(again.loaded_at) == STARTED
    assert row_count(uow) == 1


def test_it_keeps_every_changed_text_as_a_new_version(uow: UnitOfWork, clock: FixedClock) -> None:
    old_text = register_text()
    new_text = register_text(description="Sells things and repairs them.")
    store_register(uow, loaded(old_text))
    uow.commit()
    clock.advance(timedelta(days=2))

    second = store_register(uow, loaded(new_text))
    uow.commit()
    uow.session.expire_all()

    assert second.version == 2
    rows = uow.session.scalars(select(RegisterVersion).order_by(RegisterVersion.version)).all()
    assert [(r.version, r.source_text, r.content_hash) for r in rows] == [
        (1, old_text, sha256(old_text)),
        (2, new_text, sha256(new_text)),
    ]
    assert [as_utc(r.loaded_at) for r in rows] == [STARTED, STARTED + timedelta(days=2)]
    assert current_version(uow, "acme").version == 2


def test_it_lists_the_newest_version_of_each_organisation(uow: UnitOfWork) -> None:
    store_register(uow, loaded(register_text("beta")))
    store_register(uow, loaded(register_text("acme")))
    store_register(uow, loaded(register_text("acme", description="Sells other things.")))
    uow.commit()

    newest = list_organisations(uow)

    assert [(v.organisation, v.version) for v in newest] == [("acme", 2), ("beta", 1)]
    assert "Sells other things." in newest[0].source_text


def test_it_lists_nothing_when_no_register_is_stored(uow: UnitOfWork) -> None:
    assert list_organisations(uow) == []


def test_it_raises_register_not_found_for_an_unknown_organisation(uow: UnitOfWork) -> None:
    store_register(uow, loaded(register_text()))
    uow.commit()

    with pytest.raises(RegisterNotFound) as caught:
        current_version(uow, "nobody")

    assert caught.value.code == "register_not_found"
    assert caught.value.message == "no register for organisation 'nobody'"


def test_it_leaves_nothing_when_the_unit_of_work_is_not_committed(
    uow: UnitOfWork, session_factory: sessionmaker[Any], clock: FixedClock
) -> None:
    with UnitOfWork(session_factory, clock) as abandoned:
        version = store_register(abandoned, loaded(register_text()))
        assert version.id is not None  # flushed inside the transaction, never committed

    assert row_count(uow) == 0
    with pytest.raises(RegisterNotFound):
        current_version(uow, "acme")


def test_it_forgets_a_version_when_rolled_back(uow: UnitOfWork) -> None:
    store_register(uow, loaded(register_text()))
    uow.commit()
    store_register(uow, loaded(register_text(description="A change not kept.")))

    uow.rollback()

    assert current_version(uow, "acme").version == 1
    assert row_count(uow) == 1
