"""Decision benchmark: in-process, HTTP on loopback, batches of a million, TPS import.

Every figure comes with a baseline measured in the same run on the same machine:

- in-process: ``consent.decisions.decide`` by subject ref, ``--calls`` times.
  Baseline: the two indexed SELECTs any decision needs at least (subject by ref, its
  consent records) in plain SQL.
- HTTP: ``GET /api/v1/decisions`` with a bearer token, served by uvicorn on 127.0.0.1 in
  a process of its own (as ``dataward serve`` runs), driven by wrk (``--clients``
  keep-alive connections for ``--seconds``, best of ``--rounds`` alternating rounds).
  Baseline: a bare FastAPI endpoint returning a fixed body of the same shape, served and
  loaded the same way. Goal: ratio
  (dataward / bare) >= 0.5. Load generators written in Python share the GIL with the
  server when they run in its process, and a request that waits on the database pays
  for every hand-back of the GIL; wrk keeps the load off the server's interpreter.
- batch: ``consent.batch.run_batch`` over ``--lines`` JSON lines of email identities
  (half of them subjects, half strangers), in a child process so its peak RSS is its own.
  Baseline: the same child reading and ``json.loads``-ing the same lines. Goals: < 60 s,
  peak RSS < 300 MB.
- TPS import of ``--tps`` numbers (``consent.tps.import_list``). Baseline: reading the
  CSV and computing the same HMAC digests, without the database.

Run: ``.venv/bin/python benchmarks/decisions_bench.py`` (``--backends sqlite`` to skip
PostgreSQL; ``DATAWARD_BENCH_PG_URL`` to point at another server).
"""

from __future__ import annotations

import argparse
import base64
import io
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHOP = ROOT / "tests" / "fixtures" / "consent" / "registers" / "shop.yaml"
ORG = "corner_shop"
PG_ADMIN = os.environ.get(
    "DATAWARD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _material() -> Any:
    from dataward.crypto.secrets import KeyMaterial

    raw = os.environ.get("DATAWARD_BENCH_KEYS")
    if raw:
        kek, index = (base64.b64decode(x) for x in raw.split(":"))
        return KeyMaterial("kek-bench", kek, index)
    kek, index = os.urandom(32), os.urandom(32)
    os.environ["DATAWARD_BENCH_KEYS"] = (
        base64.b64encode(kek).decode() + ":" + base64.b64encode(index).decode()
    )
    return KeyMaterial("kek-bench", kek, index)


@contextmanager
def stores(backend: str) -> Iterator[tuple[str, str]]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="dataward-decide-") as folder:
            yield f"sqlite:///{folder}/main.db", f"sqlite:///{folder}/keys.db"
        return
    from dataward.scratch import scratch_databases

    with scratch_databases(PG_ADMIN, "dataward_bench_dmain", "dataward_bench_dkeys") as urls:
        yield urls[0], urls[1]


def setup(main_url: str, keys_url: str, subjects: int) -> tuple[Any, Any, Any, list[str]]:
    from dataward.clock import SystemClock
    from dataward.consent.records import give_consent
    from dataward.crypto.keystore import Vault
    from dataward.db import make_engine, make_session_factory
    from dataward.migrate import upgrade
    from dataward.publication.registers import store_register
    from dataward.register.loader import load_register
    from dataward.subjects.bulk import SubjectRow, add_subjects_bulk
    from dataward.uow import UnitOfWork

    upgrade(main_url)
    engine = make_engine(main_url)
    factory = make_session_factory(engine)
    vault = Vault.open(keys_url, _material())
    with UnitOfWork(factory, SystemClock(), vault) as uow:
        store_register(uow, load_register(SHOP))
        rows = (
            SubjectRow(["customers"], [("email", f"person.{i}@example.com")])
            for i in range(subjects)
        )
        add_subjects_bulk(uow, ORG, rows, actor="bench")
        uow.commit()
    from sqlalchemy import select

    from dataward.subjects.models import Subject

    with factory() as session:
        refs = list(session.scalars(select(Subject.ref).order_by(Subject.created_at).limit(2000)))
    with UnitOfWork(factory, SystemClock(), vault) as uow:
        for ref in refs[::2]:
            give_consent(uow, ORG, ref, "offers", channel="sms", method="import", evidence="b")
        uow.commit()
    return engine, factory, vault, refs


