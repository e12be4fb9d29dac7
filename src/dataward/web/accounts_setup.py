"""Wiring of accounts into the app: secrets, hashing, policies, throttle, key store, rules."""

from __future__ import annotations

import os
from datetime import timedelta

from fastapi import FastAPI
from fastapi.routing import APIRoute

from dataward.accounts.passwords import Passwords
from dataward.accounts.service import LoginPolicy
from dataward.accounts.sessions import SessionPolicy
from dataward.config import Settings
from dataward.crypto.keystore import Vault
from dataward.crypto.secrets import key_material
from dataward.errors import ConfigurationError
from dataward.logging import get_logger
from dataward.web.auth import app_routes, rule_of
from dataward.web.throttle import Throttle

log = get_logger(__name__)


def install_accounts(app: FastAPI, settings: Settings, vault: Vault | None) -> Vault | None:
    """Set up what signing in needs on ``app.state``. Returns a vault the app opened itself."""
    state = app.state
    if settings.secret_key is not None:
        state.secret_key = settings.secret_key.get_secret_value().encode()
    else:
        # Links and sign-in forms then stop working when the process restarts.
        log.warning("web.secret_key_ephemeral")
        state.secret_key = os.urandom(32)
    state.passwords = Passwords(settings)
    state.login_policy = LoginPolicy.from_settings(settings)
    state.session_policy = SessionPolicy.from_settings(settings)
    state.throttle = Throttle(state.clock, timedelta(minutes=settings.login_lockout_minutes))
    opened = None
    if vault is None and settings.kek is not None:
        vault = opened = Vault.open(settings.keystore_url, key_material(settings))
    # Without a key store the subject pages explain that DATAWARD_KEK etc. are needed.
    state.vault = vault
    return opened


def check_route_rules(app: FastAPI) -> None:
    """Fail closed: a route without a declared Access rule stops the app from starting."""
    missing = [
        info.path
        for info in app_routes(app)
        if isinstance(info.route, APIRoute) and not rule_of(info.route)
    ]
    if missing:
        raise ConfigurationError(
            "routes without an access rule: " + ", ".join(sorted(missing)),
            details=["declare one with dependencies=[PUBLIC], [console(...)] or [api(...)]"],
        )
