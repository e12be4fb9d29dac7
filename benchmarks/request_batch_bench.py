"""A portal's batch of rights requests: 1,000 lines through the service and over HTTP.

On SQLite (temporary files) and PostgreSQL (throwaway databases on the test server), with
the web fixture register (``acme_widgets``) and ``--subjects`` known people:

- service: ``requests.batch.open_batch`` over ``--lines`` lines (a third-party portal acting
  for each person, with the authority it holds; one line in four names a known subject),
  in one unit of work, committed.
- HTTP: the same lines as ``POST /api/v1/requests/batch`` through the app (a TestClient in
  this process: no network, the route, the token check, the JSON both ways), with
  ``"acknowledge": false`` (the service run's work); then again as sent by default, each
  line's requester acknowledged by email (a sealed outbox message, its job and audit row
  each: work the baseline does not have, so it is reported beside the ratio).
- baseline, in the same run: the rows the service run wrote (requests, their events, tasks
  and authorities, data keys, audit rows) deleted, then written again with plain
  ``executemany`` INSERTs in one transaction: the least any batch could cost (no checks,
  no sealing, no hashing). Goal: the service and the HTTP batch within 5 times it.

Both runs are warmed up first by a small batch (the register parsed, connections open).
After the runs ``dataward audit verify`` (the command) must pass (the chain intact, rows re-inserted
byte for byte). Run with ``.venv/bin/python benchmarks/request_batch_bench.py``
(``--backends sqlite`` to skip PostgreSQL; ``DATAWARD_BENCH_PG_URL`` for another server;
``--profile FILE`` writes a cProfile of the service run).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.crypto.keystore import DataKey, Vault
from dataward.crypto.secrets import KeyMaterial
from dataward.db import make_engine, make_session_factory
from dataward.migrate import upgrade
from dataward.requests.authority import Evidence
from dataward.requests.authority_models import RequestAuthority
from dataward.requests.batch import BatchLine, open_batch
from dataward.requests.models import RequestEvent, RightsRequest
from dataward.requests.service import NewRequest, Requester
from dataward.requests.task_models import RequestTask
from dataward.scratch import scratch_databases
from dataward.uow import UnitOfWork

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "web"
ORG = "acme_widgets"
PG_ADMIN = os.environ.get(
    "DATAWARD_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
RECEIVED = "2026-11-02"
# The request's own rows, children first (the order they are deleted in).
REQUEST_TABLES: tuple[Any, ...] = (RequestTask, RequestEvent, RequestAuthority, RightsRequest)


def check(ok: bool, what: str) -> None:
    if not ok:
        raise SystemExit(f"benchmark produced a wrong result: {what}")


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def item(n: int, subject_ref: str | None) -> dict[str, Any]:
    """One line as a portal sends it (the JSON of ``POST /api/v1/requests/batch``)."""
    return {
        "organisation": ORG,
        "rights": ["access"] if n % 3 else ["access", "erasure"],
        "channel": "batch",
        "received_on": RECEIVED,
        "requester_kind": "third_party_portal",
        "subject_ref": subject_ref,
        "requester": {
            "name": "Rights Portal Ltd",
            "email": "cases@portal.example",
            "on_behalf_of": f"Person Number{n}",
            "words": f"Please send me everything you hold about me (case {n}).",
        },
        "authority": {
            "evidence": "signed_authority",
            "description": f"Mandate signed by Person Number{n} on 1 November 2026",
        },
    }


def items(n: int, refs: list[str]) -> list[dict[str, Any]]:
    return [item(i, refs[i % len(refs)] if i % 4 == 0 else None) for i in range(n)]


def as_line(body: dict[str, Any]) -> BatchLine:
    """The line as the service takes it (what the edge makes of the JSON)."""
    given = body["authority"]
    return BatchLine(
        new=NewRequest(
            organisation=body["organisation"],
            rights=body["rights"],
            channel=body["channel"],
            received_on=datetime.fromisoformat(body["received_on"]).date(),
            requester=Requester(**body["requester"]),
            requester_kind=body["requester_kind"],
            subject_ref=body["subject_ref"],
        ),
        authority=Evidence(kind=given["evidence"], description=given["description"]),
    )


def material() -> KeyMaterial:
    return KeyMaterial("kek-bench", os.urandom(32), os.urandom(32))


@contextmanager
def stores(backend: str) -> Iterator[tuple[str, str]]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="dataward-rbatch-") as folder:
            yield f"sqlite:///{folder}/main.db", f"sqlite:///{folder}/keys.db"
        return
    with scratch_databases(PG_ADMIN, "dataward_bench_rbmain", "dataward_bench_rbkeys") as urls:
        yield urls[0], urls[1]


def app_for(main_url: str, vault: Vault, clock: FixedClock) -> Any:
    from dataward.config import Settings
    from dataward.web.app import create_app
    from dataward.web.loading import load_examples

    settings = Settings(
        database_url=main_url,
        examples_dir=FIXTURES,
        argon2_time_cost=1,
        argon2_memory_kib=8,
        argon2_parallelism=1,
        cookie_secure=False,
        secret_key="bench-secret-key-for-signing-links-0123456789",
    )
    app = create_app(settings, clock, vault)
    with UnitOfWork(app.state.session_factory, clock) as uow:
        load_examples(uow, FIXTURES / "registers")
        uow.commit()
    return app


def token_for(app: Any, clock: FixedClock) -> str:
    from dataward.accounts.models import User
    from dataward.accounts.service import create_user
    from dataward.accounts.tokens import create_token

    with UnitOfWork(app.state.session_factory, clock) as uow:
        user, _ = create_user(
            uow, app.state.passwords, "portal.bot", "caseworker", password="x" * 16, actor="bench"
        )
        uow.commit()
    with UnitOfWork(app.state.session_factory, clock) as uow:
        owner = uow.session.get(User, user.id)
        assert owner is not None
        secret, _ = create_token(
            uow, owner, "bench", ["requests:write"], 30, max_days=365, actor="bench"
        )
        uow.commit()
    return secret


def subjects(app: Any, clock: FixedClock, vault: Vault, n: int) -> list[str]:
    from dataward.subjects.bulk import SubjectRow, add_subjects_bulk
    from dataward.subjects.models import Subject

    with UnitOfWork(app.state.session_factory, clock, vault) as uow:
        rows = (SubjectRow(["customers"], [("email", f"person.{i}@example.com")]) for i in range(n))
        add_subjects_bulk(uow, ORG, rows, actor="bench")
        uow.commit()
    with app.state.session_factory() as session:
        return list(session.scalars(select(Subject.ref).where(Subject.organisation == ORG)))


def rows_of(session: Session, keys: Session, ids: list[str], refs: list[str], seq: int) -> Any:
    """Every row the service run wrote, as plain dicts per table (for the baseline)."""

    def dicts(model: Any, where: Any) -> list[dict[str, Any]]:
        table = model.__table__
        found = (keys if model is DataKey else session).execute(select(table).where(where))
        return [dict(row._mapping) for row in found]

    key_ids = list(session.scalars(select(RightsRequest.key_id).where(RightsRequest.id.in_(ids))))
    written = {
        RightsRequest: dicts(RightsRequest, RightsRequest.id.in_(ids)),
        RequestEvent: dicts(RequestEvent, RequestEvent.request_id.in_(ids)),
        RequestTask: dicts(RequestTask, RequestTask.request_id.in_(ids)),
        RequestAuthority: dicts(RequestAuthority, RequestAuthority.request_id.in_(ids)),
        AuditEvent: dicts(AuditEvent, AuditEvent.seq > seq),
        DataKey: dicts(DataKey, DataKey.key_id.in_(key_ids)),
    }
    check(len(written[RightsRequest]) == len(refs), "every line opened a request")
    return written


def baseline(factory: Any, vault: Vault, written: dict[Any, list[dict[str, Any]]]) -> float:
    """Delete the service run's rows, then time writing them again with executemany."""
    ids = [row["id"] for row in written[RightsRequest]]
    seqs = [row["seq"] for row in written[AuditEvent]]
    key_ids = [row["key_id"] for row in written[DataKey]]
    with factory() as session, vault.session() as keys:
        for model in REQUEST_TABLES:
            column = model.id if model is RightsRequest else model.request_id
            session.execute(delete(model).where(column.in_(ids)))
        session.execute(delete(AuditEvent).where(AuditEvent.seq >= min(seqs)))
        keys.execute(delete(DataKey).where(DataKey.key_id.in_(key_ids)))
        keys.commit()
        session.commit()
    with factory() as session, vault.session() as keys:
        started = time.perf_counter()
        keys.execute(insert(DataKey.__table__), written[DataKey])
        keys.commit()
        for model in (RightsRequest, RequestTask, RequestEvent, RequestAuthority, AuditEvent):
            table: Table = model.__table__
            session.execute(insert(table), written[model])
        session.commit()
        return time.perf_counter() - started


