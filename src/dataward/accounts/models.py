"""Account tables: staff users, their server-side sessions and API tokens.

Secrets are never stored as given: passwords as argon2id hashes, session and API tokens
as SHA-256 digests (they are long random values, so a fast hash is enough), TOTP secrets
sealed under a key held outside the database.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dataward.db import Base, UTCDateTime


class User(Base):
    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    # Pseudonymous reference for the audit chain and logs; a username may be an email.
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str] = mapped_column(String(200))
    # TOTP secret once enrolled, sealed ("v1:" + AES-GCM under a key derived from
    # DATAWARD_SECRET_KEY, see accounts.service.totp_sealer): a copy of the database alone
    # does not reveal it. A value without the prefix is a legacy readable one, sealed at start.
    totp_secret: Mapped[str | None] = mapped_column(String(128), default=None)
    # Last accepted TOTP time step: a code is accepted once only.
    totp_last_step: Mapped[int | None] = mapped_column(Integer, default=None)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebSession(Base):
    __tablename__ = "web_sessions"

    # SHA-256 of the cookie value: a copy of the table does not let anyone sign in.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id"), index=True)
    # "full", or a step of signing in still to do: "totp" (enter a code), "enrol" (set up).
    stage: Mapped[str] = mapped_column(String(10))
    csrf_secret: Mapped[str] = mapped_column(String(64))
    flashes: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    ref: Mapped[str] = mapped_column(String(32), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # First characters of the token, so people can tell their tokens apart in lists.
    prefix: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(80))
    user_id: Mapped[str] = mapped_column(String(36), ForeignKey("users.id"), index=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
