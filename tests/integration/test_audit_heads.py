"""Signed heads of the audit chain: written by the workers and `dataward audit head` to a
file, a URL and the DPO's email, and checked by `dataward audit verify --heads`
(issue 14, item 1), on SQLite and PostgreSQL."""

from __future__ import annotations

import email
import json
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from outbox_support import load_acme, mail_settings
from sqlalchemy import select, text
from sqlalchemy.orm import sessionmaker
from test_audit_chain import _append, _rehash_from
from typer.testing import CliRunner

from dataward.audit.audit_actions import AUDIT_HEAD_SIGNED
from dataward.audit.head_service import HEAD_DELIVER_JOB, HeadSettings, write_due_head
from dataward.audit.heads import HeadKey
from dataward.audit.models import AuditEvent
from dataward.audit.service import verify
from dataward.cli.app import app
from dataward.clock import FixedClock
from dataward.config import Settings, get_settings
from dataward.crypto.keystore import Vault
from dataward.jobs.models import Job
from dataward.uow import UnitOfWork
from dataward.workers import build_worker

KEY = HeadKey.generate()
OTHER_KEY = HeadKey.generate()


@pytest.fixture
def heads_file(tmp_path: Path) -> Path:
    return tmp_path / "anchors" / "heads.jsonl"


@pytest.fixture
def head_env(monkeypatch: pytest.MonkeyPatch, heads_file: Path) -> Iterator[dict[str, str]]:
    """The signing key and a heads file in the settings; tests add other destinations."""
    env = {"DATAWARD_AUDIT_HEAD_KEY": KEY.b64, "DATAWARD_AUDIT_HEAD_FILE": str(heads_file)}
    _set(monkeypatch, **env)
    yield env
    get_settings.cache_clear()  # monkeypatch restores the environment right after


