"""Refusal flood benchmark: audit rows and requests/s for refused calls (issue 14, item 6).

On SQLite (a temporary file) and PostgreSQL (a throwaway database on the test server), the
app is driven in process through httpx's ASGI transport, one request at a time, from one
client address (``GET /api/v1/organisations``, on a database with no register, so an
accepted call does the least work an accepted call can):

- refused, rolled up: ``--n`` requests with made-up tokens under the default settings
  (refusals rolled up per client and 60 s window, 100 refusals per client before 429).
- refused, one row each: the same with ``DATAWARD_REFUSAL_WINDOW_SECONDS=0``, i.e. every
  refusal its own chain row, written with the request (the behaviour before the rollup).
- refused from ``--n`` addresses: one made-up token per address, rolled up (the bound on
  rows written at once per window, over all clients, is what stops this).
- baseline: ``--n`` accepted requests with a good token, in the same run.

Each line gives the chain rows written (shutdown's write of pending counts included),
the refusals the rows account for (the sum of their ``count``s) and requests per second.
Ratios are requests/s over the baseline's.

Run with ``.venv/bin/python benchmarks/refusal_flood_bench.py`` (``--backends sqlite`` to
skip PostgreSQL; ``DATAWARD_BENCH_PG_URL`` for another server).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select

from dataward.audit.models import AuditEvent
from dataward.clock import SystemClock
from dataward.config import Settings
from dataward.migrate import upgrade
from dataward.uow import UnitOfWork

PG_ADMIN = os.environ.get(
    "DATAWARD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
PATH = "/api/v1/organisations"
REFUSED = ("api_token.refused", "access.throttled")


@dataclass
class Run:
    label: str
    requests: int
    seconds: float
    rows: int
    refusals: int
    statuses: dict[int, int]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds


@contextmanager
def database(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="dataward-refusals-") as folder:
            yield f"sqlite:///{folder}/main.db"
        return
    from dataward.scratch import scratch_databases

    with scratch_databases(PG_ADMIN, "dataward_bench_refusals") as urls:
        yield urls[0]


def _app(url: str, **settings: Any) -> Any:
    from dataward.web.app import create_app

    values: dict[str, Any] = {
        "argon2_time_cost": 1,
        "argon2_memory_kib": 8,
        "argon2_parallelism": 1,
        "secret_key": "bench-secret-key-0123456789abcdef",
        **settings,
    }
    return create_app(Settings(database_url=url, **values), SystemClock())


def _token(app: Any) -> str:
    from dataward.accounts.service import create_user
    from dataward.accounts.tokens import create_token

    with UnitOfWork(app.state.session_factory, app.state.clock) as uow:
        user, _ = create_user(uow, app.state.passwords, "bench", "dpo", actor="bench")
        secret, _ = create_token(
            uow, user, "bench", ["registers:read"], 30, max_days=365, actor="bench"
        )
        uow.commit()
    return secret


def _chain(app: Any) -> tuple[int, int]:
    """Refusal rows in the chain, and the refusals they account for."""
    with app.state.session_factory() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.action.in_(REFUSED))).all()
        return len(rows), sum(int(r.details.get("count", 1)) for r in rows)


def _all_rows(app: Any) -> int:
    with app.state.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


async def _drive(app: Any, n: int, token: str | None, spread: bool) -> dict[int, int]:
    statuses: dict[int, int] = {}
    clients: dict[str, httpx.AsyncClient] = {}
    try:
        for i in range(n):
            address = f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}" if spread else "10.9.9.9"
            client = clients.get(address)
            if client is None:
                transport = httpx.ASGITransport(app=app, client=(address, 40000))
                client = httpx.AsyncClient(transport=transport, base_url="http://bench")
                if spread:
                    clients.clear()  # one request per address: keep no idle clients
                clients[address] = client
            secret = token if token is not None else f"dw_made_up_{i}"
            reply = await client.get(PATH, headers={"Authorization": f"Bearer {secret}"})
            statuses[reply.status_code] = statuses.get(reply.status_code, 0) + 1
    finally:
        for client in clients.values():
            await client.aclose()
    return statuses


def run(
    label: str, url: str, n: int, *, good: bool = False, spread: bool = False, **settings: Any
) -> Run:
    from dataward.web.app import write_pending_token_uses
    from dataward.web.refusals import write_pending_refusals

    upgrade(url)
    app = _app(url, **settings)
    try:
        token = _token(app) if good else None
        before = _all_rows(app)
        started = time.perf_counter()
        statuses = asyncio.run(_drive(app, n, token, spread))
        seconds = time.perf_counter() - started
        # What a graceful stop writes: the counts still in memory.
        write_pending_refusals(app)
        write_pending_token_uses(app)
        rows, refusals = _chain(app)
        if good:
            rows = _all_rows(app) - before
        return Run(label, n, seconds, rows, refusals, statuses)
    finally:
        app.state.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="requests per run")
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cpus")
    for backend in args.backends.split(","):
        runs: list[Run] = []
        plans: list[tuple[str, dict[str, Any]]] = [
            ("accepted (baseline)", {"good": True}),
            ("refused, rolled up", {}),
            ("refused, one row each", {"refusal_window_seconds": 0}),
            (f"refused from {args.n} addresses", {"spread": True}),
        ]
        for label, options in plans:
            with database(backend) as url:
                print(f"[{backend}] {label} ...", file=sys.stderr, flush=True)
                runs.append(run(label, url, args.n, **options))
        base = runs[0].per_second
        print(f"\n{backend}: {args.n} requests per run, one at a time, GET {PATH}")
        print(f"{'run':<32} {'req/s':>8} {'ratio':>6} {'rows':>6} {'counted':>8}  statuses")
        for r in runs:
            counted = "-" if r.label.startswith("accepted") else str(r.refusals)
            print(
                f"{r.label:<32} {r.per_second:>8.0f} {r.per_second / base:>6.2f} "
                f"{r.rows:>6} {counted:>8}  {dict(sorted(r.statuses.items()))}"
            )


if __name__ == "__main__":
    main()
