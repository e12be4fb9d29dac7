"""Short secrets the main database must keep but never hold readable (TOTP secrets).

Each value is sealed with AES-GCM (``cipher.seal``) under a key derived with HKDF-SHA256
from a secret held outside the database, bound to a context (the row it belongs to) so a
sealed value copied to another row does not open. The stored text is ``v1:`` and the
base64 of nonce + ciphertext: the prefix names the scheme, so a value stored readable by
an older release is recognised and sealed, never mistaken for a sealed one.
"""

from __future__ import annotations

import base64
import binascii

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from dataward.crypto.cipher import KEY_BYTES, open_sealed, seal
from dataward.crypto.errors import DecryptionFailed

SEALED_PREFIX = "v1:"


def is_sealed(stored: str) -> bool:
    return stored.startswith(SEALED_PREFIX)


class TextSealer:
    """Seals and opens short texts under one derived key; never prints the key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"a sealing key has {KEY_BYTES} bytes")
        self._key = key

    @classmethod
    def derive(cls, secret: bytes, purpose: str) -> TextSealer:
        """A key of its own per purpose: the secret's other uses (signing) never share it."""
        hkdf = HKDF(
            algorithm=hashes.SHA256(),
            length=KEY_BYTES,
            salt=None,
            info=f"dataward {purpose} {SEALED_PREFIX}".encode(),
        )
        return cls(hkdf.derive(secret))

    def seal(self, text: str, context: str) -> str:
        sealed = seal(self._key, text.encode("utf-8"), context.encode("utf-8"))
        return SEALED_PREFIX + base64.b64encode(sealed).decode("ascii")

    def open(self, stored: str, context: str) -> str:
        """The text sealed in ``stored``; ``DecryptionFailed`` for another key or context."""
        if not is_sealed(stored):
            raise DecryptionFailed("the value is not sealed")
        try:
            raw = base64.b64decode(stored[len(SEALED_PREFIX) :], validate=True)
        except (binascii.Error, ValueError):
            raise DecryptionFailed("the sealed value is damaged") from None
        try:
            return open_sealed(self._key, raw, context.encode("utf-8")).decode("utf-8")
        except UnicodeDecodeError:
            raise DecryptionFailed("the sealed value is damaged") from None

    def __repr__(self) -> str:
        return "TextSealer(<key hidden>)"
