"""Key material for local development (``make run`` on 127.0.0.1) when none is configured.

A production deployment sets ``DATAWARD_KEK``, ``DATAWARD_BLIND_INDEX_KEY`` and
``DATAWARD_SECRET_KEY`` from a secret store. For a first local run on a loopback interface
``dataward serve`` generates them once into ``var/local-keys.env``, readable by the owner
only, so the two commands of the README work on a fresh clone; the banner says where the
keys are. Anywhere else, keys written beside the databases would travel with every backup
of ``var/`` and defeat crypto-shredding, so ``serve`` refuses to start without them.

Every other command only reads that file (``load_local_keys``), never makes one: a key
made while encrypted data exists could not read that data.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from sqlalchemy.engine import make_url

from dataward.config import Settings, get_settings
from dataward.crypto.cipher import new_key
from dataward.crypto.keystore import count_data_keys
from dataward.crypto.secrets import KEY_SETTINGS, LOCAL_KEYS_NAME, encode_key
from dataward.errors import ConfigurationError

_NAMES = KEY_SETTINGS
_PRIVATE = 0o600


def is_loopback(host: str) -> bool:
    """True for an interface only this machine reaches (127.0.0.1, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def keys_configured(settings: Settings) -> bool:
    return all(v is not None for v in (settings.kek, settings.blind_index_key, settings.secret_key))


def local_keys_path(settings: Settings) -> Path:
    return settings.var_dir / LOCAL_KEYS_NAME


def ensure_local_keys(path: Path | None = None, *, host: str | None = None) -> Path | None:
    """Make sure key material is configured for ``serve``; return the local file when used.

    On a loopback ``host`` (default: ``DATAWARD_HOST``) the local file is read, or made on a
    first start. On any other host the keys must come from the environment: nothing is
    written and ``ConfigurationError`` (exit 2) says what to set.
    """
    settings = get_settings()
    path = path or local_keys_path(settings)
    if keys_configured(settings):
        return None
    chosen = host if host is not None else settings.host
    if not is_loopback(chosen):
        raise ConfigurationError(_refusal(chosen, path))
    found = _read(path) if path.exists() else {}
    missing = [name for name in _NAMES if name not in found and not _configured(settings, name)]
    # A new KEK or blind-index key could not read data keys already in the key store.
    if {"DATAWARD_KEK", "DATAWARD_BLIND_INDEX_KEY"} & set(missing):
        _refuse_new_keys_beside_data(settings, path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _PRIVATE)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(
                "# Local development keys made by `dataward serve` on a loopback interface.\n"
                "# Never use them in production; keep them out of backups of the databases.\n"
            )
    for name in missing:  # a first start, or a file from an older run lacking a key
        found[name] = encode_key(new_key())
        with path.open("a", encoding="ascii") as handle:
            handle.write(f"{name}={found[name]}\n")
    _export(found)
    return path


def load_local_keys(settings: Settings | None = None) -> Path | None:
    """For commands other than ``serve``: read the local keys file, never make one.

    Used when the keys are not in the environment, the file exists, and ``DATAWARD_HOST`` is
    a loopback interface. The rule is serve's own: the file exists only because a loopback
    ``serve`` made it, and a machine configured to serve beyond itself must hold its keys in
    the environment for every command, so a command never falls back on a file the server
    would refuse. It does not depend on the database URL: a developer may point ``make run``
    at a local PostgreSQL and still expects the CLI to read what the server wrote.
    """
    settings = settings or get_settings()
    path = local_keys_path(settings)
    if keys_configured(settings) or not is_loopback(settings.host) or not path.is_file():
        return None
    _export(_read(path))
    return path


def protect_database_files(*urls: str) -> None:
    """Make SQLite database files (and their -wal/-shm) readable by the owner only.

    A new file is created empty with mode 0600 before SQLite opens it; SQLite gives its WAL
    and shared-memory files the mode of the database file. Existing files are narrowed.
    """
    for url in urls:
        parsed = make_url(url)
        if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
            continue
        database = Path(parsed.database)
        if not database.exists():
            try:
                database.parent.mkdir(parents=True, exist_ok=True)
                os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _PRIVATE))
            except FileExistsError:
                pass
            except OSError:
                continue  # the engine reports an unreachable database in its own words
        for suffix in ("", "-wal", "-shm", "-journal"):
            file = Path(f"{database}{suffix}")
            if file.exists() and (file.stat().st_mode & 0o777) != _PRIVATE:
                file.chmod(_PRIVATE)


def _configured(settings: Settings, name: str) -> bool:
    field = name.removeprefix("DATAWARD_").lower()
    return getattr(settings, field) is not None


def _read(path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in path.read_text(encoding="ascii").splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() in _NAMES and value.strip():
            found[name.strip()] = value.strip()
    return found


def _export(found: dict[str, str]) -> None:
    for name in _NAMES:
        if name in found:
            os.environ.setdefault(name, found[name])  # the environment wins over the file
    get_settings.cache_clear()


def _refuse_new_keys_beside_data(settings: Settings, path: Path) -> None:
    keys = count_data_keys(settings.keystore_url)
    if keys:
        raise ConfigurationError(
            f"the key store already holds {keys} data keys, but neither the environment nor "
            f"{path} has the keys they were made with: new keys could not read them, so none "
            "are made. Set DATAWARD_KEK, DATAWARD_KEK_ID and DATAWARD_BLIND_INDEX_KEY to the "
            f"keys the data was encrypted with (put the old {LOCAL_KEYS_NAME} back), or, to "
            "start afresh, remove the key store and the database."
        )


def _refusal(host: str, path: Path) -> str:
    beside = (
        f" The file {path} exists, but it is for development on 127.0.0.1 only: move its "
        "keys into your secret store and delete it."
        if path.exists()
        else ""
    )
    return (
        f"dataward will not serve on {host} without keys in the environment: local keys are "
        "made only for development on a loopback interface (127.0.0.1, ::1, localhost), "
        "because keys kept in var/ beside the databases travel with every backup and defeat "
        "crypto-shredding. Set DATAWARD_KEK, DATAWARD_BLIND_INDEX_KEY and DATAWARD_SECRET_KEY "
        "from a secret store outside the data folder (on a new installation, `dataward keys "
        "generate` prints three new ones; an existing installation needs the keys its data was "
        "encrypted with), or serve on 127.0.0.1." + beside
    )