def in_process(factory: Any, vault: Any, refs: list[str], calls: int) -> dict[str, float]:
    from sqlalchemy import text

    from dataward.clock import SystemClock
    from dataward.consent.decisions import decide
    from dataward.uow import UnitOfWork

    chosen = [refs[i % len(refs)] for i in range(calls)]
    allowed = 0
    started = time.perf_counter()
    with UnitOfWork(factory, SystemClock(), vault) as uow:
        for ref in chosen:
            allowed += decide(uow, ORG, ref, "offers", "sms").allow
    ours = time.perf_counter() - started
    if allowed != sum(1 for i in range(calls) if i % len(refs) % 2 == 0):
        raise SystemExit("benchmark produced wrong decisions")
    started = time.perf_counter()
    with factory() as session:
        for ref in chosen:
            sid = session.execute(
                text("SELECT id FROM subjects WHERE organisation = :o AND ref = :r"),
                {"o": ORG, "r": ref},
            ).scalar_one()
            session.execute(
                text("SELECT ref, state FROM consent_records WHERE subject_id = :s"), {"s": sid}
            ).all()
    base = time.perf_counter() - started
    return {"per_s": calls / ours, "baseline_per_s": calls / base}


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve_child(kind: str, main_url: str, keys_url: str, port: int) -> None:
    """Runs in its own process, as ``dataward serve`` would: our app, or the bare one."""
    import uvicorn

    from dataward.clock import SystemClock
    from dataward.crypto.keystore import Vault
    from dataward.uow import UnitOfWork

    vault = Vault.open(keys_url, _material())
    if kind == "ours":
        from dataward.config import Settings
        from dataward.web.app import create_app

        settings = Settings(
            database_url=main_url,
            keystore_url=keys_url,
            secret_key="bench-secret-key-0123456789-abcdefghijklmnop",
        )
        app: Any = create_app(settings, SystemClock(), vault)
    else:
        from fastapi import FastAPI

        from dataward.consent.decisions import decide
        from dataward.db import make_engine, make_session_factory

        factory = make_session_factory(make_engine(main_url))
        app = FastAPI()
        body = {"allow": True, "reasons": ["x"], "rules": ["MKT-01"], "records": ["c_1"]}

        @app.get("/bare")
        def bare_endpoint() -> dict[str, object]:
            return body

        # The same decision without the token check, to show what the check itself costs.
        @app.get("/decide")
        def decide_endpoint(subject: str) -> dict[str, object]:
            with UnitOfWork(factory, SystemClock(), vault) as uow:
                return decide(uow, ORG, subject, "offers", "sms").as_dict()

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


@contextmanager
def served(kind: str, main_url: str, keys_url: str) -> Iterator[int]:
    import socket

    port = _free_port()
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", kind, main_url, keys_url, str(port)], env=os.environ
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if child.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the {kind} server did not start") from None
                time.sleep(0.1)
        yield port
    finally:
        child.terminate()  # SIGTERM: uvicorn stops gracefully (token uses are written)
        child.wait(timeout=60)


def _wrk(port: int, path: str, headers: dict[str, str], clients: int, seconds: float) -> float:
    """Requests per second from wrk, a C load generator in a process of its own."""
    import re

    command = [
        "wrk",
        f"-t{min(2, clients)}",
        f"-c{clients}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"],
        capture_output=True,
        text=True,
        check=True,
    )
    if "Non-2xx" in done.stdout or "Socket errors" in done.stdout:
        raise SystemExit(f"wrk saw failed requests on {path}:\n{done.stdout}")
    found = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    if found is None:
        raise SystemExit(f"no figure in wrk's output:\n{done.stdout}")
    return float(found.group(1))


