"""Batch decisions over HTTP: the body read first (the default) against streamed answers.

Issue 14, item 7. ``POST /api/v1/decisions/batch`` with ``--lines`` JSON lines of email
identities (half of them subjects, half strangers), served by uvicorn in a process of its
own (as ``dataward serve`` runs it):

- read first: an ordinary client (httpx) posts the whole body, then reads the answers;
  the server holds the body in memory, then answers.
- streamed (``stream=true``): a client writes the body on one thread while it reads the
  answers on another, and the server answers 4,000 lines at a time as they arrive.

Baselines, in the same run, the decision work with no HTTP at all: ``consent.batch.run_batch``
over the same lines in this process, warmed up by a first chunk (register parsed,
connections open); and the batch figure of ``decisions_bench.py``, the same in a fresh
process of its own (its time includes starting Python and importing dataward). Rounds
alternate between the two clients; each keeps its best.

Run: ``.venv/bin/python benchmarks/batch_http_bench.py`` (``--backends sqlite`` to skip
PostgreSQL; ``DATAWARD_BENCH_PG_URL`` to point at another server).
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import h11
import httpx

import decisions_bench as bench

PARAMS = {"organisation": bench.ORG, "purpose": "offers", "channel": "sms"}
PATH = "/api/v1/decisions/batch"


def make_token(main_url: str) -> str:
    from dataward.accounts.models import User
    from dataward.accounts.passwords import Passwords
    from dataward.accounts.service import create_user
    from dataward.accounts.tokens import create_token
    from dataward.clock import SystemClock
    from dataward.config import Settings
    from dataward.db import make_engine, make_session_factory
    from dataward.uow import UnitOfWork

    engine = make_engine(main_url)
    factory = make_session_factory(engine)
    with UnitOfWork(factory, SystemClock()) as uow:
        hasher = Passwords(Settings(argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1))
        user, _ = create_user(uow, hasher, "batch", "admin", password="x" * 16, actor="bench")
        uow.commit()
    with UnitOfWork(factory, SystemClock()) as uow:
        owner = uow.session.get(User, user.id)
        assert owner is not None
        secret, _ = create_token(
            uow, owner, "bench", ["decisions:read"], 30, max_days=365, actor="bench"
        )
        uow.commit()
    engine.dispose()
    return secret


def _check(answer: bytes, lines: int) -> int:
    """The number of allowed answers; exits unless every line was answered."""
    rows = answer.splitlines()
    if len(rows) != lines + 1 or not rows[-1].startswith(b'{"summary"'):
        raise SystemExit(f"the batch answered {len(rows)} lines for {lines}")
    return sum(1 for row in rows if b'"allow": true' in row)


def read_first(port: int, token: str, body: bytes, lines: int) -> tuple[float, int]:
    """An ordinary client: the whole body, then the whole answer. Seconds, allowed."""
    started = time.perf_counter()
    response = httpx.post(
        f"http://127.0.0.1:{port}{PATH}",
        params=PARAMS,
        content=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=600,
    )
    response.raise_for_status()
    seconds = time.perf_counter() - started
    return seconds, _check(response.content, lines)


def streamed(port: int, token: str, body: bytes, lines: int) -> tuple[float, int]:
    """A client that writes on one thread and reads on another. Seconds, allowed."""
    connection = h11.Connection(h11.CLIENT)
    query = "&".join(f"{k}={v}" for k, v in {**PARAMS, "stream": "true"}.items())
    request = h11.Request(
        method="POST",
        target=f"{PATH}?{query}",
        headers=[
            ("Host", f"127.0.0.1:{port}"),
            ("Authorization", f"Bearer {token}"),
            ("Transfer-Encoding", "chunked"),
        ],
    )
    # Every byte to send is framed first, so the writer thread never touches h11.
    frames = [connection.send(request) or b""]
    for start in range(0, len(body), 64 * 1024):
        frames.append(connection.send(h11.Data(data=body[start : start + 64 * 1024])) or b"")
    frames.append(connection.send(h11.EndOfMessage()) or b"")
    received = bytearray()
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=600) as sock:
        writer = threading.Thread(target=lambda: [sock.sendall(f) for f in frames])
        writer.start()
        while True:
            event = connection.next_event()
            if event is h11.NEED_DATA:
                connection.receive_data(sock.recv(256 * 1024))
            elif isinstance(event, h11.Response) and event.status_code != 200:
                raise SystemExit(f"the streamed batch was answered {event.status_code}")
            elif isinstance(event, h11.Data):
                received.extend(event.data)
            elif isinstance(event, h11.EndOfMessage):
                break
        writer.join()
    seconds = time.perf_counter() - started
    return seconds, _check(bytes(received), lines)


def warm_in_process(main_url: str, keys_url: str, file: Path) -> tuple[float, int]:
    """``run_batch`` over the file in this process after a warm-up chunk: seconds, allowed."""
    from itertools import islice

    from dataward.clock import SystemClock
    from dataward.consent.batch import CHUNK, Defaults, run_batch
    from dataward.crypto.keystore import Vault
    from dataward.db import make_engine, make_session_factory
    from dataward.uow import UnitOfWork

    engine = make_engine(main_url)
    factory = make_session_factory(engine)
    vault = Vault.open(keys_url, bench._material())

    def open_uow() -> UnitOfWork:
        return UnitOfWork(factory, SystemClock(), vault, read_only=True)

    defaults = Defaults("offers", "sms")
    with file.open("rb") as handle:
        for _ in run_batch(open_uow, bench.ORG, islice(handle, CHUNK), defaults):
            pass
    allowed = 0
    started = time.perf_counter()
    with file.open("rb") as handle:
        for answer in run_batch(open_uow, bench.ORG, handle, defaults):
            allowed += answer.get("allow") is True
    seconds = time.perf_counter() - started
    vault.close()
    engine.dispose()
    return seconds, allowed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--subjects", type=int, default=20_000)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2, help="rounds; best of each")
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="dataward-batch-") as folder:
        file = Path(folder) / "list.jsonl"
        bench.write_lines(file, args.lines, args.subjects)
        body = file.read_bytes()
        print(f"{args.lines:,} lines, {len(body) / 1024 / 1024:.1f} MiB")
        for backend in args.backends.split(","):
            with bench.stores(backend) as (main_url, keys_url):
                engine, _factory, vault, _refs = bench.setup(main_url, keys_url, args.subjects)
                vault.close()
                engine.dispose()
                token = make_token(main_url)
                base = bench.batch(main_url, keys_url, file, "decide")
                if base["lines"] != args.lines:
                    raise SystemExit("the baseline answered a wrong number of lines")
                warm_seconds, warm_allowed = warm_in_process(main_url, keys_url, file)
                best: dict[str, float] = {"read first": 0.0, "streamed": 0.0}
                allowed: dict[str, int] = {}
                clients: dict[str, Any] = {"read first": read_first, "streamed": streamed}
                with bench.served("ours", main_url, keys_url) as port:
                    # Warm up the server: its register parse, connections, token check.
                    warm_up = b"".join(body.splitlines(keepends=True)[:4000])
                    read_first(port, token, warm_up, warm_up.count(b"\n"))
                    for _ in range(args.rounds):
                        for name, client in clients.items():
                            seconds, allowed[name] = client(port, token, body, args.lines)
                            best[name] = max(best[name], args.lines / seconds)
                if len({*allowed.values(), int(base["allowed"]), warm_allowed}) != 1:
                    raise SystemExit(f"the clients disagree: {allowed}, {base['allowed']}")
                warm_per_s = args.lines / warm_seconds
                print(
                    f"[{backend}] baseline run_batch in-process, warm: {warm_per_s:,.0f} "
                    f"decisions/s; in a fresh process: {args.lines / base['seconds']:,.0f}/s"
                )
                for name, per_s in best.items():
                    print(
                        f"[{backend}] HTTP {name}: {per_s:,.0f} decisions/s; "
                        f"ratio {per_s / warm_per_s:.2f} to in-process, warm"
                    )


if __name__ == "__main__":
    main()
