"""Erasure in CSV, JSON and files sources (issue 19, ERA-02, ERA-03), on SQLite and PostgreSQL.

dataward's own database is the test's backend; the organisation's data is the JTR-shaped
SQLite database of ``package_build_support`` (the customer Mary, id 1, ref C-1; a stranger,
id 2) plus three folders: CSV exports (payments found through the database's debtors, portal
accounts found by email), JSON (an array of web enquiries, JSON Lines of complaints) and
scans (a files binding, one folder per customer ref). The stranger's rows must never change.
"""

from __future__ import annotations

import threading
import time
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest
from erasure_support import erasure_request, make_user
from package_build_support import CASE, EMAIL, JTR, ORG, STRANGER_EMAIL, build_operational
from sqlalchemy import create_engine, select, text

from dataward.audit.models import AuditEvent
from dataward.audit.service import verify
from dataward.erasure.evidence import evidence_of, row_erased, step_digests, steps_of
from dataward.erasure.executor import execute_plan
from dataward.erasure.models import DONE, STALE, STEP_EXECUTING, ErasurePlan
from dataward.erasure.plan import plan_erasure
from dataward.erasure.service import approve_erasure, get_plan
from dataward.erasure.survey import key_digest
from dataward.publication.registers import store_register
from dataward.publication.sources import store_sources
from dataward.register.loader import load_register
from dataward.requests.source_search import search_sources
from dataward.sources.connectors import apply_changes, open_all
from dataward.sources.connectors import rewrite as rewrite_module
from dataward.sources.connectors import tabular as tabular_module
from dataward.sources.connectors.base import (
    ReadOnlyConnection,
    RowChange,
    SourceUnavailable,
    hold_open_on,
    stream_subject,
)
from dataward.sources.connectors.blobs import BlobConnector
from dataward.sources.connectors.rewrite import locked
from dataward.sources.connectors.tabular import TabularConnector
from dataward.sources.loader import parse_sources
from dataward.sources.models import HoldRule
from dataward.uow import UnitOfWork

WORKER = "w-files"

PAYMENTS_2025 = "id,debtor_id,amount,paid_on\nP1,1,10.00,2025-01-02\nP2,2,20.00,2025-01-03\n"
PAYMENTS_2025 += "P3,1,30.00,2025-02-01\n"
# Windows line ends and a quoted amount: kept as they are for the rows that stay.
PAYMENTS_2026 = 'id,debtor_id,amount,paid_on\r\n"P4",1,"1,000.00",2026-01-02\r\n'
PAYMENTS_2026 += "P5,2,50.00,2026-01-03\r\n"
ACCOUNTS = f"account_id,email,name,visits\nA1,{EMAIL},Mary Subject,7\n"
ACCOUNTS += f'A2,{STRANGER_EMAIL},"Stranger, Sam",3\n'
ENQUIRIES_A = (
    f'[{{"id": 1, "contact_email": "{EMAIL}", "first_name": "Mary", "text": "hello"}},\n'
    f' {{"id": 2, "contact_email": "{STRANGER_EMAIL}", "first_name": "Sam", "text": "hi"}}]'
)
ENQUIRIES_B = f'[{{"id": 3, "contact_email": "{EMAIL}", "first_name": "Mary", "text": "again"}}]'
COMPLAINTS = (
    f'{{"id": 1, "email": "{EMAIL}", "text": "about my visit"}}\n'
    f'{{"id": 2, "email": "{STRANGER_EMAIL}", "text": "about theirs"}}\n'
)


