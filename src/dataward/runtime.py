"""Opening dataward's stores from settings: the main database and the key store.

The edges (CLI, web server, workers) call ``with open_runtime() as runtime:``; services
only see the unit of work it makes. A missing or wrong KEK, or an unreachable key store, is
an error here, at start, before anything is written. This is where the key store is handed
to the core: the unit of work knows it only as a ``KeyStore``.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import sessionmaker

from dataward.accounts.totp_secrets import (
    count_legacy_totp,
    count_unreadable_totp,
    encrypt_legacy_totp,
    totp_sealer_or_none,
)
from dataward.clock import Clock, SystemClock
from dataward.config import Settings, get_settings
from dataward.crypto.keystore import Vault
from dataward.crypto.secrets import key_material
from dataward.db import make_engine, make_session_factory
from dataward.errors import ConfigurationError
from dataward.localkeys import protect_database_files
from dataward.uow import UnitOfWork


@dataclass
class Runtime:
    engine: Engine
    session_factory: sessionmaker[Any]
    vault: Vault | None
    clock: Clock

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.session_factory, self.clock, self.vault)

    def reader(self) -> UnitOfWork:
        """A read-only unit of work (see ``UnitOfWork``): for lookups run many times."""
        return UnitOfWork(self.session_factory, self.clock, self.vault, read_only=True)

    def close(self) -> None:
        if self.vault is not None:
            self.vault.close()
        self.engine.dispose()

    def __enter__(self) -> Runtime:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def open_runtime(
    settings: Settings | None = None, *, with_keys: bool = True, clock: Clock | None = None
) -> Runtime:
    settings = settings or get_settings()
    material = key_material(settings) if with_keys else None  # a missing key: nothing written
    protect_database_files(settings.database_url, *([settings.keystore_url] if with_keys else []))
    vault = Vault.open(settings.keystore_url, material) if material is not None else None
    try:
        engine = make_engine(settings.database_url)
    except OSError as exc:  # e.g. a SQLite folder that cannot be created
        if vault is not None:
            vault.close()
        raise ConfigurationError(f"database unreachable: {type(exc).__name__}") from None
    return Runtime(engine, make_session_factory(engine), vault, clock or SystemClock())


def encrypt_legacy_totp_secrets(settings: Settings, *, actor: str) -> tuple[int, int]:
    """The start-up step after migrating: seal TOTP secrets an older release kept readable.

    Returns (sealed now, still readable). Without DATAWARD_SECRET_KEY nothing can be sealed:
    the caller says so rather than carry on silently.
    """
    sealer = totp_sealer_or_none(settings)
    with open_runtime(settings, with_keys=False) as runtime, runtime.uow() as uow:
        if sealer is None:
            return 0, count_legacy_totp(uow)
        sealed = encrypt_legacy_totp(uow, sealer, actor=actor)
        uow.commit()
        return sealed, 0


def unreadable_totp_secrets(settings: Settings) -> int:
    """Enrolled TOTP secrets the configured DATAWARD_SECRET_KEY cannot open (0 without a key)."""
    sealer = totp_sealer_or_none(settings)
    if sealer is None:
        return 0
    with open_runtime(settings, with_keys=False) as runtime, runtime.reader() as uow:
        return count_unreadable_totp(uow, sealer)
