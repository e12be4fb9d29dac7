"""``dataward complaint`` (issue 17): the CMP-01 steps from a terminal, the same rules as the
console and the API; personal data printed only when asked for; bad input one line, exit 2.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from complaint_cli_support import ORG, dataward, make_site
from sqlalchemy import func, select

from dataward.audit.models import AuditEvent
from dataward.complaints.models import Complaint, ComplaintEvent
from dataward.runtime import open_runtime

ANN = ("--name", "Ann Smith", "--email", "ann.smith@example.com")
WORDS = "You sent my letter to my neighbour."


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    yield from make_site(tmp_path, monkeypatch)


def _open(*extra: str, received: str = "2026-11-20") -> str:
    code, out, err = dataward(
        "complaint", "open", "--org", ORG, "--channel", "post", "--received-on", received,
        *ANN, "--words", WORDS, *extra,
    )  # fmt: skip
    assert code == 0, err
    ref = out.split(":", 1)[0]
    assert ref.startswith("c_")
    return ref


def _counts() -> tuple[int, int, int]:
    with open_runtime() as runtime, runtime.reader() as uow:
        return (
            uow.session.scalar(select(func.count(Complaint.id))) or 0,
            uow.session.scalar(select(func.count(ComplaintEvent.id))) or 0,
            uow.session.scalar(select(func.count(AuditEvent.id))) or 0,
        )


def test_cmp01_open_acknowledge_investigate_note_and_close(site: Path) -> None:
    """CMP-01: opened on the day it arrived, acknowledgement due 30 days later, an outcome."""
    code, out, _ = dataward(
        "complaint", "open", "--org", ORG, "--channel", "post", "--received-on", "2026-11-20",
        *ANN, "--words", WORDS,
    )  # fmt: skip
    assert code == 0
    ref = out.split(":", 1)[0]
    assert "received, acknowledge by 2026-12-20" in out
    assert "Ann" not in out
    steps = [
        (["acknowledge", ORG, ref, "--on", "2026-11-21"], "acknowledged"),
        (["investigate", ORG, ref], "investigating"),
        (["note", ORG, ref, "--text", "Called her back"], "investigating"),
        (
            ["close", ORG, ref, "--outcome", "upheld", "--explanation", "Wrong address."],
            "closed (upheld)",
        ),
    ]
    for args, state in steps:
        code, out, err = dataward("complaint", *args)
        assert (code, out.strip()) == (0, f"{ref}: {state}"), err
    code, shown, _ = dataward("complaint", "show", ORG, ref)
    assert code == 0
    assert "2026-12-20" in shown
    assert "complaint.closed" in shown
    for text in ("Ann Smith", "neighbour", "Called her back", "Wrong address"):
        assert text not in shown
    code, full, _ = dataward("complaint", "show", ORG, ref, "--with-complainant")
    assert code == 0
    for text in ("Ann Smith", "neighbour", "Called her back", "Wrong address"):
        assert text in full


def test_list_prints_no_personal_data_and_filters_by_urgency(site: Path) -> None:
    """CMP-01: a complaint received 2026-10-01 was to be acknowledged by 2026-10-31."""
    late = _open(received="2026-10-01")
    fresh = _open()
    code, out, _ = dataward("complaint", "list", "--org", ORG)
    assert code == 0
    assert late in out
    assert fresh in out
    assert "Ann" not in out
    assert "neighbour" not in out
    assert "acknowledgement_overdue: 1" in out
    code, out, _ = dataward("complaint", "list", "--urgency", "acknowledgement_overdue")
    assert late in out
    assert fresh not in out
    code, _, err = dataward("complaint", "list", "--urgency", "soonish")
    assert code == 2
    assert "[complaint_invalid]" in err
    assert "urgency" in err


def test_bad_input_is_one_line_exit_2_and_changes_nothing(site: Path) -> None:
    """CMP-01's checks from a terminal: the field named, the code, no traceback."""
    ref = _open()
    before = _counts()
    refused = [
        (["open", "--org", ORG, "--channel", "post", "--received-on", "20/11/2026",
          "--words", WORDS], "--received-on"),
        (["open", "--org", ORG, "--channel", "pigeon", "--received-on", "2026-11-20",
          "--words", WORDS], "channel"),
        (["open", "--org", ORG, "--channel", "post", "--received-on", "2026-11-26",
          "--words", WORDS], "after today"),
        (["open", "--org", ORG, "--channel", "post", "--received-on", "2026-11-20"],
         "say what the complaint is about"),
        (["open", "--org", ORG, "--channel", "post", "--received-on", "2026-11-20",
          "--words", WORDS, "--request", "q_0000000000000000"], "no request"),
        (["acknowledge", ORG, ref, "--on", "yesterday"], "--on"),
        (["acknowledge", ORG, ref, "--on", "2026-11-19"], "before the complaint"),
        (["close", ORG, ref, "--outcome", "sort_of", "--explanation", "x"], "outcome"),
        (["note", ORG, ref], "write the note"),
    ]  # fmt: skip
    for args, field in refused:
        code, out, err = dataward("complaint", *args)
        assert code == 2, (args, out, err)
        assert err.startswith("error [complaint_invalid]"), err
        assert field in err
        assert len(err.strip().splitlines()) == 1
        assert "Traceback" not in out + err
    code, _, err = dataward("complaint", "investigate", ORG, ref)
    assert (code, err.split(":")[0]) == (2, "error [complaint_transition_refused]")
    code, _, err = dataward("complaint", "show", ORG, "c_0000000000000000")
    assert (code, err.split(":")[0]) == (2, "error [complaint_not_found]")
    assert _counts() == before


def test_export_writes_the_record_as_json(site: Path, tmp_path: Path) -> None:
    """The complaint's record, as the API gives it; personal data only when asked for."""
    ref = _open("--theme", "disclosure")
    dataward("complaint", "note", ORG, ref, "--text", "Called her back")
    code, out, _ = dataward("complaint", "export", ORG, ref)
    assert code == 0
    record = json.loads(out)
    assert (record["ref"], record["theme"], record["acknowledge_by"]) == (
        ref,
        "disclosure",
        "2026-12-20",
    )
    assert record["complainant"] is None
    assert [e["note"] for e in record["history"]] == [None, None]
    assert "Ann" not in out
    target = tmp_path / "record.json"
    code, _, err = dataward(
        "complaint", "export", ORG, ref, "--with-complainant", "--out", str(target)
    )
    assert code == 0, err
    full = json.loads(target.read_text(encoding="utf-8"))
    assert full["complainant"]["name"] == "Ann Smith"
    assert full["history"][-1]["note"] == "Called her back"
    assert target.stat().st_mode & 0o077 == 0  # readable by its owner only


def test_cmp01_the_audit_chain_gets_no_words(site: Path) -> None:
    ref = _open()
    dataward("complaint", "note", ORG, ref, "--text", "Called her back", "--actor", "user:u_1")
    with open_runtime() as runtime, runtime.reader() as uow:
        rows = uow.session.scalars(select(AuditEvent).where(AuditEvent.entity_id == ref)).all()
        dumped = json.dumps([[r.action, r.actor, r.details] for r in rows])
    assert "complaint.note_added" in dumped
    assert "user:u_1" in dumped
    for text in ("Ann Smith", "ann.smith", "neighbour", "Called her back"):
        assert text not in dumped


def test_help_gives_examples() -> None:
    for command in ("open", "acknowledge", "close", "export", "list"):
        code, out, _ = dataward("complaint", command, "--help")
        assert code == 0
        assert "Example: dataward complaint " in out
