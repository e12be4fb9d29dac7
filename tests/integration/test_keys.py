"""Key material and the key store: checked at start, never half-written, rotated whole.

Tests that touch a database run on SQLite and PostgreSQL. Tests that rotate the KEK use a
key store of their own, so the session's shared key store keeps its KEK.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import sessionmaker

from dataward.clock import FixedClock
from dataward.config import Settings
from dataward.crypto.cipher import new_key
from dataward.crypto.errors import KeyStoreUnavailable
from dataward.crypto.keyring import rotate_kek
from dataward.crypto.keystore import Vault
from dataward.crypto.secrets import KeyMaterial, encode_key, key_material
from dataward.errors import ConfigurationError, DatawardError
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.runtime import Runtime, open_runtime
from dataward.scratch import scratch_databases
from dataward.subjects.service import add_subject, find_subjects, show_subject
from dataward.uow import UnitOfWork

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "subjects"
PEOPLE = [
    [("email", "Ann@Example.com"), ("phone", "07911 123456"), ("ni_number", "AB 12 34 56 C")],
    [("email", "bob@example.com"), ("postcode", "sw1a 1aa")],
    [("email", "cy@example.org"), ("customer_ref", "acc-77"), ("name", "Cy  Smith")],
]


def _settings(**values: Any) -> Settings:
    """Settings from these values only: no environment variable or .env can leak in."""
    defaults: dict[str, Any] = {
        "kek": encode_key(new_key()),
        "blind_index_key": encode_key(new_key()),
        "keystore_url": "sqlite:///unused.db",
    }
    defaults.update(values)
    return Settings(_env_file=None, **defaults)  # type: ignore[call-arg]


def _snapshot(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the key store, read with a plain engine (opening a Vault may write)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                "kek_check": [
                    tuple(r) for r in conn.execute(text("SELECT * FROM kek_check ORDER BY kek_id"))
                ],
                "data_keys": [
                    tuple(r) for r in conn.execute(text("SELECT * FROM data_keys ORDER BY key_id"))
                ],
                "blind_index": [
                    tuple(r) for r in conn.execute(text("SELECT * FROM blind_index ORDER BY id"))
                ],
            }
    finally:
        engine.dispose()


@pytest.fixture
def acme(uow: UnitOfWork) -> UnitOfWork:
    store_register(uow, load_register(FIXTURES / "acme.yaml"))
    uow.commit()
    return uow


@pytest.fixture
def own_keystore_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A key store for this test alone, dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'own-keys.db'}"
        return
    admin_text = os.environ.get("DATAWARD_TEST_DATABASE_URL")
    if not admin_text:
        pytest.fail("DATAWARD_TEST_DATABASE_URL is not set: run the suite with `make test`")
    with scratch_databases(admin_text, "dataward_keys") as (url,):
        yield url


# --- key material from settings ------------------------------------------------------------


def test_it_refuses_to_start_without_a_kek() -> None:
    with pytest.raises(ConfigurationError) as caught:
        key_material(_settings(kek=None))
    assert caught.value.code == "configuration_invalid"
    assert "DATAWARD_KEK is not set" in caught.value.message
    assert "dataward keys generate" in caught.value.message


def test_it_refuses_to_start_without_a_blind_index_key() -> None:
    with pytest.raises(ConfigurationError, match="DATAWARD_BLIND_INDEX_KEY is not set"):
        key_material(_settings(blind_index_key=None))


def test_it_refuses_a_kek_that_is_not_base64() -> None:
    with pytest.raises(ConfigurationError, match="DATAWARD_KEK is not valid base64"):
        key_material(_settings(kek="not base64 at all!"))


def test_it_refuses_a_kek_of_the_wrong_length() -> None:
    with pytest.raises(ConfigurationError) as caught:
        key_material(_settings(kek=encode_key(os.urandom(16))))
    assert caught.value.code == "configuration_invalid"
    assert caught.value.message == "DATAWARD_KEK must decode to 32 bytes, got 16"


def test_it_refuses_a_kek_equal_to_the_blind_index_key() -> None:
    same = encode_key(new_key())
    with pytest.raises(ConfigurationError, match="must differ"):
        key_material(_settings(kek=same, blind_index_key=same))


def test_it_never_shows_key_bytes_in_a_repr() -> None:
    material = key_material(_settings(kek_id="kek-9"))
    assert repr(material) == "KeyMaterial(kek_id='kek-9')"
    assert encode_key(material.kek) not in repr(material)


def test_a_missing_kek_stops_the_runtime_before_anything_is_written(tmp_path: Path) -> None:
    store = tmp_path / "keys.db"
    main = tmp_path / "main.db"
    settings = _settings(
        kek=None, keystore_url=f"sqlite:///{store}", database_url=f"sqlite:///{main}"
    )
    with pytest.raises(ConfigurationError, match="DATAWARD_KEK"):
        open_runtime(settings)
    assert not store.exists()
    assert not main.exists()


def test_a_runtime_closes_when_its_block_ends_even_on_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed: list[Runtime] = []
    close = Runtime.close

    def spy(runtime: Runtime) -> None:
        closed.append(runtime)
        close(runtime)

    monkeypatch.setattr(Runtime, "close", spy)
    settings = _settings(
        keystore_url=f"sqlite:///{tmp_path / 'keys.db'}",
        database_url=f"sqlite:///{tmp_path / 'main.db'}",
    )
    opened: list[Runtime] = []

    def work() -> None:
        with open_runtime(settings) as runtime:
            opened.append(runtime)
            raise LookupError("the work failed")

    with pytest.raises(LookupError):
        work()
    assert len(opened) == 1
    assert closed == opened


# --- opening the key store -----------------------------------------------------------------


def test_it_refuses_a_wrong_kek_and_writes_nothing(
    acme: UnitOfWork, keystore_url: str, key_material: KeyMaterial
) -> None:
    add_subject(acme, "acme", ["customers"], PEOPLE[0])
    acme.commit()
    before = _snapshot(keystore_url)
    assert len(before["data_keys"]) == 1
    assert len(before["blind_index"]) == 3
    wrong = KeyMaterial(key_material.kek_id, new_key(), key_material.index_key)

    with pytest.raises(ConfigurationError) as caught:
        Vault.open(keystore_url, wrong)

    assert caught.value.code == "configuration_invalid"
    assert "DATAWARD_KEK does not match the key store's KEK 'kek-test'" in caught.value.message
    assert _snapshot(keystore_url) == before


def test_it_refuses_another_kek_id_while_keys_exist_under_one(
    acme: UnitOfWork, keystore_url: str, key_material: KeyMaterial
) -> None:
    add_subject(acme, "acme", ["customers"], PEOPLE[1])
    acme.commit()
    before = _snapshot(keystore_url)
    other = KeyMaterial("kek-other", key_material.kek, key_material.index_key)

    with pytest.raises(ConfigurationError, match="wrapped under KEK 'kek-test'") as caught:
        Vault.open(keystore_url, other)

    assert "DATAWARD_KEK_ID is 'kek-other'" in caught.value.message
    assert _snapshot(keystore_url) == before  # no check row was added for kek-other


def test_it_opens_the_key_store_with_the_right_kek(
    keystore_url: str, key_material: KeyMaterial
) -> None:
    before = _snapshot(keystore_url)
    vault = Vault.open(keystore_url, key_material)
    vault.close()
    assert _snapshot(keystore_url) == before
    assert [row[0] for row in before["kek_check"]] == ["kek-test"]


def test_it_reports_an_unreachable_postgresql_key_store() -> None:
    material = KeyMaterial("kek-1", new_key(), new_key())
    with pytest.raises(KeyStoreUnavailable) as caught:
        Vault.open("postgresql+psycopg://postgres@127.0.0.1:1/nope", material)
    assert caught.value.code == "keystore_unavailable"
    assert caught.value.message.startswith("key store unreachable")


def test_it_reports_a_sqlite_key_store_it_cannot_create() -> None:
    # /proc exists but no file can be created in it, not even by root.
    material = KeyMaterial("kek-1", new_key(), new_key())
    with pytest.raises(KeyStoreUnavailable) as caught:
        Vault.open("sqlite:////proc/dataward-keys.db", material)
    assert caught.value.code == "keystore_unavailable"
    assert caught.value.http_status == 503


# --- rotating the KEK ----------------------------------------------------------------------


def test_rotating_the_kek_rewraps_every_key_and_keeps_every_subject(
    acme: UnitOfWork,
    session_factory: sessionmaker[Any],
    clock: FixedClock,
    own_keystore_url: str,
) -> None:
    index_key = new_key()
    old = KeyMaterial("kek-1", new_key(), index_key)
    new = KeyMaterial("kek-2", new_key(), index_key)
    vault = Vault.open(own_keystore_url, old, clock)
    try:
        with UnitOfWork(session_factory, clock, vault) as unit:
            refs = [add_subject(unit, "acme", ["customers"], p).ref for p in PEOPLE]
            unit.commit()
        before = _snapshot(own_keystore_url)

        assert rotate_kek(vault, new, clock, batch=2) == 3
    finally:
        vault.close()

    after = _snapshot(own_keystore_url)
    assert [row[0] for row in after["kek_check"]] == ["kek-2"]
    old_wrapped = {row[0]: row[2] for row in before["data_keys"]}
    for key_id, _org, wrapped, kek_id, _created in after["data_keys"]:
        assert kek_id == "kek-2"
        assert bytes(wrapped) != bytes(old_wrapped[key_id])
    assert after["blind_index"] == before["blind_index"]  # the index key did not change

    with pytest.raises(ConfigurationError, match="wrapped under KEK 'kek-2'"):
        Vault.open(own_keystore_url, old)
    with pytest.raises(ConfigurationError, match="does not match"):
        Vault.open(own_keystore_url, KeyMaterial("kek-2", old.kek, index_key))

    rotated = Vault.open(own_keystore_url, new, clock)
    try:
        with UnitOfWork(session_factory, clock, rotated) as unit:
            views = {ref: show_subject(unit, "acme", ref) for ref in refs}
            for ref, email in zip(
                refs, ["ann@example.com", "bob@example.com", "cy@example.org"], strict=True
            ):
                assert [s.ref for s in find_subjects(unit, "acme", "email", email.upper())] == [ref]
    finally:
        rotated.close()
    assert {(i.kind, i.value) for i in views[refs[0]].identities} == {
        ("email", "ann@example.com"),
        ("phone", "+447911123456"),
        ("ni_number", "AB123456C"),
    }
    assert {(i.kind, i.value) for i in views[refs[2]].identities} == {
        ("email", "cy@example.org"),
        ("customer_ref", "ACC-77"),
        ("name", "cy smith"),
    }


def test_rotating_to_the_same_kek_id_is_refused_and_changes_nothing(
    acme: UnitOfWork,
    session_factory: sessionmaker[Any],
    clock: FixedClock,
    own_keystore_url: str,
) -> None:
    current = KeyMaterial("kek-1", new_key(), new_key())
    vault = Vault.open(own_keystore_url, current, clock)
    try:
        with UnitOfWork(session_factory, clock, vault) as unit:
            add_subject(unit, "acme", ["customers"], PEOPLE[0])
            unit.commit()
        before = _snapshot(own_keystore_url)
        same_id = KeyMaterial("kek-1", new_key(), current.index_key)

        with pytest.raises(DatawardError, match="new KEK needs a new id"):
            rotate_kek(vault, same_id, clock)
    finally:
        vault.close()
    assert _snapshot(own_keystore_url) == before
    Vault.open(own_keystore_url, current).close()  # the current KEK still opens the store


def test_it_reports_a_sqlite_key_store_whose_folder_cannot_be_made(
    key_material: KeyMaterial,
) -> None:
    with pytest.raises(KeyStoreUnavailable) as caught:
        Vault.open("sqlite:////proc/nope/keys.db", key_material)
    assert caught.value.code == "keystore_unavailable"


def test_it_refuses_a_second_kek_on_a_store_sealed_under_another(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    first = KeyMaterial("kek-1", os.urandom(32), os.urandom(32))
    Vault.open(url, first).close()  # sealed, but holding no data keys yet
    second = KeyMaterial("kek-other", os.urandom(32), first.index_key)
    with pytest.raises(ConfigurationError, match="kek-1"):
        Vault.open(url, second)
