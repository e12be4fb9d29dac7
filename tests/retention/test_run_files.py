"""The retention run on file bindings (RULES: RET-01, RET-02, RET-03, ERA-02): a folder of
CSV exports of call recordings whose rows name their audio files, and a folder of body-worn
video files, beside a small database of debtors, cases and complaints (a complaint open on
case 3). Today is 25 November 2026 (the ``clock`` fixture): calls are due when recorded on or
before 26 October 2026 (30 days), BWV on or before 27 August 2026 (90 days).

Runs once per backend of dataward's own database; the agency's sources are files and SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from test_plan_files import JTR, ORG, _database

from dataward.holds.service import NewHold, place_hold
from dataward.publication.registers import store_register
from dataward.publication.sources import store_sources
from dataward.register.loader import load_register
from dataward.retention import run as run_module
from dataward.retention.models import RetentionBatch, RetentionEvidence
from dataward.retention.run import RunStep, run_step
from dataward.sources.loader import parse_sources
from dataward.uow import UnitOfWork

HEADER = "call_id,customer_ref,case_ref,recorded_on,investigation,audio\n"
CALLS = (
    "1,C1,CASE1,2026-10-01,,audio/1.wav\n"  # due
    "2,C1,CASE1,2026-10-27,,audio/2.wav\n"  # due tomorrow
    "3,C2,CASE2,2026-09-01,open,audio/3.wav\n"  # due; an investigation open on the row
    "4,C3,CASE3,2026-09-15,,audio/4.wav\n"  # due; a complaint open on case 3
    "5,C2,CASE2,2026-10-20,,audio/5.wav\n"  # due
)
BWV = {
    "bwv/2026-08-01_CASE1.mp4": "due",
    "bwv/2026-08-27_CASE3.mp4": "complaint open on case 3",
    "bwv/2026-08-28_CASE2.mp4": "due tomorrow",
    "bwv/2026-06-01_CASE2.mp4": "due",
}

SOURCES = """\
format_version: 1
organisation: jtr_collections
connections:
  ops: {kind: sql, url_from: OPS_URL}
  exports: {kind: csv, url_from: EXPORTS_DIR, mode: read_write}
  recordings: {kind: files, url_from: RECORDINGS_DIR, mode: read_write}
datasets:
  customers:
    - {connection: ops, table: debtors, key: id, identities: {customer_ref: customer_ref}}
  cases:
    - connection: ops
      table: cases
      key: id
      subject: {via: debtor_id, table: debtors, key: id}
      entities: {case: case_ref}
      holds:
        complaint_on_case: {table: complaints, via: case_id, open_when_null: closed_on}
  call_recordings:
    - connection: exports
      pattern: "calls/*.csv"
      key: call_id
      subject: {via: customer_ref, table: debtors, key: customer_ref}
      entities: {case: case_ref}
      events: {call_recorded: recorded_on}
      files: {connection: recordings, column: audio}
      holds:
        investigation_on_case: {open_when: {column: investigation, in: [open]}}
      columns:
        call_id: {erasure: delete_row}
        customer_ref: {retention: set_null}
  body_worn_video:
    - connection: recordings
      pattern: "bwv/{recorded_on}_{case_ref}.mp4"
      key: path
      entities: {case: case_ref}
      events: {recording_made: recorded_on}
      columns:
        path: {erasure: delete_row}
