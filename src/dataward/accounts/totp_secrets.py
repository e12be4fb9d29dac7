"""TOTP secrets at rest: sealed in ``users.totp_secret``, never stored readable.

The key is derived (HKDF) from ``DATAWARD_SECRET_KEY`` rather than taken from the key
store: signing in must work where the key store is not opened (the console starts without
a KEK; ``dataward user`` runs without one), and a staff credential is not a subject's data
to crypto-shred. Like the KEK, the secret key lives outside the database, so a copy or
backup of the database alone reveals no TOTP secret. Changing the secret key means
enrolling TOTP again (``dataward user reset --clear-totp``). Never commits.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, select

from dataward.accounts.audit_actions import TOTP_SECRETS_ENCRYPTED
from dataward.accounts.errors import TotpSecretUnreadable
from dataward.accounts.models import User
from dataward.audit.service import record
from dataward.config import Settings
from dataward.crypto.errors import DecryptionFailed
from dataward.crypto.sealed_text import SEALED_PREFIX, TextSealer, is_sealed
from dataward.errors import ConfigurationError
from dataward.uow import UnitOfWork


def totp_sealer_or_none(settings: Settings) -> TextSealer | None:
    """The sealer of TOTP secrets, or None when ``DATAWARD_SECRET_KEY`` is unset.

    The random per-process key the web edge signs with when the setting is unset is never
    used here: a secret sealed under it would be lost at the next start.
    """
    if settings.secret_key is None:
        return None
    return TextSealer.derive(settings.secret_key.get_secret_value().encode("utf-8"), "totp")


def totp_sealer(settings: Settings) -> TextSealer:
    sealer = totp_sealer_or_none(settings)
    if sealer is None:
        raise no_totp_key()
    return sealer


def no_totp_key() -> ConfigurationError:
    return ConfigurationError(
        "TOTP needs DATAWARD_SECRET_KEY: TOTP secrets are stored sealed under it. Set it "
        "from your secret store (on a development machine `make run` keeps it in "
        "var/local-keys.env)"
    )


def seal_totp(sealer: TextSealer, user: User, secret: str) -> str:
    # Bound to the user's id: a sealed secret copied onto another user's row does not open.
    return sealer.seal(secret, _context(user.id))


def open_totp(uow: UnitOfWork, user: User, sealer: TextSealer, *, actor: str) -> str:
    """The user's TOTP secret, readable. A legacy readable one is sealed on this first use."""
    stored = user.totp_secret or ""
    if not is_sealed(stored):
        if stored:
            user.totp_secret = seal_totp(sealer, user, stored)
            _record_sealed(uow, 1, actor=actor)
        return stored
    try:
        return sealer.open(stored, _context(user.id))
    except DecryptionFailed:
        raise TotpSecretUnreadable(
            "this account's TOTP secret cannot be read with the configured "
            "DATAWARD_SECRET_KEY: set the key it was sealed under, or clear the account's "
            "TOTP (`dataward user reset USERNAME --clear-totp`) and enrol again"
        ) from None


def encrypt_legacy_totp(uow: UnitOfWork, sealer: TextSealer, *, actor: str) -> int:
    """Seal every TOTP secret an older release stored readable; audited with the count.

    Run at every start (`dataward serve`, `dataward db upgrade`) so none stays readable
    after the first start of this release. Returns how many were sealed.
    """
    legacy = list(uow.session.scalars(select(User).where(_legacy()).order_by(User.id)))
    for user in legacy:
        user.totp_secret = seal_totp(sealer, user, user.totp_secret or "")
    if legacy:
        _record_sealed(uow, len(legacy), actor=actor)
    return len(legacy)


def count_legacy_totp(uow: UnitOfWork) -> int:
    """TOTP secrets still stored readable (before the first start with a secret key)."""
    query = select(func.count()).select_from(User).where(_legacy())
    return int(uow.session.scalar(query) or 0)


def count_unreadable_totp(uow: UnitOfWork, sealer: TextSealer) -> int:
    """Sealed TOTP secrets this key cannot open: checked at start, like the KEK, so a
    changed DATAWARD_SECRET_KEY is reported before anyone fails to sign in."""
    unreadable = 0
    rows = uow.session.execute(
        select(User.id, User.totp_secret).where(User.totp_secret.like(f"{SEALED_PREFIX}%"))
    )
    for user_id, stored in rows:
        try:
            sealer.open(stored, _context(user_id))
        except DecryptionFailed:
            unreadable += 1
    return unreadable


def _context(user_id: str) -> str:
    return f"totp:{user_id}"


def _legacy() -> ColumnElement[bool]:
    return and_(User.totp_secret.is_not(None), User.totp_secret.not_like(f"{SEALED_PREFIX}%"))


def _record_sealed(uow: UnitOfWork, count: int, *, actor: str) -> None:
    record(
        uow,
        actor=actor,
        action=TOTP_SECRETS_ENCRYPTED,
        entity_type="users",
        entity_id="-",
        details={"count": count},
    )