def over_http(
    main_url: str, keys_url: str, refs: list[str], clients: int, seconds: float, rounds: int
) -> dict[str, float]:
    import shutil

    from dataward.accounts.models import User
    from dataward.accounts.passwords import Passwords
    from dataward.accounts.service import create_user
    from dataward.accounts.tokens import create_token
    from dataward.clock import SystemClock
    from dataward.config import Settings
    from dataward.db import make_engine, make_session_factory
    from dataward.uow import UnitOfWork

    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: `make bench` installs it (apt-get install wrk)")
    engine = make_engine(main_url)
    factory = make_session_factory(engine)
    with UnitOfWork(factory, SystemClock()) as uow:
        hasher = Passwords(Settings(argon2_time_cost=1, argon2_memory_kib=8, argon2_parallelism=1))
        user, _ = create_user(uow, hasher, "bench", "admin", password="x" * 16, actor="bench")
        uow.commit()
    with UnitOfWork(factory, SystemClock()) as uow:
        owner = uow.session.get(User, user.id)
        assert owner is not None
        secret, _ = create_token(
            uow, owner, "bench", ["decisions:read"], 30, max_days=365, actor="bench"
        )
        uow.commit()
    engine.dispose()
    path = f"/api/v1/decisions?organisation={ORG}&subject={refs[0]}&purpose=offers&channel=sms"
    auth = {"Authorization": f"Bearer {secret}"}
    bare_decide = f"/decide?subject={refs[0]}"
    with (
        served("ours", main_url, keys_url) as ours_port,
        served("bare", main_url, keys_url) as bare_port,
    ):
        targets = {
            "per_s": (ours_port, path, auth),
            "baseline_per_s": (bare_port, "/bare", {}),
            "untokened_per_s": (bare_port, bare_decide, {}),
        }
        for port, target, headers in targets.values():
            _wrk(port, target, headers, clients, 1)  # warm up: pools, statements, policy
        # Rounds alternate between the servers and each keeps its best: other work on
        # the machine then slows one round of each rather than one server's only run.
        best = dict.fromkeys(targets, 0.0)
        for _ in range(rounds):
            for name, (port, target, headers) in targets.items():
                best[name] = max(best[name], _wrk(port, target, headers, clients, seconds))
    return best


def _email(number: int) -> str:
    return f"person.{number}@example.com"


