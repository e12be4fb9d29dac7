"""Reads on the event loop for single decisions, on PostgreSQL: psycopg's async driver.

In the thread pool, each psycopg call waited a loopback round trip and then for the
interpreter lock held by the loop serving the other connections: the same decision ran at
a third of a bare endpoint's rate. Awaited on the loop, the round trip costs the loop
nothing. Only the one statement the decision API needs runs here (the person and the
newest register version, for ``fast_path``); anything else, and any failure, goes back to
the thread path, which answers as before.

Connections are autocommit (reads only) and kept per event loop: an asyncio connection
belongs to the loop it was first used on (uvicorn has one; test clients start several).
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from typing import Any

import psycopg
from sqlalchemy.engine import make_url

from dataward.db import POOL_SIZE


class LoopReader:
    """A few psycopg async connections to the main database, for one-row reads."""

    def __init__(self, url: str) -> None:
        parsed = make_url(url).set(drivername="postgresql")
        self._conninfo = parsed.render_as_string(hide_password=False)
        self._lock = threading.Lock()
        self._idle: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, list[psycopg.AsyncConnection[Any]]
        ] = weakref.WeakKeyDictionary()

    async def first(self, sql: str, params: dict[str, Any]) -> tuple[Any, ...] | None:
        """The first row of ``sql``; raises psycopg.Error (the caller falls back)."""
        loop = asyncio.get_running_loop()
        connection = self._take(loop)
        if connection is None:
            connection = await psycopg.AsyncConnection.connect(self._conninfo, autocommit=True)
        try:
            cursor = await connection.execute(sql, params)
            row = await cursor.fetchone()
        except BaseException:
            await connection.close()  # it may be broken: never pooled again
            raise
        await self._give(loop, connection)
        return row

    def _take(self, loop: asyncio.AbstractEventLoop) -> psycopg.AsyncConnection[Any] | None:
        with self._lock:
            idle = self._idle.get(loop)
            return idle.pop() if idle else None

    async def _give(
        self, loop: asyncio.AbstractEventLoop, connection: psycopg.AsyncConnection[Any]
    ) -> None:
        with self._lock:
            idle = self._idle.setdefault(loop, [])
            if len(idle) < POOL_SIZE and not connection.closed:
                idle.append(connection)
                return
        await connection.close()  # more than the pool keeps

    async def close(self) -> None:
        """Close this loop's connections (at shutdown)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            idle = self._idle.pop(loop, [])
        for connection in idle:
            await connection.close()