def _set(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()


@contextmanager
def head_server(statuses: list[int]) -> Iterator[tuple[str, list[bytes]]]:
    """A local HTTP server that answers each POST with the next status (then 200) and
    keeps the bodies it accepted."""
    accepted: list[bytes] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            status = statuses.pop(0) if statuses else 200
            if status < 300:
                accepted.append(body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/anchors", accepted
    finally:
        server.shutdown()
        server.server_close()


def _cli(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def _verify_heads(database_url: str, *files: Path, key: str | None = None) -> Any:
    args = ["audit", "verify", "--url", database_url]
    for path in files:
        args += ["--heads", str(path)]
    if key is not None:
        args += ["--public-key", key]
    return _cli(*args)


def _head_lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


# --- verify --heads -------------------------------------------------------------------


@pytest.mark.usefixtures("head_env")
def test_it_passes_signed_heads_the_chain_agrees_with(
    uow: UnitOfWork, clock: FixedClock, database_url: str, heads_file: Path
) -> None:
    """issue 14, item 1: the happy path, heads written by `audit head` then verified."""
    _append(uow, clock, 3)
    first = _cli("audit", "head", "--url", database_url)
    assert first.exit_code == 0, first.output
    assert "file: delivered" in first.output
    _append(uow, clock, 2)
    assert _cli("audit", "head", "--url", database_url).exit_code == 0
    heads = _head_lines(heads_file)
    assert [h["seq"] for h in heads] == [3, 6]  # row 4 is the first head's own event
    assert json.loads(first.stdout.strip().splitlines()[-1]) == heads[0]
    assert stat.S_IMODE(heads_file.stat().st_mode) == 0o600
    result = _verify_heads(database_url, heads_file, key=KEY.public.b64)
    assert result.exit_code == 0, result.output
    assert "intact: 7 rows" in result.output
    assert "2 signed heads matched" in result.output  # issue 15, item 7: plural


@pytest.mark.usefixtures("head_env")
def test_it_refuses_a_history_rewritten_and_rehashed_after_a_head(
    uow: UnitOfWork, clock: FixedClock, database_url: str, heads_file: Path
) -> None:
    """issue 14, item 1: a writer re-hashes the chain after editing it; the head catches it."""
    _append(uow, clock, 5)
    assert _cli("audit", "head", "--url", database_url).exit_code == 0
    _rehash_from(uow, 2)
    assert verify(uow.session).intact  # valid in itself
    # Without --heads, verify reads the heads this installation exported to its file.
    result = _cli("audit", "verify", "--url", database_url)
    assert result.exit_code == 1, result.output
    assert f"{heads_file}:1: row 5 no longer has the hash this head signed" in result.output
    assert "rewritten" in result.output
    assert "BROKEN at seq 5" in result.output


@pytest.mark.usefixtures("head_env")
def test_it_refuses_a_chain_truncated_behind_a_head(
    uow: UnitOfWork, clock: FixedClock, database_url: str, heads_file: Path
) -> None:
    """issue 14, item 1: rows cut from the end, the head's row among them."""
    _append(uow, clock, 4)
    assert _cli("audit", "head", "--url", database_url).exit_code == 0
    uow.session.execute(text("DELETE FROM audit_events WHERE seq >= 3"))
    uow.commit()
    result = _verify_heads(database_url, heads_file)
    assert result.exit_code == 1, result.output
    assert f"{heads_file}:1: the chain has no row 4" in result.output
    assert "TRUNCATED" in result.output


@pytest.mark.usefixtures("head_env")
def test_it_refuses_a_forged_head_line(
    uow: UnitOfWork, clock: FixedClock, database_url: str, heads_file: Path
) -> None:
    """issue 14, item 1: a line whose fields were changed, or signed with another key, is
    named by file and line; a good line beside it still counts."""
    _append(uow, clock, 3)
    assert _cli("audit", "head", "--url", database_url).exit_code == 0
    good = heads_file.read_text(encoding="utf-8")
    altered = json.loads(good)
    altered["seq"] = 2  # a real row's hash and seq, but not what the key signed
    altered["row_hash"] = uow.session.execute(
        text("SELECT row_hash FROM audit_events WHERE seq = 2")
    ).scalar_one()
    other = OTHER_KEY.sign(2, altered["row_hash"], clock.now()).line()
    heads_file.write_text(good + json.dumps(altered) + "\n" + other + "\n", encoding="utf-8")
    result = _verify_heads(database_url, heads_file)
    assert result.exit_code == 1, result.output
    assert f"{heads_file}:2: signature does not match: the head was forged or altered" in (
        result.output
    )
    assert f"{heads_file}:3: signature does not match" in result.output
    assert OTHER_KEY.public.key_id in result.output
    assert f"{heads_file}:1:" not in result.output


@pytest.mark.usefixtures("head_env")
def test_it_names_each_unreadable_line(
    uow: UnitOfWork, clock: FixedClock, database_url: str, heads_file: Path
) -> None:
    """issue 14, item 1: an unreadable line is a problem named by its line number."""
    _append(uow, clock, 2)
    assert _cli("audit", "head", "--url", database_url).exit_code == 0
    with heads_file.open("a", encoding="utf-8") as handle:
        handle.write("\n{not json\n")
        handle.write(
            '{"seq": 0, "row_hash": "ab", "signed_at": "x", "key_id": "", "signature": ""}\n'
        )
    result = _verify_heads(database_url, heads_file)
    assert result.exit_code == 1, result.output
    assert f"{heads_file}:3: not a signed head: not JSON" in result.output
    assert f"{heads_file}:4: not a signed head: seq is not a whole number from 1" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "case", ["missing file", "bad public key", "no key at all", "empty file", "not utf-8"]
)
def test_it_answers_a_file_or_key_it_cannot_read_with_exit_2_or_1(
    uow: UnitOfWork, clock: FixedClock, database_url: str, tmp_path: Path, case: str
) -> None:
    """issue 14, item 1: a malformed file or key exits 2 with one line; an empty heads file
    (its heads removed) is a problem, exit 1."""
    _append(uow, clock, 1)
    path = tmp_path / "heads.jsonl"
    key: str | None = KEY.public.b64
    if case == "bad public key":
        path.write_text("", encoding="utf-8")
        key = "not base64!"
    elif case == "no key at all":
        path.write_text("", encoding="utf-8")
        key = None
    elif case == "empty file":
        path.write_text("\n", encoding="utf-8")
    elif case == "not utf-8":
        path.write_bytes(b"\xff\xfe\n")
    result = _verify_heads(database_url, path, key=key)
    assert "Traceback" not in result.output
    if case == "empty file":
        assert result.exit_code == 1, result.output
        assert "the file holds no head" in result.output
    else:
        assert result.exit_code == 2, result.output
        assert len(result.output.strip().splitlines()) == 1


# --- writing heads: `dataward audit head` ---------------------------------------------------


def test_writing_a_head_is_audited_without_addresses(
    uow: UnitOfWork,
    clock: FixedClock,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    head_env: dict[str, str],
) -> None:
    """issue 14, item 1: `audit.head_signed` with the seq, the key id and destination kinds."""
    _append(uow, clock, 2)
    with head_server([]) as (url, accepted):
        _set(monkeypatch, DATAWARD_AUDIT_HEAD_URL=url, DATAWARD_AUDIT_HEAD_EMAIL="dpo@acme.example")
        result = _cli("audit", "head", "--url", database_url)
    assert result.exit_code == 0, result.output
    assert "url: delivered" in result.output
    assert "email: queued" in result.output
    assert len(accepted) == 1
    uow.session.expire_all()
    event = uow.session.scalars(
        select(AuditEvent).where(AuditEvent.action == AUDIT_HEAD_SIGNED)
    ).one()
    assert event.details == {
        "seq": 2,
        "key_id": KEY.public.key_id,
        "destinations": "file,url,email",
    }
    assert "127.0.0.1" not in json.dumps(event.details)
    kinds = uow.session.execute(select(Job.kind, Job.payload)).all()
    assert [(k, p["destination"]) for k, p in kinds] == [("audit.head_email", "email")]


def test_the_cli_keeps_the_other_destinations_when_one_fails(
    uow: UnitOfWork,
    clock: FixedClock,
    database_url: str,
    heads_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    head_env: dict[str, str],
) -> None:
    """issue 14, item 1: the URL is down; the file still gets the head, the URL delivery is
    queued for the workers, and the command exits 1 saying so."""
    _append(uow, clock, 2)
    with head_server([503]) as (url, accepted):
        _set(monkeypatch, DATAWARD_AUDIT_HEAD_URL=url)
        result = _cli("audit", "head", "--url", database_url)
    assert result.exit_code == 1, result.output
    assert "url: not delivered (the heads URL answered 503); a worker retries it" in result.output
    assert url not in result.output
    assert accepted == []
    assert len(_head_lines(heads_file)) == 1
    uow.session.expire_all()
    job = uow.session.scalars(select(Job)).one()
    assert (job.kind, job.payload["destination"]) == (HEAD_DELIVER_JOB, "url")


def test_without_a_key_head_prints_seq_and_hash(
    uow: UnitOfWork, clock: FixedClock, database_url: str
) -> None:
    """The unsigned form stays for installs without a key."""
    _append(uow, clock, 2)
    result = _cli("audit", "head", "--url", database_url)
    assert result.exit_code == 0
    seq, _, row_hash = result.stdout.strip().partition(":")
    assert seq == "2"
    assert len(row_hash) == 64


def test_keys_audit_head_prints_a_pair_that_signs_and_checks() -> None:
    result = _cli("keys", "audit-head")
    assert result.exit_code == 0
    values = dict(line.split("=", 1) for line in result.stdout.strip().splitlines())
    key = HeadKey.parse(values["DATAWARD_AUDIT_HEAD_KEY"])
    assert key.public.b64 == values["DATAWARD_AUDIT_HEAD_PUBLIC_KEY"]
    assert key.public.signed(key.sign(7, "a" * 64, datetime(2026, 12, 4, tzinfo=UTC)))


# --- the workers' schedule --------------------------------------------------------------


def _worker(
    session_factory: sessionmaker[Any], clock: FixedClock, vault: Vault, tmp_path: Path
) -> Any:
    mail = mail_settings(25, mail_sender="eml", eml_dir=tmp_path / "mail")
    worker = build_worker(session_factory, clock, vault, mail)
    worker.sweep_seconds = 0.0  # every run() sweeps; the test's clock decides what is due
    return worker


def _text_of(path: Path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=default_policy)
    part = message.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    return str(part.get_content())


def _heads_signed(session_factory: sessionmaker[Any]) -> int:
    with session_factory() as session:
        return len(
            session.scalars(
                select(AuditEvent.id).where(AuditEvent.action == AUDIT_HEAD_SIGNED)
            ).all()
        )


def test_the_workers_write_a_head_every_interval_to_every_destination(
    uow: UnitOfWork,
    clock: FixedClock,
    session_factory: sessionmaker[Any],
    vault: Vault,
    heads_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    head_env: dict[str, str],
    database_url: str,
) -> None:
    """issue 14, item 1: a head each DATAWARD_AUDIT_HEAD_MINUTES, to the file, the URL and
    the DPO's email, and the heads kept verify the chain."""
    load_acme(uow)
    uow.commit()
    with head_server([]) as (url, accepted):
        _set(
            monkeypatch,
            DATAWARD_AUDIT_HEAD_URL=url,
            DATAWARD_AUDIT_HEAD_EMAIL="dpo@acme.example",
            DATAWARD_AUDIT_HEAD_MINUTES="60",
        )
        _worker(session_factory, clock, vault, tmp_path).run(once=True)
        assert _heads_signed(session_factory) == 1
        clock.advance(timedelta(minutes=30))
        _worker(session_factory, clock, vault, tmp_path).run(once=True)
        assert _heads_signed(session_factory) == 1  # not due yet
        clock.advance(timedelta(minutes=31))
        _worker(session_factory, clock, vault, tmp_path).run(once=True)
        assert _heads_signed(session_factory) == 2
    lines = heads_file.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    assert [body.decode() for body in accepted] == lines
    bodies = [_text_of(path) for path in sorted((tmp_path / "mail").glob("*.eml"))]
    assert len(bodies) == 2
    assert sorted(line for body in bodies for line in lines if line in body) == sorted(lines)
    result = _verify_heads(database_url, heads_file)
    assert result.exit_code == 0, result.output
    assert "2 signed heads matched" in result.output  # issue 15, item 7: plural


def test_a_failed_destination_is_retried_and_loses_no_other(
    uow: UnitOfWork,
    clock: FixedClock,
    session_factory: sessionmaker[Any],
    vault: Vault,
    heads_file: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    head_env: dict[str, str],
) -> None:
    """issue 14, item 1: the URL answers 500, then recovers; the file got its head at once,
    the URL gets it on the retry, once."""
    _append(uow, clock, 2)
    with head_server([500]) as (url, accepted):
        _set(monkeypatch, DATAWARD_AUDIT_HEAD_URL=url)
        stats = _worker(session_factory, clock, vault, tmp_path).run(once=True)
        assert stats.retried == 1
        assert accepted == []
        assert len(heads_file.read_text(encoding="utf-8").splitlines()) == 1
        clock.advance(timedelta(seconds=31))  # past the first backoff
        stats = _worker(session_factory, clock, vault, tmp_path).run(once=True)
        assert stats.by_kind == {HEAD_DELIVER_JOB: 1}
    assert [body.decode() for body in accepted] == heads_file.read_text(encoding="utf-8").split()
    assert _heads_signed(session_factory) == 1


def test_no_head_is_written_for_an_empty_chain_or_when_nothing_happened(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """A quiet system does not grow its chain with heads of heads."""
    config = HeadSettings(KEY, Path("unused"), None, None, 60)
    assert write_due_head(uow, config) is None  # empty chain
    _append(uow, clock, 1)
    assert write_due_head(uow, config) is not None
    uow.commit()
    clock.advance(timedelta(hours=5))
    assert write_due_head(uow, config) is None  # the newest row is the head's own event


@pytest.mark.parametrize(
    ("values", "code"),
    [
        ({"audit_head_file": Path("heads.jsonl")}, "audit_head_settings_invalid"),
        ({"audit_head_key": "short"}, "audit_head_key_invalid"),
        ({"audit_head_key": KEY.b64, "audit_head_url": "ftp://x"}, "audit_head_settings_invalid"),
    ],
)
def test_malformed_head_settings_stop_a_worker_from_starting(
    values: dict[str, Any], code: str
) -> None:
    from dataward.audit.jobs import audit_jobs
    from dataward.errors import DatawardError

    settings = Settings(_env_file=None, **values)  # type: ignore[call-arg]
    with pytest.raises(DatawardError) as caught:
        audit_jobs(settings, mail_settings(25))
    assert caught.value.code == code


# --- the signed form (no database) ----------------------------------------------------


def test_a_head_signs_every_field_and_reads_back_from_its_line() -> None:
    """issue 14, item 1: changing any signed field, or the signature, breaks the head."""
    from dataward.audit.heads import SignedHead

    head = KEY.sign(12, "b" * 64, datetime(2026, 12, 4, 9, 0, 30, 123456, tzinfo=UTC))
    again = SignedHead.from_dict(json.loads(head.line()))
    assert again == head
    assert head.line().count("\n") == 0
    assert KEY.public.signed(again)
    changes: list[dict[str, Any]] = [
        {"seq": 13},
        {"row_hash": "c" * 64},
        {"signed_at": "2026-12-04T09:00:31Z"},
        {"key_id": OTHER_KEY.public.key_id},
        {"signature": OTHER_KEY.sign(12, "b" * 64, head.signed_at).signature},
    ]
    for change in changes:
        altered = SignedHead.from_dict({**head.as_dict(), **change})
        assert not KEY.public.signed(altered), change
    assert not OTHER_KEY.public.signed(head)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"seq": 0}, "seq is not a whole number"),
        ({"seq": True}, "seq is not a whole number"),
        ({"row_hash": "B" * 64}, "row_hash is not 64 lowercase hex"),
        ({"signed_at": "yesterday"}, "signed_at is not an ISO 8601 time"),
        ({"signed_at": "2026-12-04T09:00:00"}, "signed_at has no time zone"),
        ({"key_id": "k"}, "key_id is not 16"),
        ({"signature": ""}, "signature is missing"),
    ],
)
def test_a_malformed_head_says_which_field_is_wrong(fields: dict[str, Any], reason: str) -> None:
    from dataward.audit.heads import SignedHead

    good = KEY.sign(1, "a" * 64, datetime(2026, 12, 4, tzinfo=UTC)).as_dict()
    with pytest.raises(ValueError, match=reason):
        SignedHead.from_dict({**good, **fields})
    with pytest.raises(ValueError, match="not a JSON object"):
        SignedHead.from_dict([good])
    with pytest.raises(ValueError, match="missing row_hash, signed_at, key_id, signature"):
        SignedHead.from_dict({"seq": 1})


def test_two_workers_due_at_once_write_one_head(
    uow: UnitOfWork, clock: FixedClock, session_factory: sessionmaker[Any]
) -> None:
    """issue 14, item 1: the due check is repeated under the chain's lock, so workers that
    find a head due at the same moment write it once."""
    _append(uow, clock, 3)
    config = HeadSettings(KEY, Path("unused"), None, None, 60)
    start = threading.Barrier(2)
    written: list[bool] = []

    def sweep() -> None:
        with UnitOfWork(session_factory, clock, None) as unit:
            start.wait()
            written.append(write_due_head(unit, config) is not None)
            unit.commit()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(written) == [False, True]
    assert _heads_signed(session_factory) == 1