"""


@dataclass
class Folders:
    env: dict[str, str]
    calls: Path
    recordings: Path


@pytest.fixture
def folders(tmp_path: Path) -> Folders:
    exports, recordings = tmp_path / "exports", tmp_path / "recordings"
    (exports / "calls").mkdir(parents=True)
    (exports / "calls" / "2026.csv").write_text(HEADER + CALLS, encoding="utf-8")
    for name in [*BWV, *(f"audio/{n}.wav" for n in range(1, 6))]:
        (recordings / name).parent.mkdir(parents=True, exist_ok=True)
        (recordings / name).write_bytes(b"recording")
    env = {
        "OPS_URL": _database(tmp_path),
        "EXPORTS_DIR": str(exports),
        "RECORDINGS_DIR": str(recordings),
    }
    return Folders(env, exports / "calls" / "2026.csv", recordings)


def _register(folder: Path, rule: str, action: str) -> Path:
    """JTR's register with the rule's action changed."""
    source = JTR.read_text(encoding="utf-8")
    at = source.index(f"  - id: {rule}\n    facts:")
    end = source.index("    action: delete\n", at)
    path = folder / f"jtr-{rule}-{action}.yaml"
    path.write_text(source[:end] + f"    action: {action}\n" + source[end + 19 :], "utf-8")
    return path


def _store(uow: UnitOfWork, register: Path = JTR) -> None:
    store_register(uow, load_register(register), actor="test")
    store_sources(uow, parse_sources(SOURCES, "files.yaml"), organisation=ORG, actor="dpo")


def _finish(uow: UnitOfWork, env: dict[str, str], *, batch_size: int = 5000) -> list[RunStep]:
    steps = []
    for _ in range(100):
        steps.append(run_step(uow, ORG, worker="w", env=env, batch_size=batch_size))
        uow.commit()
        if steps[-1].finished:
            return steps
    raise AssertionError("the run did not finish")


def _record(uow: UnitOfWork, rule: str) -> RetentionEvidence:
    found = uow.session.scalars(
        select(RetentionEvidence).where(
            RetentionEvidence.rule == rule, RetentionEvidence.dataset == rule
        )
    ).all()
    assert len(found) == 1, found
    return found[0]


def _calls(folders: Folders) -> list[str]:
    return [line.split(",")[0] for line in folders.calls.read_text("utf-8").splitlines()[1:]]


def _audio(folders: Folders) -> list[str]:
    return sorted(p.name for p in (folders.recordings / "audio").iterdir())


def _bwv(folders: Folders) -> list[str]:
    return sorted(f"bwv/{p.name}" for p in (folders.recordings / "bwv").iterdir())


# RULES: RET-01, RET-02, RET-03 (a CSV folder: rows deleted in one rewrite, files after)
def test_it_deletes_due_csv_rows_and_their_files_and_keeps_held_rows(
    uow: UnitOfWork, folders: Folders
) -> None:
    _store(uow)
    _finish(uow, folders.env)
    assert _calls(folders) == ["2", "3", "4"]
    assert _audio(folders) == ["2.wav", "3.wav", "4.wav"]
    calls = _record(uow, "call_recordings")
    assert (calls.status, calls.rows, calls.files) == ("done", 2, 2)
    assert calls.held == {"complaint_on_case": 1, "investigation_on_case": 1}
    assert calls.keys_digest is not None
    assert (calls.connection, calls.table) == ("exports", "calls/*.csv")
    # Nothing of a row stays behind in dataward: the batch kept keys only while pending.
    for batch in uow.session.scalars(select(RetentionBatch)):
        assert (batch.state, batch.keys, batch.paths) == ("done", None, None)


# RULES: RET-01, RET-02 (a files folder: a file is its row, deleted whole)
def test_it_deletes_due_files_and_keeps_held_and_not_yet_due_files(
    uow: UnitOfWork, folders: Folders
) -> None:
    _store(uow)
    _finish(uow, folders.env, batch_size=1)
    assert _bwv(folders) == ["bwv/2026-08-27_CASE3.mp4", "bwv/2026-08-28_CASE2.mp4"]
    bwv = _record(uow, "body_worn_video")
    assert (bwv.status, bwv.rows, bwv.files) == ("done", 2, 2)
    assert bwv.held == {"complaint_on_case": 1}
    # batch_size 1: a files binding is batched like a table's rows (one file a batch).
    batches = uow.session.scalars(
        select(RetentionBatch).where(RetentionBatch.evidence_id == bwv.id)
    ).all()
    assert len(batches) == 2


# RULES: RET-02, ERA-02 (a hold placed after the keys were chosen keeps its row at act time)
def test_a_hold_placed_between_choosing_and_acting_keeps_the_csv_row(
    uow: UnitOfWork, folders: Folders
) -> None:
    _store(uow)
    for _ in range(40):
        step = run_step(uow, ORG, worker="w", env=folders.env)
        uow.commit()
        if step.did == "chosen" and step.record and step.record.startswith("call_recordings"):
            break
    pending = uow.session.scalars(select(RetentionBatch).where(RetentionBatch.state == "pending"))
    assert sorted(pending.one().keys or []) == ["1", "5"]
    hold = NewHold(
        ORG, "record", "DPO", date(2027, 1, 1), record_ref="5", datasets=("call_recordings",)
    )
    place_hold(uow, hold, actor="dpo")
    uow.commit()
    _finish(uow, folders.env)
    assert _calls(folders) == ["2", "3", "4", "5"]
    assert _audio(folders) == ["2.wav", "3.wav", "4.wav", "5.wav"]
    assert _record(uow, "call_recordings").rows == 1


# RULES: RET-03 (killed after the folder was rewritten, before dataward committed)
def test_a_run_killed_after_the_rewrite_resumes_and_counts_each_row_once(
    uow: UnitOfWork, folders: Folders, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(uow)
    real = run_module.after_source_commit
    crashed: list[int] = []

    def crash(opened: Any, pending: RetentionBatch, acted: Any) -> int:
        record = uow.session.get(RetentionEvidence, pending.evidence_id)
        assert record is not None
        if not crashed and record.rule == "call_recordings":
            crashed.append(1)
            raise RuntimeError("killed")
        return real(opened, pending, acted)

    monkeypatch.setattr(run_module, "after_source_commit", crash)
    with pytest.raises(RuntimeError):
        _finish(uow, folders.env)
    uow.rollback()
    # The rows went with the rewrite; their files were not yet deleted.
    assert _calls(folders) == ["2", "3", "4"]
    assert "1.wav" in _audio(folders)
    _finish(uow, folders.env)
    assert _audio(folders) == ["2.wav", "3.wav", "4.wav"]
    calls = _record(uow, "call_recordings")
    assert (calls.rows, calls.files, calls.resumed) == (2, 2, True)


# RULES: RET-01 (action anonymise: the columns the sources file gives are set, rows stay)
def test_an_anonymise_rule_sets_the_csv_columns_and_keeps_the_rows(
    uow: UnitOfWork, folders: Folders, tmp_path: Path
) -> None:
    _store(uow, _register(tmp_path, "call_recordings", "anonymise"))
    _finish(uow, folders.env)
    lines = folders.calls.read_text("utf-8").splitlines()
    assert lines[0] == HEADER.strip()
    by_key = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    assert sorted(by_key) == ["1", "2", "3", "4", "5"]
    assert [by_key[k][1] for k in ("1", "2", "3", "4", "5")] == ["", "C1", "C2", "C3", ""]
    assert len(_audio(folders)) == 5  # nothing deleted, not even the files
    calls = _record(uow, "call_recordings")
    assert (calls.action, calls.status, calls.rows, calls.files) == ("anonymise", "done", 2, 0)


# RULES: RET-01 (action review: nothing changes; the record is flagged with its count)
def test_a_review_rule_flags_the_files_and_changes_nothing(
    uow: UnitOfWork, folders: Folders, tmp_path: Path
) -> None:
    _store(uow, _register(tmp_path, "body_worn_video", "review"))
    _finish(uow, folders.env)
    assert _bwv(folders) == sorted(BWV)
    bwv = _record(uow, "body_worn_video")
    assert (bwv.action, bwv.status, bwv.rows, bwv.files) == ("review", "flagged", 2, 0)
    assert bwv.keys_digest is not None


# RULES: RET-01 (a files binding cannot have columns set: skipped, never half done)
def test_anonymising_a_files_binding_is_skipped_and_nothing_changes(
    uow: UnitOfWork, folders: Folders, tmp_path: Path
) -> None:
    _store(uow, _register(tmp_path, "body_worn_video", "anonymise"))
    _finish(uow, folders.env)
    assert _bwv(folders) == sorted(BWV)
    bwv = _record(uow, "body_worn_video")
    assert bwv.status == "skipped"
    assert bwv.rows == 0