def audit_verify(main_url: str) -> int:
    """``dataward audit verify`` as an operator runs it: must exit 0. The rows it counted."""
    command = [str(Path(sys.executable).parent / "dataward"), "audit", "verify", "--url", main_url]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    check(done.returncode == 0, f"dataward audit verify: {done.stdout}{done.stderr}")
    check(done.stdout.startswith("audit chain intact"), f"audit verify said {done.stdout}")
    return int(done.stdout.split(": ", 1)[1].split(" ", 1)[0].replace(",", ""))


def run(backend: str, lines: int, known: int, profile: str | None) -> dict[str, float]:
    from fastapi.testclient import TestClient

    figures: dict[str, float] = {}
    clock = FixedClock(NOW)
    with stores(backend) as (main_url, keys_url):
        upgrade(main_url)
        vault = Vault.open(keys_url, material(), clock)
        app = app_for(main_url, vault, clock)
        factory = make_session_factory(make_engine(main_url))
        refs = subjects(app, clock, vault, known)
        token = token_for(app, clock)
        body = items(lines, refs)

        progress(f"[{backend}] warm-up, then the service: {lines:,} lines")
        with UnitOfWork(factory, clock, vault) as uow:
            open_batch(uow, [as_line(b) for b in items(10, refs)], actor="bench")
            uow.commit()
        with factory() as session:
            seq = int(session.scalar(select(AuditEvent.seq).order_by(AuditEvent.seq.desc())) or 0)
        profiler = cProfile.Profile() if profile else None
        with UnitOfWork(factory, clock, vault) as uow:
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            result = open_batch(uow, [as_line(b) for b in body], actor="bench")
            uow.commit()
            if profiler:
                profiler.disable()
            figures["service_s"] = time.perf_counter() - started
        if profiler and profile:
            profiler.dump_stats(f"{profile}.{backend}")
        check(result.opened == lines, f"every line opens ({result.refused} refused)")
        refs_opened = [line.ref for line in result.lines if line.ref]
        with factory() as session, vault.session() as keys:
            ids = list(
                session.scalars(select(RightsRequest.id).where(RightsRequest.ref.in_(refs_opened)))
            )
            written = rows_of(session, keys, ids, refs_opened, seq)
        check(len(written[AuditEvent]) == 2 * lines + 1, "received, authority, batch audited")

        progress(f"[{backend}] baseline: the same rows with executemany")
        figures["baseline_s"] = baseline(factory, vault, written)
        figures["rows"] = sum(len(rows) for rows in written.values())

        progress(f"[{backend}] HTTP: {lines:,} lines")
        with TestClient(app, headers={"Authorization": f"Bearer {token}"}) as client:
            warm = client.post("/api/v1/requests/batch", json=items(10, refs))
            check(warm.status_code == 200, f"warm-up answered {warm.status_code}")
            # The same work as the service run (no email), then as a portal sends it by
            # default: each line with an email address acknowledged by email at once.
            quiet = [{**line, "acknowledge": False} for line in body]
            started = time.perf_counter()
            answer = client.post("/api/v1/requests/batch", json=quiet)
            figures["http_s"] = time.perf_counter() - started
            check(answer.status_code == 200, f"the batch answered {answer.status_code}")
            check(answer.json()["opened"] == lines, "every line opens over HTTP")
            started = time.perf_counter()
            answer = client.post("/api/v1/requests/batch", json=body)
            figures["http_ack_s"] = time.perf_counter() - started
        check(answer.status_code == 200, f"the batch answered {answer.status_code}")
        check(answer.json()["opened"] == lines, "every line opens over HTTP")

        figures["audit_rows"] = audit_verify(main_url)
        factory.kw["bind"].dispose()
        vault.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--subjects", type=int, default=500)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--profile", default=None, help="cProfile of the service run to FILE")
    args = parser.parse_args()
    print(f"request batch benchmark: {args.lines:,} lines, {args.subjects:,} known subjects")
    for backend in args.backends.split(","):
        figures = run(backend, args.lines, args.subjects, args.profile)
        base = figures["baseline_s"]
        print(
            f"{backend}: service {figures['service_s']:.2f} s "
            f"({figures['service_s'] / base:.1f}x), HTTP {figures['http_s']:.2f} s "
            f"({figures['http_s'] / base:.1f}x) vs plain executemany of the same "
            f"{int(figures['rows']):,} rows {base:.2f} s (goal <= 5x); audit verify intact "
            f"({int(figures['audit_rows']):,} rows); HTTP acknowledging every line by email "
            f"(1,000 more messages, jobs and audit rows, not in the baseline) "
            f"{figures['http_ack_s']:.2f} s"
        )


if __name__ == "__main__":
    main()
