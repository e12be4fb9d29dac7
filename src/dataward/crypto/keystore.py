"""The key store: a database of its own, never part of the main database or its backups.

Tables are created on open (the schema is three small tables and changes rarely); the main
database's Alembic history stays free of key material.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    func,
    inspect,
    select,
)
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from dataward.clock import Clock, SystemClock
from dataward.crypto.cipher import open_sealed, seal
from dataward.crypto.errors import DecryptionFailed, KeyStoreUnavailable
from dataward.crypto.secrets import KeyMaterial
from dataward.db import NAMING, UTCDateTime, make_engine, make_session_factory
from dataward.errors import ConfigurationError, DatawardError
from dataward.uow import UnitOfWork

_CHECK_PLAINTEXT = b"dataward key store check v1"
_CHECK_CONTEXT = b"kek-check"


class KeyBase(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class KekCheck(KeyBase):
    """A known value sealed under the KEK: a wrong KEK is caught at start, not at first use."""

    __tablename__ = "kek_check"
    kek_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DataKey(KeyBase):
    __tablename__ = "data_keys"
    key_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organisation: Mapped[str] = mapped_column(String(80))
    wrapped: Mapped[bytes] = mapped_column(LargeBinary)
    kek_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class BlindIndexEntry(KeyBase):
    __tablename__ = "blind_index"
    __table_args__ = (Index("ix_blind_index_lookup", "organisation", "kind", "digest"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(32))
    digest: Mapped[str] = mapped_column(String(64))
    key_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("data_keys.key_id", ondelete="CASCADE"), index=True
    )
    identity_id: Mapped[str] = mapped_column(String(36), index=True)


class Vault:
    """An open key store plus the key material that unlocks it."""

    def __init__(self, engine: Engine, material: KeyMaterial) -> None:
        self.engine = engine
        self.material = material
        self.session_factory: sessionmaker[Any] = make_session_factory(engine)

    @classmethod
    def open(cls, url: str, material: KeyMaterial, clock: Clock | None = None) -> Vault:
        """Connect, create tables if new, and prove the KEK is the one the store was sealed with."""
        try:
            engine = make_engine(url)
        except OSError as exc:  # e.g. a SQLite folder that cannot be created
            raise KeyStoreUnavailable(f"key store unreachable: {type(exc).__name__}") from None
        try:
            KeyBase.metadata.create_all(engine)
            vault = cls(engine, material)
            vault._check_kek(clock or SystemClock())
        except OperationalError as exc:
            engine.dispose()
            raise KeyStoreUnavailable(f"key store unreachable: {type(exc.orig).__name__}") from None
        except DatawardError:
            engine.dispose()
            raise
        return vault

    def _check_kek(self, clock: Clock) -> None:
        with self.session_factory() as session:
            check = session.get(KekCheck, self.material.kek_id)
            if check is None:
                # Any other KEK already sealed this store (a check row or a data key): one
                # store, one KEK, or rotation could never unwrap every key.
                other = session.scalars(select(KekCheck.kek_id).limit(1)).first() or (
                    session.scalars(select(DataKey.kek_id).limit(1)).first()
                )
                if other is not None:
                    raise ConfigurationError(
                        f"key store is wrapped under KEK {other!r}, but DATAWARD_KEK_ID is "
                        f"{self.material.kek_id!r}"
                    )
                session.add(kek_check(self.material, clock))
                session.commit()
                return
            try:
                open_sealed(self.material.kek, check.sealed, _CHECK_CONTEXT)
            except DecryptionFailed:
                raise ConfigurationError(
                    f"DATAWARD_KEK does not match the key store's KEK {self.material.kek_id!r}"
                ) from None

    def session(self) -> Session:
        session: Session = self.session_factory()
        return session

    def close(self) -> None:
        self.engine.dispose()


def count_data_keys(url: str) -> int:
    """Data keys in the key store at ``url``, read without a KEK; 0 when there is no store yet.

    Asked before new keys are made: a new KEK could not unwrap any of them. A SQLite file
    that does not exist is not created.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            return 0
        if not Path(parsed.database).is_file():
            return 0
    try:
        engine = make_engine(url)
    except OSError:
        return 0
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(DataKey.__tablename__):
                return 0
            return int(connection.scalar(select(func.count()).select_from(DataKey)) or 0)
    except OperationalError as exc:
        raise KeyStoreUnavailable(f"key store unreachable: {type(exc.orig).__name__}") from None
    finally:
        engine.dispose()


def kek_check(material: KeyMaterial, clock: Clock) -> KekCheck:
    return KekCheck(
        kek_id=material.kek_id,
        sealed=seal(material.kek, _CHECK_PLAINTEXT, _CHECK_CONTEXT),
        created_at=clock.now(),
    )


def wrap(material: KeyMaterial, key_id: str, data_key: bytes) -> bytes:
    return seal(material.kek, data_key, key_id.encode("ascii"))


def unwrap(material: KeyMaterial, key_id: str, wrapped: bytes) -> bytes:
    return open_sealed(material.kek, wrapped, key_id.encode("ascii"))


def translate_store_errors(exc: SQLAlchemyError) -> DatawardError:
    return KeyStoreUnavailable(f"key store error: {type(exc).__name__}")


def material_of(uow: UnitOfWork) -> KeyMaterial:
    """The key material of the unit's key store.

    The core holds the key store as a protocol that names no crypto type; the wiring hands
    every unit a ``Vault``, so the material is read here, typed, by the package it belongs to.
    """
    vault = uow.vault
    if not isinstance(vault, Vault):
        raise ConfigurationError("the unit of work was given a key store that is not a Vault")
    return vault.material
