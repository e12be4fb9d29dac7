"""Signed heads: ``SEQ:HASH`` of the newest audit row, signed with a key the database never holds.

A head says "at ``signed_at``, row ``seq`` of the chain had hash ``row_hash``", signed with
an Ed25519 key (``DATAWARD_AUDIT_HEAD_KEY``) that lives outside the main database. Kept
where the database's writers cannot reach it (a file, another system, the DPO's mailbox),
each head is an anchor that ``dataward audit verify --heads`` checks: someone who can
rewrite the table can re-hash the chain, but cannot make a head for the new hashes without
the key, nor make an old head fit them.

This module is pure: keys, the signed form, and reading a file of heads. Writing heads
(the database, the destinations) is ``head_service``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from dataward.audit.errors import HeadKeyInvalid, HeadsUnreadable
from dataward.audit.service import Anchor

# Signed before the fields, so a head's signature can never be replayed as any other
# signature this key might one day make.
_CONTEXT = b"dataward audit head v1\n"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_KEY_ID = re.compile(r"[0-9a-f]{16}")
_MAX_LINE = 4096  # a head is ~300 characters; a longer line is not one
FIELDS = ("seq", "row_hash", "signed_at", "key_id", "signature")


def _decode(text: str, what: str, size: int) -> bytes:
    try:
        raw = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise HeadKeyInvalid(f"{what} is not base64") from None
    if len(raw) != size:
        raise HeadKeyInvalid(f"{what} must be {size} bytes in base64, not {len(raw)}")
    return raw


def key_id_of(public: bytes) -> str:
    """A short name of a public key, written in each head: which key to check it with."""
    return hashlib.sha256(public).hexdigest()[:16]


@dataclass(frozen=True)
class HeadPublicKey:
    """What checks heads; safe to publish and to keep beside the heads."""

    raw: bytes

    @classmethod
    def parse(cls, text: str, what: str = "the audit head public key") -> HeadPublicKey:
        return cls(_decode(text, what, 32))

    @property
    def b64(self) -> str:
        return base64.b64encode(self.raw).decode("ascii")

    @property
    def key_id(self) -> str:
        return key_id_of(self.raw)

    def signed(self, head: SignedHead) -> bool:
        """True when this key made ``head``'s signature over exactly its fields."""
        if head.key_id != self.key_id:
            return False
        try:
            signature = base64.b64decode(head.signature, validate=True)
            Ed25519PublicKey.from_public_bytes(self.raw).verify(signature, head.signed_bytes())
        except (binascii.Error, ValueError, InvalidSignature):
            return False
        return True


@dataclass(frozen=True)
class HeadKey:
    """The private signing key (an Ed25519 seed). Never stored in the main database."""

    seed: bytes

    @classmethod
    def parse(cls, text: str, what: str = "DATAWARD_AUDIT_HEAD_KEY") -> HeadKey:
        return cls(_decode(text, what, 32))

    @classmethod
    def generate(cls) -> HeadKey:
        private = Ed25519PrivateKey.generate()
        return cls(private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))

    @property
    def b64(self) -> str:
        return base64.b64encode(self.seed).decode("ascii")

    @property
    def public(self) -> HeadPublicKey:
        private = Ed25519PrivateKey.from_private_bytes(self.seed)
        return HeadPublicKey(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))

    def sign(self, seq: int, row_hash: str, signed_at: datetime) -> SignedHead:
        unsigned = SignedHead(seq, row_hash, _second(signed_at), self.public.key_id, "")
        signature = Ed25519PrivateKey.from_private_bytes(self.seed).sign(unsigned.signed_bytes())
        return SignedHead(
            unsigned.seq,
            unsigned.row_hash,
            unsigned.signed_at,
            unsigned.key_id,
            base64.b64encode(signature).decode("ascii"),
        )


def _second(moment: datetime) -> datetime:
    """UTC to the second: the form a head is written and signed in."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).replace(microsecond=0)


def _time_text(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class SignedHead:
    seq: int
    row_hash: str
    signed_at: datetime
    key_id: str
    signature: str

    def signed_bytes(self) -> bytes:
        """The canonical JSON of every field but the signature, after the context."""
        body = {
            "key_id": self.key_id,
            "row_hash": self.row_hash,
            "seq": self.seq,
            "signed_at": _time_text(self.signed_at),
        }
        return _CONTEXT + json.dumps(body, sort_keys=True, separators=(",", ":")).encode()

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "row_hash": self.row_hash,
            "signed_at": _time_text(self.signed_at),
            "key_id": self.key_id,
            "signature": self.signature,
        }

    def line(self) -> str:
        """One line of a heads file (and the body POSTed to a URL)."""
        return json.dumps(self.as_dict(), separators=(",", ":"))

    @property
    def anchor(self) -> Anchor:
        return Anchor(self.seq, self.row_hash)

    @classmethod
    def from_dict(cls, data: Any) -> SignedHead:
        """A head from its JSON form; ``ValueError`` says which field is wrong."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        missing = [name for name in FIELDS if name not in data]
        if missing:
            raise ValueError(f"missing {', '.join(missing)}")
        seq, row_hash, signed_at = data["seq"], data["row_hash"], data["signed_at"]
        key_id, signature = data["key_id"], data["signature"]
        if isinstance(seq, bool) or not isinstance(seq, int) or seq < 1:
            raise ValueError("seq is not a whole number from 1")
        if not isinstance(row_hash, str) or not _HEX64.fullmatch(row_hash):
            raise ValueError("row_hash is not 64 lowercase hex digits")
        if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
            raise ValueError("key_id is not 16 lowercase hex digits")
        if not isinstance(signature, str) or not signature:
            raise ValueError("signature is missing")
        if not isinstance(signed_at, str):
            raise ValueError("signed_at is not a time")
        try:
            moment = datetime.fromisoformat(signed_at.replace("Z", "+00:00"))
        except ValueError:
            raise ValueError("signed_at is not an ISO 8601 time") from None
        if moment.tzinfo is None:
            raise ValueError("signed_at has no time zone")
        return cls(seq, row_hash, _second(moment), key_id, signature)


@dataclass(frozen=True)
class HeadLine:
    """One line of a heads file: the head on it, or why it is not one."""

    where: str  # FILE:LINE
    head: SignedHead | None
    problem: str | None = None


def read_heads(path: Path) -> list[HeadLine]:
    """Every non-blank line of a heads file, read as a head or named as unreadable.

    A file that cannot be opened or is not UTF-8 raises ``HeadsUnreadable``: that is a
    mistake in the command, not evidence about the chain.
    """
    lines: list[HeadLine] = []
    try:
        with path.open(encoding="utf-8") as handle:
            for number, text in enumerate(handle, start=1):
                if not text.strip():
                    continue
                where = f"{path}:{number}"
                if len(text) > _MAX_LINE:
                    lines.append(HeadLine(where, None, "line is too long to be a head"))
                    continue
                try:
                    lines.append(HeadLine(where, SignedHead.from_dict(json.loads(text))))
                except ValueError as exc:  # json.JSONDecodeError is a ValueError
                    reason = "not JSON" if isinstance(exc, json.JSONDecodeError) else str(exc)
                    lines.append(HeadLine(where, None, reason))
    except (OSError, UnicodeDecodeError) as exc:
        raise HeadsUnreadable(f"heads file {path} cannot be read ({type(exc).__name__})") from None
    return lines
