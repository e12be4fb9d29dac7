"""Unit of work: the one place that commits. Services receive it and never commit."""

from __future__ import annotations

from types import TracebackType
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from dataward.clock import Clock, SystemClock
from dataward.errors import ConfigurationError


class KeyStore(Protocol):
    """The key store as a unit of work holds it (``crypto.keystore.Vault`` is the one the
    wiring hands in): the core names no domain package, so it states what it uses.

    The unit only opens a ``session`` on the store; services read the key material with
    ``crypto.keystore.material_of(uow)``, typed by the package it belongs to.
    """

    def session(self) -> Session: ...


class UnitOfWork:
    """``with UnitOfWork(factory) as uow: service(uow, ...); uow.commit()``.

    Leaving the block without ``commit()`` rolls everything back, so a failed job leaves
    nothing half-written. With a ``vault`` the unit also holds a session on the key store;
    ``commit`` commits the key store first, so a data key always exists before anything
    encrypted under it does (a key left behind by a failed main commit is harmless).

    ``read_only=True`` is for units that only read and are answered many times a second
    (the decision API, the API token check): on a database server their connections run
    in autocommit, so no BEGIN and ROLLBACK travel to it; ``commit`` refuses either way.
    Nothing read in such a unit is locked, so it must not append to the audit chain.
    """

    def __init__(
        self,
        session_factory: sessionmaker[Any],
        clock: Clock | None = None,
        vault: KeyStore | None = None,
        *,
        read_only: bool = False,
    ) -> None:
        self._factory = session_factory
        self.read_only = read_only
        self.clock: Clock = clock or SystemClock()
        self._vault = vault
        self._session: Session | None = None
        self._keys: Session | None = None
        self.key_cache: dict[str, bytes] = {}

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("UnitOfWork used outside its `with` block")
        return self._session

    @property
    def vault(self) -> KeyStore:
        if self._vault is None:
            raise ConfigurationError("this operation needs the key store (DATAWARD_KEK etc.)")
        return self._vault

    @property
    def keys(self) -> Session:
        """Session on the key store, opened on first use."""
        if self._keys is None:
            self._keys = self._open(self.vault.session())
        return self._keys

    def _open(self, session: Session) -> Session:
        # SQLite runs in this process, where BEGIN and ROLLBACK cost no round trip and
        # switching a connection's mode costs more than they do: only servers get it.
        if self.read_only and session.get_bind().dialect.name != "sqlite":
            session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        return session

    def __enter__(self) -> UnitOfWork:
        self._session = self._open(self._factory())
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            for session in (self._keys, self._session):
                if session is not None:
                    session.rollback()
                    session.close()
        finally:
            self._session = None
            self._keys = None
            self.key_cache.clear()

    def commit(self) -> None:
        if self.read_only:
            raise RuntimeError("a read-only unit of work cannot commit")
        if self._keys is not None:
            self._keys.commit()
        self.session.commit()

    def rollback(self) -> None:
        if self._keys is not None:
            self._keys.rollback()
        self.session.rollback()
