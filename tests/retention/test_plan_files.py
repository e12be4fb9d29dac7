"""The retention plan of file bindings (RULES: RET-01, RET-02, RES-01, ERA-02): a folder of
CSV exports of call recordings and a folder of body-worn video files, with JTR Collections'
register, beside a small database of the agency's debtors, cases and complaints. Today is
25 November 2026 (the ``clock`` fixture): call recordings are due when recorded on or before
26 October 2026 (30 days), BWV on or before 27 August 2026 (90 days), customer data when the
last case returned in 2019 or before.

Runs once per backend of dataward's own database (SQLite and PostgreSQL); the agency's
sources are files and a SQLite database, as an organisation's would be.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from dataward.consent.objections import restrict
from dataward.holds.service import NewHold, place_hold
from dataward.publication.registers import store_register
from dataward.publication.sources import store_sources
from dataward.register.loader import load_register
from dataward.retention.files import FileBindingPlan, keys_to_act_on
from dataward.retention.plan import EVENT_PENDING, RESTRICTION, RetentionPlan, plan_retention
from dataward.sources.loader import parse_sources
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork

JTR = Path(__file__).parents[2] / "examples" / "jtr-collections.yaml"
ORG = "jtr_collections"

CALLS_HEADER = "call_id,customer_ref,case_ref,recorded_on,investigation\n"
CALLS = {
    "calls/2026.csv": (
        "1,C1,CASE1,2026-10-01,\n"  # due
        "2,C1,CASE1,2026-10-26,\n"  # due on the cutoff day
        "3,C2,CASE2,2026-10-27,\n"  # due tomorrow
        "4,C2,CASE2,2026-09-01,open\n"  # due; an investigation open on the row
        "5,C3,CASE3,2026-09-15,\n"  # due; a complaint open on case 3 (in the database)
        "6,C1,CASE1,,\n"  # not recorded yet: no date, not due
    ),
    "calls/2025.csv": "7,C2,CASE2,2025-12-01T10:00:00,\n",  # due (a date-time)
}
BWV = [
    "bwv/2026-08-01_CASE1.mp4",  # due
    "bwv/2026-08-27_CASE3.mp4",  # due on the cutoff day; complaint open on case 3
    "bwv/2026-08-28_CASE2.mp4",  # due tomorrow
    "bwv/2026-06-01_CASE2.mp4",  # due
]
PAYMENTS = (
    "payment_id,customer_ref,case_ref,returned_on\n"
    "1,C1,CASE1,2018-05-01\n"  # C1: every case returned by 2019: due
    "2,C1,CASE1,2019-03-01\n"
    "3,C2,CASE2,2019-03-01\n"  # C2: a later case returned in 2022: not due
    "4,C2,CASE2,2022-01-01\n"
    "5,C3,CASE3,2017-01-01\n"  # C3: a case still to return: held (event pending)
    "6,C3,CASE3,\n"
)

SOURCES = """\
format_version: 1
organisation: jtr_collections
connections:
  ops: {{kind: sql, url_from: OPS_URL}}
  exports: {{kind: csv, url_from: EXPORTS_DIR}}
  recordings: {{kind: files, url_from: RECORDINGS_DIR}}
datasets:
  customers:
    - connection: ops
      table: debtors
      key: id
      identities: {{customer_ref: customer_ref}}
  cases:
    - connection: ops
      table: cases
      key: id
      subject: {{via: debtor_id, table: debtors, key: id}}
      entities: {{case: case_ref}}
      holds:
        complaint_on_case: {{table: complaints, via: case_id, open_when_null: closed_on}}
  payments:
    - connection: exports
      pattern: "payments/*.csv"
      key: payment_id
      subject: {{via: customer_ref, table: debtors, key: customer_ref}}
      entities: {{case: case_ref}}
      events: {{case_returned: returned_on}}
  call_recordings:
    - connection: exports
      pattern: "calls/*.csv"
      key: call_id
      subject: {{via: customer_ref, table: debtors, key: customer_ref}}
      entities: {{case: case_ref}}
      events: {{call_recorded: recorded_on}}
      holds:
        investigation_on_case: {{open_when: {{column: investigation, in: [open]}}}}
  body_worn_video:
    - connection: recordings
      pattern: "{bwv_pattern}"
      key: path
      entities: {{case: case_ref}}
      events: {{recording_made: {bwv_event}}}