def sources_text(
    *,
    csv_mode: str = "read_write",
    payments_hold: bool = False,
    accounts_hold: bool = False,
    scans_strategy: str = "delete_row",
) -> str:
    accounts = (
        "      holds:\n        live_case: {open_when: {column: visits, in: [7]}}\n"
        if accounts_hold
        else ""
    )
    hold = (
        "      holds:\n"
        "        complaint_on_case: {table: complaints, via: case_id, open_when_null: closed_on}\n"
        if payments_hold
        else ""
    )
    return f"""\
format_version: 1
organisation: jtr_collections
connections:
  agency: {{kind: sql, url_from: AGENCY_DB_URL, mode: read_write}}
  exports: {{kind: csv, url_from: EXPORTS_DIR, mode: {csv_mode}}}
  portal: {{kind: json, url_from: PORTAL_DIR, mode: read_write}}
  scans: {{kind: files, url_from: SCANS_DIR, mode: read_write}}
datasets:
  customers:
    - connection: agency
      table: debtors
      key: id
      identities: {{email: email, phone: phone}}
      columns:
        customer_ref: {{erasure: {{keep: "Our own reference"}}}}
        name: {{erasure: {{anonymise: redact}}}}
        email: {{erasure: set_null}}
        phone: {{erasure: set_null}}
  payments:
    - connection: exports
      pattern: "payments/*.csv"
      key: id
      subject: {{via: debtor_id, table: debtors, key: id}}
{hold}      columns:
        amount: {{erasure: delete_row}}
  portal_accounts:
    - connection: exports
      pattern: accounts.csv
      key: account_id
      identities: {{email: email}}
{accounts}      columns:
        email: {{erasure: set_null}}
        name: {{erasure: {{anonymise: redact}}}}
        visits: {{erasure: {{anonymise: zero}}}}
  web_enquiries:
    - connection: portal
      pattern: "enquiries/*.json"
      key: id
      identities: {{email: contact_email}}
      columns:
        contact_email: {{erasure: set_null}}
        first_name: {{erasure: {{anonymise: redact}}}}
  complaints:
    - connection: portal
      pattern: complaints.jsonl
      key: id
      identities: {{email: email}}
      columns:
        text: {{erasure: delete_row}}
  vulnerability_evidence:
    - connection: scans
      pattern: "{{customer_ref}}/*.pdf"
      key: path
      subject: {{via: customer_ref, table: debtors, key: customer_ref}}
      columns:
        path: {{erasure: {scans_strategy}}}
"""


class Folders:
    """The organisation's database and folders, and the environment naming them."""

    def __init__(self, root: Path) -> None:
        operational = build_operational(root / "agency")
        self.url = operational.url
        self.csv, self.json, self.scans = root / "csv", root / "json", root / "scans"
        (self.csv / "payments").mkdir(parents=True)
        (self.csv / "payments" / "2025.csv").write_bytes(PAYMENTS_2025.encode())
        (self.csv / "payments" / "2026.csv").write_bytes(PAYMENTS_2026.encode())
        (self.csv / "accounts.csv").write_bytes(ACCOUNTS.encode())
        (self.json / "enquiries").mkdir(parents=True)
        (self.json / "enquiries" / "a.json").write_text(ENQUIRIES_A, encoding="utf-8")
        (self.json / "enquiries" / "b.json").write_text(ENQUIRIES_B, encoding="utf-8")
        (self.json / "complaints.jsonl").write_text(COMPLAINTS, encoding="utf-8")
        for ref, names in (("C-1", ("a.pdf", "b.pdf")), ("C-2", ("c.pdf",))):
            (self.scans / ref).mkdir(parents=True)
            for name in names:
                (self.scans / ref / name).write_bytes(b"%PDF-1.4 " + name.encode())
        self.env = {
            "AGENCY_DB_URL": self.url,
            "EXPORTS_DIR": str(self.csv),
            "PORTAL_DIR": str(self.json),
            "SCANS_DIR": str(self.scans),
        }

    def snapshot(self) -> dict[str, bytes]:
        """Every file under the three folders, by relative path (dataward's own included)."""
        return {
            str(path.relative_to(folder.parent)): path.read_bytes()
            for folder in (self.csv, self.json, self.scans)
            for path in sorted(folder.rglob("*"))
            if path.is_file()
        }


@pytest.fixture
def folders(tmp_path: Path) -> Folders:
    return Folders(tmp_path)


def _stored(uow: UnitOfWork, **options: Any) -> None:
    store_register(uow, load_register(JTR))
    store_sources(
        uow, parse_sources(sources_text(**options), "sources.yaml"), organisation=ORG, actor="dpo"
    )
    uow.commit()


def _approved(uow: UnitOfWork, folders: Folders, **options: Any) -> ErasurePlan:
    _stored(uow, **options)
    row = erasure_request(uow)
    plan_erasure(uow, ORG, row.ref, actor=CASE, env=folders.env)
    uow.commit()
    plan = approve_erasure(uow, ORG, row.ref, actor=make_user(uow, "dpo@jtr.example", "dpo"))
    uow.commit()
    return plan


