"""The demo agency's tables for JTR's retention tests (issue 20): rows with explicit dates,
JTR's own register and the demo's sources file stored as `dataward demo create` stores them,
and a ``Sweep`` to run the engine day by day (retention_support)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from retention_support import Sweep, fill, store_sources_document
from runs_support import JTR, store_example

from dataward.demo import schema
from dataward.demo.sources import FILES_DIR_FROM, OPERATIONAL_URL_FROM, sources_document
from dataward.uow import UnitOfWork

ORG = "jtr_collections"

DEBTOR = {
    "title": "Mx",
    "first_name": "A",
    "last_name": "B",
    "address_line1": "1 High Street",
    "town": "Leeds",
    "postcode": "LS1 1AA",
    "vulnerable": False,
    "created_on": date(2015, 1, 1),
}
CASE = {"client_id": 1, "debt_type": "council tax", "amount_pence": 10_000, "status": "x"}
FILE = {"file_path": "x", "size_bytes": 1}


def debtors(*ids: int) -> list[dict[str, Any]]:
    return [{"id": i, "customer_ref": f"C{i}", **DEBTOR} for i in ids]


def cases(*rows: tuple[int, int, date | None]) -> list[dict[str, Any]]:
    """(case id, debtor id, returned to the client on)."""
    return [
        {
            "id": i,
            "case_ref": f"CASE{i}",
            "debtor_id": debtor,
            "opened_on": date(2015, 1, 1),
            "returned_on": returned,
            **CASE,
        }
        for i, debtor, returned in rows
    ]


def agency(
    uow: UnitOfWork,
    url: str,
    rows: dict[str, list[dict[str, Any]]],
    *,
    files: Path | None = None,
    edit: Callable[[dict[str, Any]], None] | None = None,
) -> Sweep:
    """The demo agency's tables holding ``rows`` (and its ``files`` folder, when given);
    JTR's register and the demo's sources file stored, as `dataward demo create` stores
    them, after ``edit`` where a test needs another sources file."""
    client = {"id": 1, "name": "Council", "kind": "council"}
    fill(url, schema.metadata, {"clients": [client]} | rows)
    register = store_example(uow, JTR)
    document = sources_document(
        organisation=ORG, files_dir=files, register_datasets={d.id for d in register.datasets}
    )
    if edit is not None:
        edit(document)
    store_sources_document(uow, ORG, document)
    env = {OPERATIONAL_URL_FROM: url}
    if files is not None:
        env[FILES_DIR_FROM] = str(files)
    return Sweep(uow, ORG, env)


def with_files(folder: Path, rows: list[dict[str, Any]], table: str) -> list[dict[str, Any]]:
    """``rows`` of a table with files, each naming its own file, written in ``folder``."""
    named = []
    for row in rows:
        path = f"{table}/{row['id']}.pdf"
        (folder / table).mkdir(parents=True, exist_ok=True)
        (folder / path).write_bytes(b"scan")
        named.append(row | {"file_path": path, "size_bytes": 4})
    return named
