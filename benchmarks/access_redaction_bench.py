"""Redaction throughput on free text (issue 18, ACC-02): ``Detector.scan_batch`` vs one regex.

On SQLite (temporary files) and PostgreSQL (throwaway databases on the test server):

- a subject store of ``--people`` people (20,000 by default), each with an email, a UK
  mobile number and a name, added with ``subjects.bulk``; the blind index is what the
  detector reads;
- ``--notes`` synthetic case notes (200,000 by default, seeded): about a third name another
  person in the store, some a stranger's name, some an email or a phone number (a store
  person's or a stranger's), some nothing but words; a few carry the subject's own details;
- measured: rows/s through ``access.redaction.detector_for(...).scan_batch`` in batches of
  ``--batch`` rows (1,000: what a build hands it), every pattern recogniser plus the
  blind-index lookup, one query per batch;
- baseline, in the same run over the same notes: one compiled email regex, one
  ``finditer`` pass per note (the least a redactor can do).

Prints rows/s of both and the ratio (how many times slower the full detector is), with the
spans found and queries made. Progress goes to stderr.

Run: ``.venv/bin/python benchmarks/access_redaction_bench.py`` (``--backends sqlite`` to
skip PostgreSQL, ``--notes 20000`` for a quick run; ``DATAWARD_BENCH_PG_URL`` for another
server).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
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
SEED = 18
FIRST = [
    "Amelia",
    "Oliver",
    "Isla",
    "George",
    "Ava",
    "Noah",
    "Mia",
    "Arthur",
    "Ivy",
    "Muhammad",
    "Grace",
    "Leo",
    "Freya",
    "Harry",
    "Lily",
    "Oscar",
    "Florence",
    "Archie",
    "Willow",
    "Henry",
    "Rosie",
    "Theodore",
    "Sophia",
    "Jack",
    "Isabella",
    "Charlie",
    "Evie",
    "Thomas",
    "Daisy",
    "Alfie",
    "Sienna",
    "Joshua",
    "Poppy",
    "James",
    "Elsie",
    "William",
    "Ella",
    "Finley",
    "Millie",
    "Lucas",
    "Harper",
    "Edward",
    "Phoebe",
    "Isaac",
    "Matilda",
    "Jacob",
    "Emily",
    "Alexander",
    "Eva",
    "Arlo",
    "Aurora",
    "Tommy",
    "Maya",
]
LAST = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Thomas",
    "Clarke",
    "Jackson",
    "Wood",
    "Harris",
    "Edwards",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Hughes",
    "Moore",
    "Clark",
    "King",
    "Harrison",
    "Lewis",
    "Baker",
    "Lee",
    "Allen",
    "Morris",
    "Khan",
    "Scott",
    "Watson",
    "Davis",
    "Parker",
    "James",
    "Bennett",
    "Young",
    "Phillips",
    "Richardson",
    "Mitchell",
    "Bailey",
]
STRANGERS = ("Quentin Blakemore", "Wilhelmina Ashdown", "Barnaby Fotheringham", "Ottoline Vane")
TEMPLATES = (
    "Spoke to the customer's partner {name} at the door; said they would pass on the letter.",
    "Call from {name} asking about the balance; no authority to discuss the account.",
    "Neighbour {name} said the customer moved out some months ago; trace requested.",
    "Customer asked us to write to {email} instead of the old address.",
    "Left a voicemail; customer's daughter called back from {phone} later that day.",
    "{name} ({email}, {phone}) paid on the customer's behalf and asked for a receipt.",
    "Agent attended; nobody in. Card left. Will try again next week in the morning.",
    "Customer disclosed a change in circumstances; vulnerability review started today.",
)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")


def _material() -> Any:
    from dataward.crypto.secrets import KeyMaterial

    return KeyMaterial("kek-bench", os.urandom(32), os.urandom(32))


@contextmanager
def stores(backend: str) -> Iterator[tuple[str, str]]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="dataward-redact-") as folder:
            yield f"sqlite:///{folder}/main.db", f"sqlite:///{folder}/keys.db"
        return
    from dataward.scratch import scratch_databases

    with scratch_databases(PG_ADMIN, "dataward_bench_rmain", "dataward_bench_rkeys") as urls:
        yield urls[0], urls[1]


def person(number: int) -> tuple[str, str, str]:
    """Person ``number``'s name, email and phone: the same every run."""
    name = f"{FIRST[number % len(FIRST)]} {LAST[(number // len(FIRST)) % len(LAST)]}"
    if number >= len(FIRST) * len(LAST):  # more people than pairs: a middle name
        name = (
            f"{FIRST[number % len(FIRST)]} {FIRST[number // 997 % len(FIRST)]} "
            + (LAST[(number // len(FIRST)) % len(LAST)])
        )
    return name, f"person.{number}@example.com", f"07911 {number:06d}"


def notes(count: int, people: int) -> list[dict[str, str]]:
    rng = random.Random(SEED)
    made = []
    for _ in range(count):
        template = rng.choice(TEMPLATES)
        if rng.random() < 0.7:
            name, email, phone = person(rng.randrange(1, people))
        else:
            n = rng.randrange(1000)
            name, email, phone = rng.choice(STRANGERS), f"x{n}@mail.example", f"0113 496 {n:04d}"
        if rng.random() < 0.03:
            name, email, phone = person(0)  # the subject's own details stay
        made.append({"note": template.format(name=name, email=email, phone=phone)})
    return made


def setup(main_url: str, keys_url: str, people: int) -> tuple[Any, Any]:
    from dataward.clock import SystemClock
    from dataward.crypto.keystore import Vault
    from dataward.db import make_engine, make_session_factory
    from dataward.migrate import upgrade
    from dataward.publication.registers import store_register
    from dataward.register.loader import load_register
    from dataward.subjects.bulk import SubjectRow, add_subjects_bulk
    from dataward.uow import UnitOfWork

    upgrade(main_url)
    factory = make_session_factory(make_engine(main_url))
    vault = Vault.open(keys_url, _material())
    with UnitOfWork(factory, SystemClock(), vault) as uow:
        store_register(uow, load_register(SHOP))
        rows = []
        for number in range(people):
            name, email, phone = person(number)
            rows.append(
                SubjectRow(["customers"], [("name", name), ("email", email), ("phone", phone)])
            )
        add_subjects_bulk(uow, ORG, rows, actor="bench")
        uow.commit()
    return factory, vault


def detector(uow: Any) -> Any:
    """The detector for subject 0's package, as the build makes it."""
    from sqlalchemy import select

    from dataward.access.models import AccessPackage
    from dataward.access.redaction import detector_for
    from dataward.requests.source_search import subject_identities
    from dataward.subjects.models import Subject

    subject = uow.session.scalars(select(Subject).order_by(Subject.created_at).limit(1)).one()
    package = AccessPackage(organisation=ORG, key_id=subject.key_id)
    return detector_for(uow, package, subject_identities(uow, subject))


def run(backend: str, people: int, count: int, batch: int) -> dict[str, float]:
    from dataward.clock import SystemClock
    from dataward.uow import UnitOfWork

    rows = notes(count, people)
    with stores(backend) as (main_url, keys_url):
        started = time.perf_counter()
        factory, vault = setup(main_url, keys_url, people)
        print(
            f"{backend}: {people} people stored in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )
        baseline_spans = 0
        started = time.perf_counter()
        for row in rows:
            baseline_spans += sum(1 for _ in EMAIL.finditer(row["note"]))
        baseline = time.perf_counter() - started
        with UnitOfWork(factory, SystemClock(), vault) as uow:
            found = detector(uow)
            spans: dict[str, int] = {}
            started = time.perf_counter()
            for start in range(0, len(rows), batch):
                for row_spans in found.scan_batch(rows[start : start + batch], ["note"]):
                    for span in row_spans:
                        spans[span.kind] = spans.get(span.kind, 0) + 1
            full = time.perf_counter() - started
            queries = found.index.queries
        vault.close()
    return {
        "detector_rows_s": count / full,
        "baseline_rows_s": count / baseline,
        "ratio": full / baseline,
        "queries": queries,
        "baseline_spans": baseline_spans,
        **{f"spans_{k}": v for k, v in sorted(spans.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--notes", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=1_000)
    args = parser.parse_args()
    print(
        f"python {platform.python_version()} on {platform.machine()}; "
        f"{args.people} people, {args.notes} notes, batches of {args.batch}"
    )
    for backend in args.backends.split(","):
        got = run(backend.strip(), args.people, args.notes, args.batch)
        print(
            f"{backend:>10}: detector {got['detector_rows_s']:>9,.0f} rows/s | "
            f"email regex baseline {got['baseline_rows_s']:>10,.0f} rows/s | "
            f"ratio {got['ratio']:.1f}x | {got['queries']:.0f} index queries"
        )
        found = ", ".join(f"{k[6:]} {v:,.0f}" for k, v in got.items() if k.startswith("spans_"))
        print(f"{'':>10}  spans: {found} (baseline emails {got['baseline_spans']:,.0f})")


if __name__ == "__main__":
    main()
