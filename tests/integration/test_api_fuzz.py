"""The API under schemathesis, in process, on SQLite and PostgreSQL (issue 14, "make it stay
fixed": the outside review ran it over 30,000 cases; this keeps a small, stable slice of
that in every `make test`).

Each operation of /openapi.json gets generated requests, valid and invalid, with a token
that holds every scope and with none. Every answer must be no 5xx, a documented status, of
a documented content type and matching the documented schema. The budget is small and
derandomized, so a run is the same on every machine and stays within about a minute here.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import sessionmaker
from web_support import ORG, add_person, add_user, api_token, console_app

from dataward.accounts.permissions import TOKEN_SCOPES
from dataward.clock import FixedClock
from dataward.crypto.keystore import KeyBase, Vault
from dataward.db import Base, make_engine

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# A token for every scope a token may hold (managing users is never delegated to one).
SCOPES = [p.value for p in TOKEN_SCOPES]
# The batch's body is JSON lines: schemathesis sends the generated text as it is.
schemathesis.serializer.alias("application/x-ndjson", "text/plain")
BUDGET = settings(
    max_examples=15,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def _empty(database_url: str, vault: Vault) -> None:
    """Leave the database and key store as the ``uow`` fixture leaves them: empty."""
    engine = make_engine(database_url)
    try:
        with sessionmaker(engine)() as session:
            for table in reversed(Base.metadata.sorted_tables):
                session.execute(table.delete())
            session.commit()
    finally:
        engine.dispose()
    with vault.session() as session:
        for table in reversed(KeyBase.metadata.sorted_tables):
            if table.name != "kek_check":
                session.execute(table.delete())
        session.commit()


@dataclass
class Fuzzed:
    app: Any
    token: str
    # Names the generated requests may use for what exists, so the answers that carry data
    # (and their schemas) are checked too, not only the refusals of made-up names.
    known: dict[str, str]


@pytest.fixture(scope="module")
def fuzzed(database_url: str, vault: Vault) -> Iterator[Fuzzed]:
    """The app with the web fixture register, one subject, and a token with every scope."""
    clock = FixedClock(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
    app = console_app(database_url, clock, vault)
    ref = add_person(app)
    token = api_token(app, add_user(app, "fuzz.admin", "admin"), SCOPES)
    _complaint_and_hold(app, ref)
    known = {"org": ORG, "organisation": ORG, "ref": ref, "subject": ref, "purpose": "sales"}
    yield Fuzzed(app, token, known)
    app.state.engine.dispose()
    _empty(database_url, vault)


def _complaint_and_hold(app: Any, subject_ref: str) -> None:
    """A complaint and a hold on the subject, so the lists answer with items to check."""
    from datetime import date

    from dataward.complaints.service import Complainant, NewComplaint, open_complaint
    from dataward.holds.service import NewHold, place_hold
    from dataward.uow import UnitOfWork

    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        who = Complainant(name="Fuzz Person", words="A complaint to list.")
        new = NewComplaint(ORG, "email", date(2026, 11, 20), who, subject_ref=subject_ref)
        complaint = open_complaint(uow, new, actor="test")
        hold = NewHold(
            ORG,
            "subject",
            "dpo@example.com",
            date(2027, 1, 31),
            reason="complaint",
            subject_ref=subject_ref,
            datasets=("crm",),
            complaint_id=complaint.id,
        )
        place_hold(uow, hold, actor="test")
        uow.commit()


def _operations() -> list[str]:
    """Every operation the document describes, as "METHOD /path" (read once, no database)."""
    from dataward.config import Settings
    from dataward.web.app import create_app

    # Building the app opens no connection: the database named here is never created.
    unused = Path(tempfile.gettempdir()) / "dataward-fuzz-never-opened.db"
    app = create_app(Settings(database_url=f"sqlite:///{unused}"))
    document = app.openapi()
    app.state.engine.dispose()
    return sorted(
        f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item
    )


OPERATIONS = _operations()


# Every operation with a token first, then every one without: refusals a server throttles
# per client must not turn the calls that carry a token into 429s.
@pytest.mark.parametrize("label", OPERATIONS)
@pytest.mark.parametrize("with_token", [True, False], ids=["token", "no-token"])
def test_it_answers_every_operation_as_documented(
    fuzzed: Fuzzed, label: str, with_token: bool
) -> None:
    """issue 14, "make it stay fixed": schemathesis, with a token holding every scope and
    with no credentials at all; valid and invalid requests, made-up names and known ones."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzzed.app)
    operation = schema.find_operation_by_label(label)
    assert operation is not None, label
    headers = {"Authorization": f"Bearer {fuzzed.token}"} if with_token else {}
    method, path = label.split(" ", 1)
    parameters = schema.raw_schema["paths"][path][method.lower()].get("parameters", [])
    known = {
        where: {
            p["name"]: fuzzed.known[p["name"]]
            for p in parameters
            if p["in"] == where and p["name"] in fuzzed.known
        }
        for where in ("path", "query")
    }
    cases = st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
        operation.as_strategy(
            GenerationMode.POSITIVE, path_parameters=known["path"], query=known["query"]
        ),
    )

    @BUDGET
    @given(case=cases)
    def run(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=CHECKS)

    run()
