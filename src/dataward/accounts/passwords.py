"""argon2id password hashing, with parameters from settings (tests use cheap ones)."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from dataward.accounts.errors import InputRefused
from dataward.config import Settings

MIN_LENGTH = 12
# Hashing is deliberately slow, so a huge password would be a cheap way to burn CPU.
MAX_LENGTH = 256
_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class Passwords:
    def __init__(self, settings: Settings) -> None:
        self._hasher = PasswordHasher(
            time_cost=settings.argon2_time_cost,
            memory_cost=settings.argon2_memory_kib,
            parallelism=settings.argon2_parallelism,
            type=Type.ID,
        )
        # Unknown usernames are checked against this, so they take as long as known ones.
        self._dummy = self._hasher.hash(secrets.token_urlsafe(16))

    def hash(self, password: str) -> str:
        check_policy(password)
        return self._hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored or self._dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._hasher.check_needs_rehash(stored)


def check_policy(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InputRefused(f"a password needs at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise InputRefused(f"a password may have at most {MAX_LENGTH} characters")


def generate_password() -> str:
    """20 characters without look-alikes (0/O, 1/l): about 116 bits."""
    return "".join(secrets.choice(_ALPHABET) for _ in range(20))