def _run_all(uow: UnitOfWork, plan: ErasurePlan, folders: Folders) -> list[str]:
    done = []
    for _ in range(12):
        step = execute_plan(uow, plan.id, worker=WORKER, env=folders.env)
        uow.commit()
        done.append(
            "marked"
            if step.marked
            else f"erased {step.source}"
            if step.state == "running"
            else step.state
        )
        if step.state != "running":
            return done
    raise AssertionError(f"the plan did not finish: {done}")


def _chain(uow: UnitOfWork, action: str) -> list[AuditEvent]:
    return list(uow.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _read(folders: Folders, dataset: str) -> list[dict[str, Any]]:
    """Every row of a binding as the connector reads it now (the stranger's included)."""
    sources = parse_sources(sources_text(), "sources.yaml").sources
    connectors = open_all(sources, folders.env)
    try:
        everyone = {"email": [EMAIL, STRANGER_EMAIL]}
        (found,) = [
            list(part.rows)
            for part in stream_subject(sources, connectors, everyone, datasets={dataset})
        ]
    finally:
        for connector in connectors.values():
            connector.close()
    return found


def test_it_plans_the_erasure_of_file_bindings_file_sources_first(
    uow: UnitOfWork, folders: Folders
) -> None:
    _stored(uow)
    row = erasure_request(uow)
    before = folders.snapshot()

    plan_erasure(uow, ORG, row.ref, actor=CASE, env=folders.env)
    uow.commit()

    plan = get_plan(uow, ORG, row.ref)
    steps = steps_of(uow, plan)
    # ERA-02: file sources before the database their rows find the person through.
    assert [(s.connection, s.dataset) for s in steps] == [
        ("exports", "payments"),
        ("exports", "portal_accounts"),
        ("portal", "complaints"),
        ("portal", "web_enquiries"),
        ("scans", "vulnerability_evidence"),
        ("agency", "customers"),
    ]
    assert {s.dataset: (s.action, s.rows, s.kept_reason) for s in steps} == {
        "payments": ("erase", 3, None),
        "portal_accounts": ("erase", 1, None),
        "complaints": ("erase", 1, None),
        "web_enquiries": ("erase", 2, None),
        "vulnerability_evidence": ("erase", 2, None),
        "customers": ("erase", 1, None),
    }
    payments = next(s for s in steps if s.dataset == "payments")
    assert step_digests(uow, payments) == sorted(
        key_digest("exports", "payments/*.csv", k) for k in ("P1", "P3", "P4")
    )
    assert (plan.rows_erased, plan.rows_kept, plan.shred_when_done) == (10, 0, True)
    assert folders.snapshot() == before  # a dry run


def test_the_worker_erases_rows_in_csv_and_json_and_deletes_files(
    uow: UnitOfWork, folders: Folders
) -> None:
    plan = _approved(uow, folders)

    assert _run_all(uow, plan, folders) == [
        "marked",
        "erased exports",
        "marked",
        "erased portal",
        "marked",
        "erased scans",
        "marked",
        "erased agency",
        DONE,
    ]

    # delete_row: her payments are gone from both files; header and line ends kept.
    assert (folders.csv / "payments" / "2025.csv").read_bytes() == (
        b"id,debtor_id,amount,paid_on\nP2,2,20.00,2025-01-03\n"
    )
    assert (folders.csv / "payments" / "2026.csv").read_bytes() == (
        b"id,debtor_id,amount,paid_on\r\nP5,2,50.00,2026-01-03\r\n"
    )
    # set_null and anonymise: her account row stays with nothing of her in it.
    assert (folders.csv / "accounts.csv").read_text(encoding="utf-8") == (
        f'account_id,email,name,visits\nA1,,[erased],0\nA2,{STRANGER_EMAIL},"Stranger, Sam",3\n'
    )
    assert (folders.json / "enquiries" / "a.json").read_text(encoding="utf-8").startswith("[")
    assert [
        (r["id"], r["contact_email"], r["first_name"], r["text"])
        for r in _read(folders, "web_enquiries")
    ] == [(2, STRANGER_EMAIL, "Sam", "hi")]
    every_enquiry = list(tabular_module.read_json_objects(folders.json / "enquiries" / "a.json"))
    every_enquiry += list(tabular_module.read_json_objects(folders.json / "enquiries" / "b.json"))
    assert every_enquiry == [
        {"id": 1, "contact_email": None, "first_name": "[erased]", "text": "hello"},
        {"id": 2, "contact_email": STRANGER_EMAIL, "first_name": "Sam", "text": "hi"},
        {"id": 3, "contact_email": None, "first_name": "[erased]", "text": "again"},
    ]
    # JSON Lines stay JSON Lines.
    assert (folders.json / "complaints.jsonl").read_text(encoding="utf-8") == (
        f'{{"id": 2, "email": "{STRANGER_EMAIL}", "text": "about theirs"}}\n'
    )
    assert sorted(p.name for p in folders.scans.rglob("*") if p.is_file()) == ["c.pdf"]
    # The connectors still read what is left, and nothing of dataward's is left behind.
    assert [r["id"] for r in _read(folders, "payments")] == ["P2", "P5"]
    assert [r["account_id"] for r in _read(folders, "portal_accounts")] == ["A2"]
    assert not [p for p in folders.snapshot() if "dataward" in p]
    engine = create_engine(folders.url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT email FROM debtors WHERE id = 1")).scalar() is None
    engine.dispose()

    # ERA-03: evidence per binding, once.
    evidence = {e.dataset: e for e in evidence_of(uow, plan)}
    assert {d: (e.rows, e.resumed, e.worker) for d, e in evidence.items()} == {
        "payments": (3, False, WORKER),
        "portal_accounts": (1, False, WORKER),
        "complaints": (1, False, WORKER),
        "web_enquiries": (2, False, WORKER),
        "vulnerability_evidence": (2, False, WORKER),
        "customers": (1, False, WORKER),
    }
    assert row_erased(uow, plan, key_digest("portal", "complaints.jsonl", 1))
    complaint = key_digest("portal", "complaints.jsonl", 1)
    assert evidence["complaints"].keys_digest == sha256(f"{complaint}\n".encode()).hexdigest()
    assert (plan.state, plan.rows_erased, plan.shredded) == (DONE, 10, True)
    erased = {e.details["source"]: e.details["rows"] for e in _chain(uow, "erasure.source_erased")}
    assert erased == {"exports": 4, "portal": 3, "scans": 2, "agency": 1}
    chain = repr([(e.details, e.entity_id) for e in uow.session.scalars(select(AuditEvent))])
    for value in (EMAIL, "Mary", "C-1/a.pdf", "P1", "accounts.csv"):
        assert value not in chain
    assert verify(uow.session).intact


def test_a_read_only_file_connection_is_kept_and_never_written(
    uow: UnitOfWork, folders: Folders
) -> None:
    plan = _approved(uow, folders, csv_mode="read_only")
    steps = {s.dataset: s for s in steps_of(uow, plan)}
    assert {
        d: (steps[d].action, steps[d].kept_reason) for d in ("payments", "portal_accounts")
    } == {
        "payments": ("keep", "read_only"),
        "portal_accounts": ("keep", "read_only"),
    }
    csv_before = {p: b for p, b in folders.snapshot().items() if p.startswith("csv")}

    _run_all(uow, plan, folders)

    assert {p: b for p, b in folders.snapshot().items() if p.startswith("csv")} == csv_before
    evidence = {e.dataset: e for e in evidence_of(uow, plan)}
    assert (evidence["payments"].rows, evidence["payments"].rows_kept) == (0, 3)
    assert evidence["payments"].kept_reason == "read_only"
    # Called directly, the connectors refuse before any file is opened.
    exports = TabularConnector("exports", str(folders.csv), kind="csv", read_only=True)
    scans = BlobConnector("scans", str(folders.scans), read_only=True)
    for connector, change in (
        (exports, RowChange("payments/*.csv", "id", ["P2"], delete=True)),
        (scans, RowChange("{customer_ref}/*.pdf", "path", ["C-2/c.pdf"], delete=True)),
    ):
        with pytest.raises(ReadOnlyConnection) as refused:
            apply_changes(connector, [change])
        assert refused.value.code == "source_read_only"
    assert (folders.scans / "C-2" / "c.pdf").exists()
    assert {p: b for p, b in folders.snapshot().items() if p.startswith("csv")} == csv_before


def test_a_stale_plan_changes_no_file(uow: UnitOfWork, folders: Folders) -> None:
    plan = _approved(uow, folders)
    # A payment of hers arrives after approval.
    with (folders.csv / "payments" / "2025.csv").open("a", encoding="utf-8") as handle:
        handle.write("P9,1,5.00,2025-03-01\n")
    before = folders.snapshot()

    assert _run_all(uow, plan, folders) == [STALE]

    assert folders.snapshot() == before
    assert evidence_of(uow, plan) == []
    (stale,) = _chain(uow, "erasure.plan_stale")
    assert (stale.details["dataset"], stale.details["planned"], stale.details["found"]) == (
        "payments",
        3,
        4,
    )


def test_a_run_killed_after_the_files_were_replaced_finishes_once(
    uow: UnitOfWork, folders: Folders
) -> None:
    plan = _approved(uow, folders)
    assert execute_plan(uow, plan.id, worker=WORKER, env=folders.env).marked
    uow.commit()
    # The files are swapped in, then the worker dies before dataward's transaction commits.
    assert execute_plan(uow, plan.id, worker=WORKER, env=folders.env).erased == 4
    uow.rollback()
    assert {s.state for s in steps_of(uow, plan) if s.connection == "exports"} == {STEP_EXECUTING}
    after_crash = {p: b for p, b in folders.snapshot().items() if p.startswith("csv")}

    runs = _run_all(uow, plan, folders)

    assert runs[0] == "erased exports"  # resumed: no second mark, no stale check
    assert runs[-1] == DONE
    # Nothing was done twice: the files are as the killed run left them.
    assert {p: b for p, b in folders.snapshot().items() if p.startswith("csv")} == after_crash
    evidence = {e.dataset: e for e in evidence_of(uow, plan)}
    assert len(evidence_of(uow, plan)) == 6
    assert (evidence["payments"].rows, evidence["payments"].resumed) == (3, True)
    assert (evidence["portal_accounts"].rows, evidence["portal_accounts"].resumed) == (1, True)
    assert evidence["complaints"].resumed is False
    assert plan.rows_erased == 10
    erased = [e.details for e in _chain(uow, "erasure.source_erased")]
    assert [(d["source"], d["rows"]) for d in erased if d["source"] == "exports"] == [
        ("exports", 0)
    ]
    assert len(_chain(uow, "erasure.plan_done")) == 1


def test_a_failure_while_rewriting_leaves_every_file_as_it_was(
    folders: Folders, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = folders.snapshot()
    calls = {"n": 0}
    real_close = tabular_module.close_temp

    def disk_full_on_the_second_file(handle: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        real_close(handle)

    monkeypatch.setattr(tabular_module, "close_temp", disk_full_on_the_second_file)
    exports = TabularConnector("exports", str(folders.csv), kind="csv", read_only=False)

    with pytest.raises(OSError, match="No space"):
        apply_changes(exports, [RowChange("payments/*.csv", "id", ["P1", "P4"], delete=True)])

    # The first file's temporary was complete, but nothing is swapped in until all are.
    assert calls["n"] == 2
    assert folders.snapshot() == before


def test_two_workers_rewriting_one_file_lose_neither_change(
    folders: Folders, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_rewrite = tabular_module._rewrite

    def slow_rewrite(*args: Any) -> Any:
        found = real_rewrite(*args)
        time.sleep(0.2)  # hold the lock long enough for the other worker to wait on it
        return found

    monkeypatch.setattr(tabular_module, "_rewrite", slow_rewrite)
    start = threading.Barrier(2)
    touched: dict[str, list[int]] = {}

    def erase(key: str) -> None:
        connector = TabularConnector("exports", str(folders.csv), kind="csv", read_only=False)
        start.wait()
        touched[key] = apply_changes(
            connector, [RowChange("payments/2025.csv", "id", [key], delete=True)]
        )

    workers = [threading.Thread(target=erase, args=(k,)) for k in ("P1", "P3")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert touched == {"P1": [1], "P3": [1]}
    assert (folders.csv / "payments" / "2025.csv").read_text(encoding="utf-8") == (
        "id,debtor_id,amount,paid_on\nP2,2,20.00,2025-01-03\n"
    )


def test_a_file_another_worker_holds_is_given_up_on_with_nothing_changed(
    folders: Folders, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rewrite_module, "LOCK_WAIT_SECONDS", 0.2)
    exports = TabularConnector("exports", str(folders.csv), kind="csv", read_only=False)
    path = folders.csv / "accounts.csv"

    with locked("other-worker", [path]):
        with pytest.raises(SourceUnavailable, match="another worker"):
            apply_changes(exports, [RowChange("accounts.csv", "account_id", ["A1"], delete=True)])
        assert path.read_text(encoding="utf-8") == ACCOUNTS

    # Released: the same change goes through, and the lock file is gone.
    assert apply_changes(
        exports, [RowChange("accounts.csv", "account_id", ["A1"], delete=True)]
    ) == [1]
    assert sorted(p.name for p in folders.csv.iterdir()) == ["accounts.csv", "payments"]


def test_a_file_binding_dataward_cannot_erase_itself_is_kept_by_hand(
    uow: UnitOfWork, folders: Folders
) -> None:
    # A hold read on a related table cannot be read beside a CSV file: the rows stay.
    plan = _approved(uow, folders, payments_hold=True)
    steps = {s.dataset: s for s in steps_of(uow, plan)}
    assert (steps["payments"].action, steps["payments"].kept_reason) == ("keep", "by_hand")
    assert steps["payments"].kept_detail == "complaint_on_case"
    assert steps["portal_accounts"].action == "erase"

    _run_all(uow, plan, folders)

    assert (folders.csv / "payments" / "2025.csv").read_bytes() == PAYMENTS_2025.encode()
    assert plan.shredded is False


def test_a_hold_predicate_opens_on_a_csv_field_whatever_its_type(
    uow: UnitOfWork, folders: Folders
) -> None:
    # ``in: [7]`` in the sources file, "7" in the CSV: the hold is open, the row stays.
    plan = _approved(uow, folders, accounts_hold=True)
    accounts = next(s for s in steps_of(uow, plan) if s.dataset == "portal_accounts")
    assert (accounts.rows, accounts.rows_kept, accounts.kept_reason, accounts.kept_detail) == (
        0,
        1,
        "hold_predicate",
        "live_case",
    )

    _run_all(uow, plan, folders)

    assert (folders.csv / "accounts.csv").read_text(encoding="utf-8") == ACCOUNTS
    assert plan.shredded is False


def test_an_empty_csv_field_is_null_to_a_hold() -> None:
    rule = HoldRule(open_when_null="closed_on")
    assert hold_open_on(rule, {"closed_on": ""}, text=True)
    assert not hold_open_on(rule, {"closed_on": ""})
    assert not hold_open_on(rule, {"closed_on": "2026-01-01"}, text=True)


def test_a_files_binding_that_would_set_a_column_is_kept_by_hand(
    uow: UnitOfWork, folders: Folders
) -> None:
    plan = _approved(uow, folders, scans_strategy="set_null")
    scans = next(s for s in steps_of(uow, plan) if s.dataset == "vulnerability_evidence")
    assert (scans.action, scans.rows_kept, scans.kept_reason) == ("keep", 2, "by_hand")

    _run_all(uow, plan, folders)

    assert sorted(p.name for p in (folders.scans / "C-1").iterdir()) == ["a.pdf", "b.pdf"]


def test_a_files_binding_keyed_by_path_is_searched_and_planned_file_by_file(
    uow: UnitOfWork, folders: Folders
) -> None:
    """Issue 19: keyed by ``path`` (the only key the loader accepts for files), a request's
    search counts each of her files and the plan cites each by its own key."""
    _stored(uow)
    row = erasure_request(uow)

    searched = search_sources(uow, ORG, row.ref, actor=CASE, env=folders.env)
    plan_erasure(uow, ORG, row.ref, actor=CASE, env=folders.env)
    uow.commit()

    scans = searched.searched["vulnerability_evidence"]
    assert (scans.rows, scans.files) == (2, 2)
    steps = steps_of(uow, get_plan(uow, ORG, row.ref))
    step = next(s for s in steps if s.dataset == "vulnerability_evidence")
    assert step.keys == sorted(
        key_digest("scans", "{customer_ref}/*.pdf", f"C-1/{name}") for name in ("a.pdf", "b.pdf")
    )
