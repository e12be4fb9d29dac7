"""Single decisions answered on the event loop, without a thread, when nothing can wait.

The decision API is called once per person by campaigns. Handed to a thread, each of its
driver calls waited for the interpreter lock held by the loop serving the other
connections; so where a decision cannot block, it is answered on the loop itself:

- **SQLite** (main database and key store): the decision is one indexed read of a file
  this process has open (about a tenth of a millisecond), and in WAL mode a read never
  waits for a writer (883 against 1,527 requests a second). It must never wait for a
  pooled connection either, so a pool near its limit sends the call to a thread.
- **PostgreSQL**: one statement (the person with their records, and the newest register
  version) awaited on psycopg's async driver (``LoopReader``). A register not yet cached
  in this process (reading it is more than one row), an unknown ref (no row, so no
  register version either), a live call (TPS screening), a consent reference (looked
  up), or any failure of the read goes to the thread path.

The caller has checked who is asking already; ``decide_on_the_loop`` returning None means
"answer it in a thread, as ``decide`` always does". Made once per process, at app start.
"""

from __future__ import annotations

import psycopg
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from dataward.clock import Clock
from dataward.consent.decisions import Ask, decide_known, decide_many
from dataward.consent.lookups import person_and_register_from, person_by_ref_sql
from dataward.consent.loop_reads import LoopReader
from dataward.consent.policy import cached_policy
from dataward.consent.rules import Decision
from dataward.crypto.keystore import Vault
from dataward.db import POOL_SIZE
from dataward.errors import DatawardError
from dataward.uow import UnitOfWork


class DecisionReader:
    """Decides a question by subject ref on the event loop, or says to use a thread."""

    def __init__(
        self,
        engine: Engine,
        database_url: str,
        session_factory: sessionmaker[Session],
        clock: Clock,
        vault: Vault | None,
    ) -> None:
        self._engine = engine
        self._session_factory = session_factory
        self._clock = clock
        self._vault = vault
        keys = vault.engine.dialect.name if vault is not None else "sqlite"
        dialect = engine.dialect
        # Every read stays in this process only when the key store is SQLite as well.
        self.in_process = dialect.name == "sqlite" and keys == "sqlite"
        self.loop_reader = LoopReader(database_url) if dialect.name == "postgresql" else None
        self._sql = person_by_ref_sql(dialect) if self.loop_reader is not None else ""

    async def decide_on_the_loop(self, organisation: str, ask: Ask) -> Decision | None:
        """``decide``'s answer read without a thread, or None: answer it in a thread.

        Raises what ``decide`` raises (unknown purpose or subject, consent withdrawn).
        """
        if ask.subject_ref is None:
            return None
        if self.in_process:
            return self._decide_here(organisation, ask)
        reader = self.loop_reader
        if reader is None or ask.channel == "live_call" or ask.consent_ref is not None:
            return None
        return await self._decide_from_one_row(reader, organisation, ask, ask.subject_ref)

    def _decide_here(self, organisation: str, ask: Ask) -> Decision | None:
        """SQLite: the usual path, run on the loop while the pool has room."""
        checked_out = getattr(self._engine.pool, "checkedout", None)
        if checked_out is None or not checked_out() < POOL_SIZE:
            return None
        # ``decide`` for the question already put, rather than an Ask made again.
        with UnitOfWork(self._session_factory, self._clock, self._vault, read_only=True) as uow:
            answer = decide_many(uow, organisation, [ask])[0]
            if isinstance(answer, DatawardError):
                raise answer
            return answer

    async def _decide_from_one_row(
        self, reader: LoopReader, organisation: str, ask: Ask, ref: str
    ) -> Decision | None:
        """PostgreSQL: the person and the register version, awaited on the async driver.

        A failed read drops its connection; the thread path has its own pool and pings.
        """
        try:
            row = await reader.first(self._sql, {"value": ref, "organisation": organisation})
        except psycopg.Error:
            return None
        people, newest = person_and_register_from(row, organisation)
        policy = cached_policy(newest)
        if policy is None:
            return None
        return decide_known(policy, ask, people)

    async def close(self) -> None:
        """Close this event loop's connections (at shutdown)."""
        if self.loop_reader is not None:
            await self.loop_reader.close()
