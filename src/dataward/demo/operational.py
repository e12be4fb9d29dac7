"""Filling the operational database: cases, money, visits, recordings, evidence and notes.

Rows are made per debtor from one ``random.Random`` and inserted a chunk of debtors at a
time with Core executemany. Recordings and evidence get a small real file each (a few
bytes of the right header) unless files are turned off.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table

from dataward.demo import generators as gen
from dataward.demo import schema as s
from dataward.demo.people import Debtor, NewOccupier, People

CHUNK = 2000  # debtors per insert round

CLIENTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Nenevale District Council", "council", ("council tax", "business rates")),
    ("Westmere Borough Council", "council", ("council tax", "penalty charge notice")),
    ("Harlow Fen City Council", "council", ("council tax", "penalty charge notice")),
    ("Ashcombe Unitary Authority", "council", ("council tax", "housing benefit overpayment")),
    ("Kestrel Vale Council", "council", ("business rates", "commercial rent arrears")),
    ("North Moor Magistrates' Court (demo)", "court", ("magistrates' court fine",)),
    ("High Court writ (demo claimant)", "court", ("High Court writ of control",)),
    ("Brightwater Energy (demo)", "utility", ("utility arrears",)),
    ("Marlow Street Lettings (demo)", "landlord", ("commercial rent arrears",)),
    ("Parkway Parking Services (demo)", "parking", ("penalty charge notice",)),
)
VISIT_OUTCOMES = (
    "no answer",
    "spoke to customer",
    "payment arrangement",
    "paid in full",
    "goods listed",
    "customer not known at address",
    "vulnerability identified",
)
VULNERABILITY_KINDS = ("GP letter", "hospital letter", "benefit award letter", "carer's letter")
OCCUPIER_EVIDENCE = ("tenancy agreement", "council tax bill", "utility bill", "bank statement")
COMPLAINT_CATEGORIES = ("agent conduct", "fees", "vulnerability handling", "data protection")
INVESTIGATION_REASONS = ("BWV review of agent conduct", "client audit", "ombudsman enquiry")
RELATIONS = (
    "partner",
    "husband",
    "wife",
    "son",
    "daughter",
    "mother",
    "father",
    "neighbour",
    "lodger",
    "landlord",
)
NOTES = (
    "Spoke to the customer's {relation} {name} at the door; said they would pass on the letter.",
    "Call from {name} ({relation}) asking about the balance; no authority to discuss the account.",
    "{name}, the customer's {relation}, paid on their behalf and asked for a receipt.",
    "Neighbour {name} said the customer moved out some months ago; trace requested.",
    "Customer disclosed that {relation} {name} is their carer; vulnerability review started.",
    "Agent {agent} attended; {name} ({relation}) refused entry and asked for the office number.",
)

# A few bytes of each format's header: enough for a reader to recognise the type.
HEADERS = {
    "mp4": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom",
    "wav": b"RIFF$\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00@\x1f\x00\x00",
    "pdf": b"%PDF-1.4\n%dataward demo\n%%EOF\n",
    "jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9",
}


@dataclass
class _Ids:
    counters: dict[str, int] = field(default_factory=dict)

    def next(self, table: Table) -> int:
        value = self.counters.get(table.name, 0) + 1
        self.counters[table.name] = value
        return value


@dataclass
class _Builder:
    rng: random.Random
    today: date
    pools: gen.NamePools
    files: Path | None
    agents: tuple[str, ...]
    ids: _Ids = field(default_factory=_Ids)
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, table: Table, **values: Any) -> int:
        row_id = self.ids.next(table)
        self.rows.setdefault(table.name, []).append({"id": row_id, **values})
        return row_id

    def file(self, folder: str, name: str, kind: str) -> tuple[str, int]:
        relative = f"{folder}/{name}.{kind}"
        data = HEADERS[kind]
        if self.files is not None:
            path = self.files / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        return relative, len(data)

    def moment(self, day: date) -> datetime:
        # Enforcement visits and calls happen between 6 am and 9 pm.
        return datetime.combine(day, time(6)) + timedelta(seconds=self.rng.randrange(15 * 3600))

    def flush(self, conn: Connection) -> None:
        for table in s.TABLES:
            rows = self.rows.pop(table.name, None)
            if rows:
                conn.execute(table.insert(), rows)
                self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)

    # Per debtor -----------------------------------------------------------------------------

    def debtor(self, debtor: Debtor, occupier: NewOccupier | None) -> None:
        address = debtor.address
        self.add(
            s.debtors,
            customer_ref=debtor.customer_ref,
            title=debtor.title,
            first_name=debtor.first_name,
            middle_name=debtor.middle_name,
            last_name=debtor.last_name,
            date_of_birth=debtor.date_of_birth,
            ni_number=debtor.ni_number,
            email=debtor.email,
            phone=debtor.phone,
            address_line1=address.line1,
            address_line2=address.line2,
            town=address.town,
            postcode=address.postcode,
            vulnerable=debtor.vulnerable,
            created_on=debtor.created_on,
        )
        case_count = self.rng.choices((1, 2, 3, 4), weights=(60, 25, 10, 5))[0]
        case_ids = [self.case(debtor) for _ in range(case_count)]
        if debtor.vulnerable:
            self.vulnerability(debtor, case_ids[0])
        if occupier is not None:
            self.new_occupier(occupier, case_ids[-1])

    def case(self, debtor: Debtor) -> int:
        rng = self.rng
        client_id = rng.randrange(len(CLIENTS))
        name, _, debt_types = CLIENTS[client_id]
        opened = gen.date_between(rng, debtor.created_on, self.today)
        returned: date | None = None
        if rng.random() < 0.75:
            candidate = opened + timedelta(days=rng.randint(30, 900))
            returned = candidate if candidate <= self.today else None
        status = "live" if returned is None else rng.choice(("paid", "returned", "returned"))
        case_id = self.ids.next(s.cases)
        end = returned or self.today
        self.rows.setdefault("cases", []).append(
            {
                "id": case_id,
                "case_ref": f"{name[:2].upper()}{opened.year % 100:02d}-{case_id:08d}",
                "debtor_id": debtor.id,
                "client_id": client_id + 1,
                "debt_type": rng.choice(debt_types),
                "amount_pence": rng.randint(50, 5000) * 100 + rng.randrange(100),
                "status": status,
                "opened_on": opened,
                "returned_on": returned,
            }
        )
        for _ in range(rng.choices((0, 1, 2, 3, 4), weights=(35, 30, 20, 10, 5))[0]):
            self.add(
                s.payments,
                case_id=case_id,
                paid_on=gen.date_between(rng, opened, end),
                amount_pence=rng.randint(5, 300) * 100,
                method=rng.choice(("card", "bank transfer", "direct debit", "cash")),
            )
        for _ in range(rng.choices((0, 1, 2), weights=(45, 40, 15))[0]):
            self.visit(case_id, opened, end)
        for _ in range(rng.choices((0, 1, 2), weights=(40, 40, 20))[0]):
            self.call(case_id, debtor, opened, end)
        for _ in range(rng.choices((1, 2, 3), weights=(60, 30, 10))[0]):
            self.note(case_id, opened, end)
        self.holds(case_id, opened, end)
        return case_id

    def visit(self, case_id: int, opened: date, end: date) -> None:
        visited_at = self.moment(gen.date_between(self.rng, opened, end))
        agent = self.rng.choice(self.agents)
        visit_id = self.add(
            s.agent_visits,
            case_id=case_id,
            visited_at=visited_at,
            agent=agent,
            outcome=self.rng.choice(VISIT_OUTCOMES),
        )
        if self.rng.random() < 0.8:
            bwv_id = self.ids.next(s.body_worn_video)
            path, size = self.file(
                f"body_worn_video/{visited_at:%Y/%m}", f"bwv-{bwv_id:08d}", "mp4"
            )
            self.rows.setdefault("body_worn_video", []).append(
                {
                    "id": bwv_id,
                    "case_id": case_id,
                    "visit_id": visit_id,
                    "recorded_at": visited_at + timedelta(minutes=self.rng.randint(0, 5)),
                    "file_path": path,
                    "size_bytes": size,
                }
            )

    def call(self, case_id: int, debtor: Debtor, opened: date, end: date) -> None:
        recorded_at = self.moment(gen.date_between(self.rng, opened, end))
        call_id = self.ids.next(s.call_recordings)
        path, size = self.file(f"call_recordings/{recorded_at:%Y/%m}", f"call-{call_id:08d}", "wav")
        number = debtor.phone if debtor.phone and self.rng.random() < 0.7 else None
        self.rows.setdefault("call_recordings", []).append(
            {
                "id": call_id,
                "case_id": case_id,
                "recorded_at": recorded_at,
                "caller_number": number or gen.mobile_number(self.rng),
                "direction": self.rng.choice(("inbound", "outbound")),
                "duration_seconds": self.rng.randint(20, 1800),
                "file_path": path,
                "size_bytes": size,
            }
        )

    def note(self, case_id: int, opened: date, end: date) -> None:
        template = self.rng.choice(NOTES)
        body = template.format(
            relation=self.rng.choice(RELATIONS),
            name=self.pools.full_name(self.rng),
            agent=self.rng.choice(self.agents),
        )
        self.add(
            s.notes,
            case_id=case_id,
            written_at=self.moment(gen.date_between(self.rng, opened, end)),
            author=self.rng.choice(self.agents),
            body=body,
        )

    def holds(self, case_id: int, opened: date, end: date) -> None:
        rng = self.rng
        for table, share, label, choices in (
            (s.complaints, 0.04, "category", COMPLAINT_CATEGORIES),
            (s.investigations, 0.015, "reason", INVESTIGATION_REASONS),
        ):
            if rng.random() >= share:
                continue
            started = gen.date_between(rng, opened, end)
            closed = started + timedelta(days=rng.randint(3, 120))
            still_open = closed > self.today or rng.random() < 0.1
            values = {label: rng.choice(choices)}
            self.add(
                table,
                case_id=case_id,
                opened_on=started,
                closed_on=None if still_open else closed,
                **values,
            )

    def vulnerability(self, debtor: Debtor, case_id: int) -> None:
        for _ in range(self.rng.randint(1, 2)):
            received = gen.date_between(self.rng, debtor.created_on, self.today)
            assessed = self.moment(received + timedelta(days=self.rng.randint(1, 10)))
            evidence_id = self.ids.next(s.vulnerability_evidence)
            path, size = self.file("vulnerability_evidence", f"ve-{evidence_id:08d}", "pdf")
            self.rows.setdefault("vulnerability_evidence", []).append(
                {
                    "id": evidence_id,
                    "debtor_id": debtor.id,
                    "case_id": case_id,
                    "received_on": received,
                    "kind": self.rng.choice(VULNERABILITY_KINDS),
                    "assessed_at": assessed if assessed.date() <= self.today else None,
                    "file_path": path,
                    "size_bytes": size,
                }
            )

    def new_occupier(self, occupier: NewOccupier, case_id: int) -> None:
        address = occupier.address
        self.add(
            s.new_occupiers,
            occupier_ref=occupier.occupier_ref,
            case_id=case_id,
            title=occupier.title,
            first_name=occupier.first_name,
            last_name=occupier.last_name,
            email=occupier.email,
            phone=occupier.phone,
            address_line1=address.line1,
            address_line2=address.line2,
            town=address.town,
            postcode=address.postcode,
            reported_on=occupier.reported_on,
        )
        for _ in range(self.rng.randint(1, 2)):
            received = gen.date_between(self.rng, occupier.reported_on, self.today)
            evidence_id = self.ids.next(s.new_occupier_evidence)
            kind = self.rng.choice(("jpg", "pdf"))
            path, size = self.file("new_occupier_evidence", f"noe-{evidence_id:08d}", kind)
            self.rows.setdefault("new_occupier_evidence", []).append(
                {
                    "id": evidence_id,
                    "new_occupier_id": occupier.id,
                    "received_on": received,
                    "kind": self.rng.choice(OCCUPIER_EVIDENCE),
                    "channel": self.rng.choice(("post", "email", "web form")),
                    "file_path": path,
                    "size_bytes": size,
                }
            )
            assessed = self.moment(received + timedelta(days=self.rng.randint(0, 5)))
            if assessed.date() <= self.today:
                self.add(
                    s.assessments,
                    evidence_id=evidence_id,
                    assessed_at=assessed,
                    assessor=self.rng.choice(self.agents),
                    outcome=self.rng.choice(("accepted", "accepted", "rejected")),
                )


def build_operational(
    conn: Connection,
    people: People,
    *,
    seed: int,
    today: date,
    files: Path | None,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Insert the agency's rows for ``people``; returns the row count of every table."""
    rng = random.Random(f"{seed}:operational")
    pools = gen.name_pools(seed)
    agents = tuple(pools.full_name(random.Random(f"{seed}:staff:{n}")) for n in range(40))
    builder = _Builder(rng, today, pools, files, agents)
    conn.execute(
        s.clients.insert(),
        [{"id": n, "name": c[0], "kind": c[1]} for n, c in enumerate(CLIENTS, start=1)],
    )
    builder.counts["clients"] = len(CLIENTS)
    occupier_at = {o.debtor_id: o for o in people.new_occupiers}
    done = 0
    for number, debtor in enumerate(people.debtors, start=1):
        builder.debtor(debtor, occupier_at.get(debtor.id))
        if number % CHUNK == 0 or number == len(people.debtors):
            builder.flush(conn)
            if progress is not None:
                progress(number - done)
            done = number
    return {table.name: builder.counts.get(table.name, 0) for table in s.TABLES}
