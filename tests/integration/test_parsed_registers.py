"""One parse of each stored register per process, shared by every domain that reads it."""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from dataward.consent.policy import cached_policy, policy_for
from dataward.errors import RegisterInvalid
from dataward.outbox.service import organisation_names
from dataward.publication import parsed
from dataward.publication.models import RegisterVersion
from dataward.publication.parsed import ParsedRegisters
from dataward.publication.registers import store_register, subject_group_ids
from dataward.register.loader import LoadedRegister, parse_register
from dataward.uow import UnitOfWork

MINIMAL_TEXT = (
    Path(__file__).resolve().parents[1] / "fixtures" / "loader" / "minimal.yaml"
).read_text(encoding="utf-8")


def unique_text(organisation: str = "acme") -> str:
    """A register text no other test has stored, so this process has not parsed it yet."""
    text = MINIMAL_TEXT.replace("organisation: acme", f"organisation: {organisation}")
    return text.replace("description: Sells things.", f"description: Sells {uuid.uuid4()}.")


def stored(text: str, version: int = 1) -> RegisterVersion:
    """A stored version as the database returns it; the cache never writes it."""
    return RegisterVersion(
        organisation="acme",
        version=version,
        content_hash=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        source_name="registers/acme.yaml",
        loaded_at=datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
        source_text=text,
    )


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The source name of every parse the cache makes."""
    made: list[str] = []

    def counting(text: str, file: str = "<register>") -> LoadedRegister:
        made.append(file)
        return parse_register(text, file)

    monkeypatch.setattr(parsed, "parse_register", counting)
    return made


def groups(loaded: LoadedRegister) -> frozenset[str]:
    return frozenset(g.id for g in loaded.register.subject_groups)


def test_two_domains_views_share_one_parse(uow: UnitOfWork, parses: list[str]) -> None:
    text = unique_text()
    row = store_register(uow, parse_register(text, "registers/acme.yaml"))
    uow.commit()

    policy = policy_for(uow, "acme")
    assert subject_group_ids(uow, "acme") == {"customers"}
    assert organisation_names(uow, "acme") == ("Acme", "Acme Ltd")
    assert policy_for(uow, "acme") is policy

    assert parses == ["registers/acme.yaml"]
    # The decision path's lookup is memory only: it is given what it needs and no session.
    assert cached_policy((row.version, row.content_hash)) is policy


def test_a_new_version_is_a_new_entry(uow: UnitOfWork, parses: list[str]) -> None:
    first = store_register(uow, parse_register(unique_text(), "registers/acme.yaml"))
    old = policy_for(uow, "acme")
    second = store_register(uow, parse_register(unique_text(), "registers/acme-2.yaml"))
    uow.commit()

    new = policy_for(uow, "acme")

    assert (old.register_version, new.register_version) == (1, 2)
    assert second.content_hash != first.content_hash
    # One parse each; publishing version 2 compared it with version 1's cached parse.
    assert parses == ["registers/acme.yaml", "registers/acme-2.yaml"]
    assert cached_policy((1, first.content_hash)) is old
    assert cached_policy((2, second.content_hash)) is new
    assert cached_policy((2, first.content_hash)) is None


def version_of(row: RegisterVersion) -> Callable[[LoadedRegister], int]:
    return lambda _: row.version


def test_the_same_text_stored_again_is_one_parse_with_a_view_per_version(
    parses: list[str],
) -> None:
    """A register put back as it was: one text, two versions; consent records name each."""
    text = unique_text()
    cache = ParsedRegisters()
    first, again = stored(text, version=1), stored(text, version=3)

    views = [
        cache.derived(row, ("consent.policy", row.version), version_of(row))
        for row in (first, again)
    ]

    assert views == [1, 3]
    assert len(parses) == 1
    assert len(cache) == 1


def test_it_holds_at_most_its_capacity(parses: list[str]) -> None:
    cache = ParsedRegisters(capacity=2)
    rows = [stored(unique_text()) for _ in range(3)]

    for row in rows:
        cache.loaded(row)

    assert len(cache) == 2
    assert cache.known(rows[0].content_hash, "groups", frozenset) is None
    cache.loaded(rows[0])  # the least recently used went first, so it is parsed again
    assert len(parses) == 4
    cache.loaded(rows[2])
    assert len(parses) == 4


def test_known_never_parses(parses: list[str]) -> None:
    cache = ParsedRegisters()
    row = stored(unique_text())

    assert cache.known(row.content_hash, "groups", frozenset) is None
    cache.loaded(row)
    assert cache.known(row.content_hash, "groups", frozenset) is None
    assert cache.derived(row, "groups", groups) == {"customers"}

    assert cache.known(row.content_hash, "groups", frozenset) == {"customers"}
    assert parses == ["registers/acme.yaml"]


def test_a_text_that_does_not_parse_keeps_no_place(parses: list[str]) -> None:
    cache = ParsedRegisters()
    row = stored("dataward: 1\norganisation: Not An Id\n")

    for _ in range(2):
        with pytest.raises(RegisterInvalid):
            cache.loaded(row)

    assert len(cache) == 0
    assert len(parses) == 2


def test_threads_asking_at_once_parse_once(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[str] = []

    def slow(text: str, file: str = "<register>") -> LoadedRegister:
        made.append(file)
        time.sleep(0.05)  # long enough for every thread to ask before the first is done
        return parse_register(text, file)

    monkeypatch.setattr(parsed, "parse_register", slow)
    cache = ParsedRegisters()
    row = stored(unique_text())
    results: list[frozenset[str]] = []

    def ask() -> None:
        results.append(cache.derived(row, "groups", groups))

    threads = [threading.Thread(target=ask) for _ in range(4)]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert made == ["registers/acme.yaml"]
    assert results == [frozenset({"customers"})] * 4
