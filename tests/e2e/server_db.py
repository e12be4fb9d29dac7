"""The database of a running `dataward serve`, opened from a browser test as a worker would.

A browser test sometimes needs what only the server's side holds (a queued email's text)
or a step a caseworker takes elsewhere (linking a subject); these open a unit of work on
the server's own SQLite database and keystore, with the real clock the server uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import select
from test_browser import Server

from dataward.clock import SystemClock
from dataward.config import Settings
from dataward.crypto.keystore import Vault
from dataward.crypto.secrets import key_material
from dataward.db import make_engine, make_session_factory
from dataward.models import import_all_models
from dataward.outbox.config import MailSettings
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import open_message
from dataward.uow import UnitOfWork

MAIL = MailSettings(mail_from="privacy@example.org")


@contextmanager
def server_uow(server: Server) -> Iterator[UnitOfWork]:
    """A unit of work on the server's database; the caller commits what it changes."""
    import_all_models()  # every table, for the foreign keys between domains
    settings = Settings(
        database_url=server.env["DATAWARD_DATABASE_URL"],
        keystore_url=server.env["DATAWARD_KEYSTORE_URL"],
        kek=server.env["DATAWARD_KEK"],
        blind_index_key=server.env["DATAWARD_BLIND_INDEX_KEY"],
    )
    engine = make_engine(settings.database_url)
    vault = Vault.open(settings.keystore_url, key_material(settings))
    try:
        with UnitOfWork(make_session_factory(engine), SystemClock(), vault) as uow:
            yield uow
    finally:
        vault.close()
        engine.dispose()


def latest_message_text(server: Server, kind: str) -> str:
    """The plain text of the newest queued message of ``kind``, decrypted as the worker would."""
    with server_uow(server) as uow:
        message = uow.session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == kind)
            .order_by(OutboxMessage.created_at.desc())
        ).first()
        assert message is not None, f"no {kind} message was queued"
        mime = open_message(uow, message, MAIL)
        return str(mime.get_body(("plain",)).get_content())


def six_digits(text: str) -> str:
    found = re.search(r"\b(\d{6})\b", text)
    assert found is not None, "the message carries no six-digit code"
    return found.group(1)