"""


@dataclass
class Agency:
    env: dict[str, str]
    exports: Path
    recordings: Path
    ops_url: str


def _database(folder: Path) -> str:
    url = f"sqlite:///{folder / 'ops.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE debtors (id INTEGER PRIMARY KEY, customer_ref TEXT)"))
        conn.execute(
            text(
                "CREATE TABLE cases (id INTEGER PRIMARY KEY, case_ref TEXT, debtor_id INTEGER,"
                " returned_on DATE)"
            )
        )
        conn.execute(
            text(
                "CREATE TABLE complaints (id INTEGER PRIMARY KEY, case_id INTEGER,"
                " opened_on DATE, closed_on DATE)"
            )
        )
        conn.execute(text("INSERT INTO debtors VALUES (1, 'C1'), (2, 'C2'), (3, 'C3')"))
        conn.execute(
            text(
                "INSERT INTO cases VALUES (1, 'CASE1', 1, NULL), (2, 'CASE2', 2, NULL),"
                " (3, 'CASE3', 3, NULL)"
            )
        )
        # Open on case 3; the one on case 1 closed in May (released 90 days later).
        conn.execute(
            text(
                "INSERT INTO complaints VALUES (1, 3, '2026-09-01', NULL),"
                " (2, 1, '2026-04-01', '2026-05-01')"
            )
        )
    engine.dispose()
    return url


@pytest.fixture
def agency(tmp_path: Path) -> Agency:
    exports = tmp_path / "exports"
    recordings = tmp_path / "recordings"
    for name, body in CALLS.items():
        (exports / name).parent.mkdir(parents=True, exist_ok=True)
        (exports / name).write_text(CALLS_HEADER + body, encoding="utf-8")
    (exports / "payments").mkdir()
    (exports / "payments" / "2026.csv").write_text(PAYMENTS, encoding="utf-8")
    for name in BWV:
        (recordings / name).parent.mkdir(parents=True, exist_ok=True)
        (recordings / name).write_bytes(b"video")
    url = _database(tmp_path)
    env = {"OPS_URL": url, "EXPORTS_DIR": str(exports), "RECORDINGS_DIR": str(recordings)}
    return Agency(env, exports, recordings, url)


def _restricting_register(folder: Path) -> Path:
    """JTR's register with ``restriction_is_hold: true`` on the call recordings rule."""
    source = JTR.read_text(encoding="utf-8")
    at = source.index("  - id: call_recordings\n", source.index("\nretention_rules:"))
    anchor = "    holds: [complaint_on_case, investigation_on_case]\n"
    end = source.index(anchor, at) + len(anchor)
    path = folder / "jtr-restricting.yaml"
    path.write_text(source[:end] + "    restriction_is_hold: true\n" + source[end:], "utf-8")
    return path


def _store(
    uow: UnitOfWork,
    *,
    bwv_pattern: str = "bwv/{recorded_on}_{case_ref}.mp4",
    bwv_event: str = "recorded_on",
    register: Path = JTR,
) -> None:
    store_register(uow, load_register(register), actor="test")
    document = SOURCES.format(bwv_pattern=bwv_pattern, bwv_event=bwv_event)
    store_sources(uow, parse_sources(document, "files.yaml"), organisation=ORG, actor="dpo")


def _binding(plan: RetentionPlan, rule: str, dataset: str) -> FileBindingPlan:
    found = next(r for r in plan.rules if r.rule == rule)
    data = next(d for d in found.datasets if d.dataset == dataset)
    binding = data.bindings[0]
    assert isinstance(binding, FileBindingPlan)
    return binding


def _place(uow: UnitOfWork, scope: str, dataset: str, **refs: str) -> str:
    why = {} if "hold_id" in refs else {"reason": "litigation"}
    wanted = NewHold(ORG, scope, "DPO", date(2027, 1, 1), datasets=(dataset,), **why, **refs)
    hold = place_hold(uow, wanted, actor="dpo")
    return f"legal_hold:{hold.ref}"


# RULES: RET-01, RET-02 (a CSV folder: due, not yet due, a predicate and an entity's hold)
def test_it_plans_a_csv_folder_row_by_row(uow: UnitOfWork, agency: Agency) -> None:
    _store(uow)
    plan = plan_retention(uow, ORG, env=agency.env)
    calls = _binding(plan, "call_recordings", "call_recordings")
    assert (calls.status, calls.table) == ("planned", "calls/*.csv")
    # Rows 1, 2, 4, 5 and 7 are due; 4 is under investigation, case 3 has a complaint open.
    assert calls.due == 5
    assert calls.held == {"complaint_on_case": 1, "investigation_on_case": 1}
    assert (calls.held_any, calls.to_act_on) == (2, 3)
    assert calls.next_due == [(date(2026, 11, 26), 1)]
    assert sorted(calls.keys_to_act_on()) == ["1", "2", "7"]
    assert len(calls.sample) == 3
    assert all(len(digest) == 32 for digest in calls.sample)
    # No SQL: the runner asks for the keys.
    assert (calls.due_sql, calls.held_sql) == ("", {})


