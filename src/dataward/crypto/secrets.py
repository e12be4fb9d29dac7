"""Key material from settings: the KEK and the blind-index key, checked at start."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from dataward.config import Settings
from dataward.crypto.cipher import KEY_BYTES
from dataward.errors import ConfigurationError

# The settings that hold key material, and the file a loopback `dataward serve` keeps them
# in for development (see dataward.localkeys); named here so the errors can point at it.
KEY_SETTINGS = ("DATAWARD_KEK", "DATAWARD_BLIND_INDEX_KEY", "DATAWARD_SECRET_KEY")
LOCAL_KEYS_NAME = "local-keys.env"


@dataclass(frozen=True)
class KeyMaterial:
    kek_id: str
    kek: bytes
    index_key: bytes

    def __repr__(self) -> str:  # never print key bytes, not even in a traceback
        return f"KeyMaterial(kek_id={self.kek_id!r})"


def decode_key(value: str | None, setting: str, settings: Settings | None = None) -> bytes:
    if not value:
        hint = missing_key_help(settings) if settings is not None else ""
        raise ConfigurationError(f"{setting} is not set{hint}")
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(f"{setting} is not valid base64") from None
    if len(raw) != KEY_BYTES:
        raise ConfigurationError(f"{setting} must decode to {KEY_BYTES} bytes, got {len(raw)}")
    return raw


def key_material(settings: Settings) -> KeyMaterial:
    kek = decode_key(
        settings.kek.get_secret_value() if settings.kek else None, "DATAWARD_KEK", settings
    )
    index_key = decode_key(
        settings.blind_index_key.get_secret_value() if settings.blind_index_key else None,
        "DATAWARD_BLIND_INDEX_KEY",
        settings,
    )
    if kek == index_key:
        raise ConfigurationError("DATAWARD_KEK and DATAWARD_BLIND_INDEX_KEY must differ")
    return KeyMaterial(settings.kek_id, kek, index_key)


def encode_key(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def missing_key_help(settings: Settings) -> str:
    """What to do when a key is missing, as the rest of a one-line error.

    Never "make a new key" alone: a key made while encrypted data exists cannot read it.
    """
    where = settings.var_dir / LOCAL_KEYS_NAME
    unread = (
        f" ({where} exists but is read only while DATAWARD_HOST is a loopback address, "
        f"not {settings.host})"
        if where.is_file()
        else ""
    )
    return (
        f"{unread}. On a development machine, start `make run` (`dataward serve` on "
        f"127.0.0.1) once: it makes local keys in {where}, which every command then reads. "
        "Elsewhere, set DATAWARD_KEK, DATAWARD_BLIND_INDEX_KEY and DATAWARD_SECRET_KEY to "
        "the keys the data was encrypted with, from your secret store; only for a new, empty "
        "installation make new ones with `dataward keys generate`."
    )