def write_lines(path: Path, lines: int, subjects: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(lines):
            out.write(
                json.dumps(
                    {
                        "identity": {
                            "kind": "email",
                            "value": f"person.{i % (2 * subjects)}@example.com",
                        }
                    }
                )
                + "\n"
            )


def child_batch(main_url: str, keys_url: str, file: str, mode: str) -> None:
    """Runs in its own process: prints seconds, lines and peak RSS as JSON."""
    started = time.perf_counter()
    count = allowed = 0
    if mode == "baseline":
        with open(file, "rb") as handle:
            for line in handle:
                json.loads(line)
                count += 1
    else:
        from dataward.clock import SystemClock
        from dataward.consent.batch import Defaults, run_batch
        from dataward.crypto.keystore import Vault
        from dataward.db import make_engine, make_session_factory
        from dataward.uow import UnitOfWork

        engine = make_engine(main_url)
        factory = make_session_factory(engine)
        vault = Vault.open(keys_url, _material())
        with open(file, "rb") as handle:
            for answer in run_batch(
                lambda: UnitOfWork(factory, SystemClock(), vault, read_only=True),
                ORG,
                handle,
                Defaults("offers", "sms"),
            ):
                count += 1
                allowed += bool(answer.get("allow"))
        vault.close()
        engine.dispose()
    seconds = time.perf_counter() - started
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent across exec.
    status = Path("/proc/self/status").read_text(encoding="utf-8")
    hwm = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    rss_mb = int(hwm.split()[1]) / 1024
    print(json.dumps({"seconds": seconds, "lines": count, "allowed": allowed, "rss_mb": rss_mb}))


def batch(main_url: str, keys_url: str, file: Path, mode: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", mode, main_url, keys_url, str(file)],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ,
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def tps(factory: Any, vault: Any, numbers: int) -> dict[str, float]:
    from dataward.clock import SystemClock
    from dataward.consent.tps import _rows, import_list, tps_digest, uk_e164
    from dataward.uow import UnitOfWork

    text = "".join(f"07{400000000 + i * 7 % 599999999:09d}\n" for i in range(numbers))
    started = time.perf_counter()
    key = vault.material.index_key
    for _, raw in _rows(io.StringIO(text)):
        e164 = uk_e164(raw)
        assert e164 is not None
        tps_digest(key, e164)
    base = time.perf_counter() - started
    started = time.perf_counter()
    with UnitOfWork(factory, SystemClock(), vault) as uow:
        row = import_list(uow, "tps", io.StringIO(text))
        uow.commit()
    ours = time.perf_counter() - started
    return {"seconds": ours, "baseline_seconds": base, "numbers": row.numbers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3, help="HTTP rounds; best of each")
    parser.add_argument("--tps", type=int, default=1_000_000)
    args = parser.parse_args()
    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory(prefix="dataward-lines-") as folder:
        lines = Path(folder) / "list.jsonl"
        write_lines(lines, args.lines, args.subjects)
        for backend in args.backends.split(","):
            with stores(backend) as (main_url, keys_url):
                t0 = time.perf_counter()
                engine, factory, vault, refs = setup(main_url, keys_url, args.subjects)
                took = time.perf_counter() - t0
                print(f"\n[{backend}] setup: {args.subjects:,} subjects in {took:.1f} s")
                r = in_process(factory, vault, refs, args.calls)
                print(
                    f"[{backend}] in-process decide: {r['per_s']:,.0f}/s; baseline 2 SELECTs "
                    f"{r['baseline_per_s']:,.0f}/s; ratio {r['per_s'] / r['baseline_per_s']:.2f}"
                )
                h = over_http(main_url, keys_url, refs, args.clients, args.seconds, args.rounds)
                print(
                    f"[{backend}] HTTP GET /api/v1/decisions: {h['per_s']:,.0f} req/s; "
                    f"bare FastAPI {h['baseline_per_s']:,.0f} req/s; "
                    f"ratio {h['per_s'] / h['baseline_per_s']:.2f} (goal >= 0.5)"
                )
                print(
                    f"[{backend}] HTTP decide() without the token check: "
                    f"{h['untokened_per_s']:,.0f} req/s; "
                    f"ratio {h['untokened_per_s'] / h['baseline_per_s']:.2f} to bare"
                )
                b = batch(main_url, keys_url, lines, "decide")
                base = batch(main_url, keys_url, lines, "baseline")
                if b["lines"] != args.lines:
                    raise SystemExit("batch answered a wrong number of lines")
                print(
                    f"[{backend}] batch {int(b['lines']):,} identities: {b['seconds']:.1f} s "
                    f"(goal < 60), peak RSS {b['rss_mb']:.0f} MB (goal < 300), "
                    f"{int(b['allowed']):,} allowed; "
                    f"baseline json.loads only {base['seconds']:.1f} s, "
                    f"{base['rss_mb']:.0f} MB; ratio {b['seconds'] / base['seconds']:.1f}x"
                )
                t = tps(factory, vault, args.tps)
                print(
                    f"[{backend}] TPS import {int(t['numbers']):,} numbers: {t['seconds']:.1f} s; "
                    f"baseline parse+HMAC {t['baseline_seconds']:.1f} s; "
                    f"ratio {t['seconds'] / t['baseline_seconds']:.1f}x"
                )
                vault.close()
                engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_batch(sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[2])
    elif len(sys.argv) > 1 and sys.argv[1] == "--serve":
        serve_child(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        main()