# RULES: RET-01, RET-02 (a files folder: dates read from the path; a complaint on the case)
def test_it_plans_a_files_folder_by_the_date_in_each_name(uow: UnitOfWork, agency: Agency) -> None:
    _store(uow)
    plan = plan_retention(uow, ORG, env=agency.env)
    bwv = _binding(plan, "body_worn_video", "body_worn_video")
    assert bwv.status == "planned"
    assert bwv.due == 3
    assert bwv.held == {"complaint_on_case": 1}
    assert bwv.to_act_on == 2
    assert bwv.next_due == [(date(2026, 11, 26), 1)]
    assert sorted(bwv.keys_to_act_on()) == ["bwv/2026-06-01_CASE2.mp4", "bwv/2026-08-01_CASE1.mp4"]
    assert "hold investigation_on_case: not bound for this table, cannot be checked" in bwv.notes


# RULES: RET-02, ERA-02 (legal holds of dataward's own: a case, a record, a subject)
def test_legal_holds_keep_a_csv_folders_rows(uow: UnitOfWork, agency: Agency) -> None:
    _store(uow)
    case = _place(uow, "case", "call_recordings", hold_id="complaint_on_case", case_ref="CASE1")
    record = _place(uow, "record", "call_recordings", record_ref="7")
    subject = add_subject(uow, ORG, ["customers"], [("customer_ref", "C2")], actor="test")
    held_subject = _place(uow, "subject", "call_recordings", subject_ref=subject.ref)
    plan = plan_retention(uow, ORG, env=agency.env)
    calls = _binding(plan, "call_recordings", "call_recordings")
    # CASE1: rows 1 and 2; record 7; customer C2 (through the debtors table): rows 4 and 7.
    assert calls.held[case] == 2
    assert calls.held[record] == 1
    assert calls.held[held_subject] == 2
    assert (calls.due, calls.held_any, calls.to_act_on) == (5, 5, 0)
    assert list(calls.keys_to_act_on()) == []


# RULES: RES-01 (a restriction holds where the rule says so)
def test_a_restriction_holds_the_subjects_rows_in_a_csv_folder(
    uow: UnitOfWork, agency: Agency, tmp_path: Path
) -> None:
    _store(uow, register=_restricting_register(tmp_path))
    subject = add_subject(uow, ORG, ["customers"], [("customer_ref", "C1")], actor="test")
    restrict(uow, ORG, subject.ref, [], "legal_claims", actor="dpo")
    calls = _binding(plan_retention(uow, ORG, env=agency.env), "call_recordings", "call_recordings")
    # C1's due rows 1 and 2 are held; 7 is left.
    assert calls.held[RESTRICTION] == 2
    assert sorted(calls.keys_to_act_on()) == ["7"]


# RULES: RET-02, ERA-02 (a case hold on a files folder: the case read from the name)
def test_a_case_hold_keeps_the_cases_files(uow: UnitOfWork, agency: Agency) -> None:
    _store(uow)
    label = _place(uow, "case", "body_worn_video", hold_id="complaint_on_case", case_ref="CASE2")
    bwv = _binding(plan_retention(uow, ORG, env=agency.env), "body_worn_video", "body_worn_video")
    assert bwv.held[label] == 1
    assert list(bwv.keys_to_act_on()) == ["bwv/2026-08-01_CASE1.mp4"]


# RULES: RET-01 (the latest such event of the entity, on a CSV: the customer's rows)
def test_it_plans_the_latest_returned_case_of_each_customer_in_a_csv(
    uow: UnitOfWork, agency: Agency
) -> None:
    _store(uow)
    plan = plan_retention(uow, ORG, env=agency.env)
    payments = _binding(plan, "customer_data", "payments")
    # C1's two payments are due; C3's 2017 one is due but a case of C3's is still to return.
    assert (payments.due, payments.held_any, payments.to_act_on) == (3, 1, 2)
    assert payments.held[EVENT_PENDING] == 1
    assert sorted(payments.keys_to_act_on()) == ["1", "2"]


