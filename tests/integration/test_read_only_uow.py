"""Read-only units of work: autocommit reads, no commit (both backends)."""

from __future__ import annotations

from typing import Any

import pytest
from consent_support import SHOP, customer, load_shop
from sqlalchemy import event
from sqlalchemy.orm import sessionmaker

from dataward.clock import FixedClock
from dataward.consent.decisions import decide
from dataward.crypto.keystore import Vault
from dataward.uow import UnitOfWork


def test_a_read_only_unit_reads_without_a_transaction_and_cannot_commit(
    uow: UnitOfWork, session_factory: sessionmaker[Any], clock: FixedClock, vault: Vault
) -> None:
    load_shop(uow)
    ref = customer(uow)
    uow.commit()
    engine = session_factory.kw["bind"]
    sent: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement.split()[0].upper())

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with UnitOfWork(session_factory, clock, vault, read_only=True) as reader:
            answer = decide(reader, SHOP, ref, "offers", "sms")
            with pytest.raises(RuntimeError, match="read-only"):
                reader.commit()
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    # The same answer as in an ordinary unit, from plain SELECTs in autocommit.
    assert answer == decide(uow, SHOP, ref, "offers", "sms")
    assert sent
    assert set(sent) == {"SELECT"}
    with UnitOfWork(session_factory, clock, vault, read_only=True) as reader:
        driver = reader.session.connection().connection.dbapi_connection
        # On a server, the driver's own autocommit: no BEGIN is sent, no ROLLBACK at the end.
        # SQLite keeps its (in-process, free) transactions.
        if engine.dialect.name == "sqlite":
            assert driver.isolation_level is not None  # type: ignore[union-attr]
        else:
            assert driver.autocommit is True  # type: ignore[union-attr]
    with UnitOfWork(session_factory, clock, vault) as writer:
        driver = writer.session.connection().connection.dbapi_connection
        # Back in the pool, the connection is an ordinary transactional one again.
        if engine.dialect.name != "sqlite":
            assert driver.autocommit is False  # type: ignore[union-attr]
