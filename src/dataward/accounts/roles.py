"""Changing a user's role, and the rule that keeps one active administrator. Never commits.

dataward is run by its administrators: with none left active, nobody could add a user, reset
a password or revoke a token from the console. So the last active administrator can be
neither demoted nor disabled; another administrator must be made first.
"""

from __future__ import annotations

from sqlalchemy import select

from dataward.accounts.audit_actions import USER_ROLE_CHANGED
from dataward.accounts.errors import InputRefused, LastAdmin
from dataward.accounts.models import User
from dataward.accounts.permissions import Role
from dataward.accounts.service import parse_role
from dataward.audit.service import record
from dataward.uow import UnitOfWork

# Least privilege by default (issue 15, item 4): an auditor reads the registers, their lint
# findings and the audit chain, and never a decrypted identity. It is the smallest role that
# still lets a new person see what dataward does; more is granted by an administrator.
DEFAULT_ROLE = Role.AUDITOR


def _active_admins(uow: UnitOfWork) -> list[User]:
    # FOR UPDATE on PostgreSQL: two administrators demoting each other at the same moment
    # must not both pass the check. SQLite has one writer at a time anyway.
    query = (
        select(User)
        .where(User.role == Role.ADMIN.value, User.disabled_at.is_(None))
        .with_for_update()
    )
    return list(uow.session.scalars(query))


def ensure_not_last_admin(uow: UnitOfWork, user: User, doing: str) -> None:
    """Refuse ``doing`` (demote, disable) when ``user`` is the last active administrator."""
    if user.role != Role.ADMIN.value or user.disabled_at is not None:
        return
    others = [admin for admin in _active_admins(uow) if admin.id != user.id]
    if not others:
        raise LastAdmin(
            f"the user {user.username} is the last active administrator and cannot be {doing}; "
            "make another user an administrator first"
        )


def change_role(uow: UnitOfWork, user: User, role: str, *, actor: str) -> str:
    """Give ``user`` the role ``role``; returns the role they had. Audited with both."""
    new = parse_role(role)
    old = user.role
    if new.value == old:
        raise InputRefused(f"{user.username} already has the role {old}")
    if new is not Role.ADMIN:
        ensure_not_last_admin(uow, user, "demoted")
    user.role = new.value
    # Sessions and tokens read the role on every request, so the change applies at once.
    record(
        uow,
        actor=actor,
        action=USER_ROLE_CHANGED,
        entity_type="user",
        entity_id=user.ref,
        details={"from": old, "to": new.value},
    )
    return old
