"""AES-GCM with a random 96-bit nonce; the nonce is stored in front of the ciphertext."""

from __future__ import annotations

import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from dataward.crypto.errors import DecryptionFailed

NONCE_BYTES = 12
KEY_BYTES = 32


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, sealed: bytes, aad: bytes) -> bytes:
    try:
        return AESGCM(key).decrypt(sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], aad)
    except (InvalidTag, ValueError):
        raise DecryptionFailed("ciphertext does not match its key or context") from None


def blind_digest(index_key: bytes, *parts: str) -> str:
    """HMAC-SHA256 over the parts, NUL-separated so ('ab','c') differs from ('a','bc')."""
    message = "\x00".join(parts).encode("utf-8")
    # The one-shot form runs in C: campaigns compute one per line of a million-line list.
    return hmac.digest(index_key, message, "sha256").hex()