# Reported, never guessed: a non-date skips the whole binding (no partial delete)
def test_a_csv_row_whose_date_is_not_a_date_skips_the_binding(
    uow: UnitOfWork, agency: Agency
) -> None:
    with (agency.exports / "calls" / "2026.csv").open("a", encoding="utf-8") as handle:
        handle.write("8,C1,CASE1,last Tuesday,\n9,C1,CASE1,2026-13-01,\n")
    _store(uow)
    plan = plan_retention(uow, ORG, env=agency.env)
    calls = _binding(plan, "call_recordings", "call_recordings")
    assert calls.status == "skipped"
    assert calls.unreadable == {"call_recorded": 2}
    assert "not dates: call_recorded 2" in calls.reason
    assert (calls.due, calls.to_act_on) == (0, 0)
    assert list(calls.keys_to_act_on()) == []
    # The other bindings are planned as ever.
    assert _binding(plan, "body_worn_video", "body_worn_video").status == "planned"


def test_a_file_whose_name_holds_no_date_skips_the_binding(uow: UnitOfWork, agency: Agency) -> None:
    (agency.recordings / "bwv" / "soon_CASE1.mp4").write_bytes(b"video")
    _store(uow)
    bwv = _binding(plan_retention(uow, ORG, env=agency.env), "body_worn_video", "body_worn_video")
    assert (bwv.status, bwv.unreadable, bwv.due) == ("skipped", {"recording_made": 1}, 0)


def test_a_missing_trigger_column_skips_the_binding(uow: UnitOfWork, agency: Agency) -> None:
    for name in CALLS:
        path = agency.exports / name
        path.write_text(path.read_text().replace("recorded_on", "made_on"), encoding="utf-8")
    _store(uow)
    calls = _binding(plan_retention(uow, ORG, env=agency.env), "call_recordings", "call_recordings")
    assert calls.status == "skipped"
    assert "no column recorded_on" in calls.reason


# Never guess a date: a file's modified time only where the sources file says so
def test_a_files_date_is_its_modified_time_only_where_the_sources_file_says_so(
    uow: UnitOfWork, agency: Agency
) -> None:
    for index, name in enumerate(BWV):
        path = agency.recordings / name
        # 27 August 2026, 23:30 UTC is 28 August in UK time (BST): not due yet.
        late = datetime(2026, 8, 27, 23, 30, tzinfo=UTC)
        at = late if index == 1 else datetime(2026, 7, 1, 12, tzinfo=UTC)
        os.utime(path, (at.timestamp(), at.timestamp()))
    _store(uow, bwv_pattern="bwv/*_{case_ref}.mp4", bwv_event="modified")
    bwv = _binding(plan_retention(uow, ORG, env=agency.env), "body_worn_video", "body_worn_video")
    assert (bwv.status, bwv.due) == ("planned", 3)
    assert bwv.next_due == [(date(2026, 11, 26), 1)]


def test_a_files_event_that_is_no_placeholder_is_not_guessed(
    uow: UnitOfWork, agency: Agency
) -> None:
    _store(uow, bwv_pattern="bwv/*_{case_ref}.mp4", bwv_event="recorded_on")
    bwv = _binding(plan_retention(uow, ORG, env=agency.env), "body_worn_video", "body_worn_video")
    assert bwv.status == "skipped"
    assert "recorded_on is not a {placeholder} of the pattern" in bwv.reason
    assert list(bwv.keys_to_act_on()) == []


# A source down: that binding waits, the others are planned
def test_a_missing_source_folder_waits(uow: UnitOfWork, agency: Agency, tmp_path: Path) -> None:
    _store(uow)
    env = agency.env | {"EXPORTS_DIR": str(tmp_path / "gone")}
    plan = plan_retention(uow, ORG, env=env)
    rule = next(r for r in plan.rules if r.rule == "call_recordings")
    calls = next(d for d in rule.datasets if d.dataset == "call_recordings").bindings[0]
    assert (calls.status, calls.due) == ("waits", 0)
    assert "cannot be reached" in calls.reason
    assert list(keys_to_act_on(calls)) == []
    assert _binding(plan, "body_worn_video", "body_worn_video").status == "planned"


def test_a_hold_read_on_a_database_that_is_down_makes_the_files_wait(
    uow: UnitOfWork, agency: Agency
) -> None:
    _store(uow)
    plan = plan_retention(uow, ORG, env={k: v for k, v in agency.env.items() if k != "OPS_URL"})
    bwv = _binding(plan, "body_worn_video", "body_worn_video")
    # The complaint on the case cannot be checked: nothing of the folder looks free.
    assert (bwv.status, bwv.to_act_on) == ("waits", 0)
