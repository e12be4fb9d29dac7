"""Key material from settings: the KEK and the blind-index key, checked at start."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from dataward.config import Settings
from dataward.crypto.cipher import KEY_BYTES
from dataward.errors import ConfigurationError


@dataclass(frozen=True)
class KeyMaterial:
    kek_id: str
    kek: bytes
    index_key: bytes

    def __repr__(self) -> str:  # never print key bytes, not even in a traceback
        return f"KeyMaterial(kek_id={self.kek_id!r})"


def decode_key(value: str | None, setting: str) -> bytes:
    if not value:
        raise ConfigurationError(
            f"{setting} is not set: generate one with `dataward keys generate` and set it in "
            "the environment or .env"
        )
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ConfigurationError(f"{setting} is not valid base64") from None
    if len(raw) != KEY_BYTES:
        raise ConfigurationError(f"{setting} must decode to {KEY_BYTES} bytes, got {len(raw)}")
    return raw


def key_material(settings: Settings) -> KeyMaterial:
    kek = decode_key(settings.kek.get_secret_value() if settings.kek else None, "DATAWARD_KEK")
    index_key = decode_key(
        settings.blind_index_key.get_secret_value() if settings.blind_index_key else None,
        "DATAWARD_BLIND_INDEX_KEY",
    )
    if kek == index_key:
        raise ConfigurationError("DATAWARD_KEK and DATAWARD_BLIND_INDEX_KEY must differ")
    return KeyMaterial(settings.kek_id, kek, index_key)


def encode_key(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
