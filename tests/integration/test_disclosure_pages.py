"""The console's disclosure log on a subject's page, and rectification on a request's page
(issue 19: NOT-01, REC-01). The test clock is 25 November 2026; JTR's register (with an
email contact for Ascendant Solutions) and the small operational database (read_write)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from disclosure_support import (
    TOLD_AT,
    WITH_CONTACT,
    rights_request,
    stored_jtr_with_contacts,
    subject_of,
)
from fastapi import FastAPI
from fastapi.testclient import TestClient
from package_build_support import ORG, build_operational
from sqlalchemy import create_engine, func, select, text
from web_support import csrf_from, fresh_console_app, signed_in

from dataward.clock import FixedClock
from dataward.disclosures.models import Disclosure, Rectification
from dataward.uow import UnitOfWork


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


@pytest.fixture
def refs(app: FastAPI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, str]:
    """(subject ref, rectification request ref, operational database URL)."""
    agency = build_operational(tmp_path / "agency")
    for name, value in agency.env.items():
        monkeypatch.setenv(name, value)
    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        stored_jtr_with_contacts(uow)
        subject = subject_of(uow)
        row = rights_request(uow, subject)
        return subject.ref, row.ref, agency.url


def _post(client: TestClient, page: str, url: str, **data: object) -> object:
    csrf = csrf_from(client.get(page).text)
    return client.post(url, data={**data, "csrf_token": csrf})


def _disclose(client: TestClient, subject: str, **changes: object) -> object:
    page = f"/console/subjects/{ORG}/{subject}"
    data: dict[str, object] = {
        "recipient": WITH_CONTACT,
        "datasets": ["customers", "payments"],
        "purpose": "third_party_augmentation",
        "disclosed_on": "2026-03-02",
        "reference": "TR-17",
        **changes,
    }
    return _post(client, page, f"{page}/disclosures", **data)


def _count(app: FastAPI, model: type[object]) -> int:
    with app.state.session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_a_caseworker_records_a_disclosure_on_the_subjects_page(
    app: FastAPI, refs: tuple[str, str, str]
) -> None:
    subject, _, _ = refs
    client = signed_in(app, "cw", "caseworker")
    done = _disclose(client, subject)
    assert done.status_code == 303  # type: ignore[attr-defined]
    page = BeautifulSoup(client.get(f"/console/subjects/{ORG}/{subject}").text, "html.parser")
    table = page.select_one("table.subject-disclosures")
    assert table is not None
    text_ = table.get_text(" ", strip=True)
    assert "Ascendant Solutions Ltd" in text_
    assert "customers, payments" in text_
    assert "TR-17" in text_
    assert "Disclosure d_" in page.get_text()  # the flash
    assert page.select_one("form[action$='/disclosures'] select[name=recipient]") is not None


def test_a_bad_disclosure_is_refused_back_with_the_error(
    app: FastAPI, refs: tuple[str, str, str]
) -> None:
    subject, _, _ = refs
    client = signed_in(app, "cw", "caseworker")
    done = _disclose(client, subject, recipient="nobody")
    assert done.status_code == 303  # type: ignore[attr-defined]
    page = client.get(f"/console/subjects/{ORG}/{subject}").text
    assert "The register has no recipient" in page
    assert _count(app, Disclosure) == 0


def test_the_registers_sharing_rules_are_checked_on_the_subjects_page(
    app: FastAPI, refs: tuple[str, str, str]
) -> None:
    """RULES: NTC-01. JTR shares with authorised third parties only if the person did:
    refused back with the error and nothing recorded, then kept with the day and evidence."""
    subject, _, _ = refs
    client = signed_in(app, "cw", "caseworker")
    done = _disclose(client, subject, recipient="authorised_third_parties")
    assert done.status_code == 303  # type: ignore[attr-defined]
    page = client.get(f"/console/subjects/{ORG}/{subject}").text
    assert "only where the person has authorised it" in page
    assert _count(app, Disclosure) == 0
    _disclose(
        client,
        subject,
        recipient="authorised_third_parties",
        authorised_on="2026-02-20",
        authorisation_ref="CALL-0412",
    )
    soup = BeautifulSoup(client.get(f"/console/subjects/{ORG}/{subject}").text, "html.parser")
    table = soup.select_one("table.subject-disclosures")
    assert table is not None
    shown = table.get_text(" ", strip=True)
    assert "authorised by the person 20 February 2026 (CALL-0412)" in shown
    assert _count(app, Disclosure) == 1


def test_an_auditor_sees_no_disclosures(app: FastAPI, refs: tuple[str, str, str]) -> None:
    subject, _, _ = refs
    client = signed_in(app, "aud", "auditor")
    reply = client.post(f"/console/subjects/{ORG}/{subject}/disclosures", data={})
    assert reply.status_code == 403


def test_rec01_a_caseworker_corrects_the_source_from_the_request_page(
    app: FastAPI, refs: tuple[str, str, str]
) -> None:
    subject, request, url = refs
    client = signed_in(app, "cw", "caseworker")
    _disclose(client, subject)
    page = f"/console/requests/{ORG}/{request}"
    form = BeautifulSoup(client.get(page).text, "html.parser").select_one(
        "form[action$='/rectify']"
    )
    assert form is not None
    done = _post(
        client, page, f"{page}/rectify", dataset="customers", column="customer_ref",
        value="C-1-FIXED",
    )  # fmt: skip
    assert done.status_code == 303  # type: ignore[attr-defined]
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT customer_ref FROM debtors WHERE id = 1")).scalar() == (
            "C-1-FIXED"
        )
    engine.dispose()
    shown = BeautifulSoup(client.get(page).text, "html.parser")
    panel = shown.select_one("#rectification")
    assert panel is not None
    words = shown.get_text(" ", strip=True)
    assert "Corrected customers.customer_ref in 1 row" in words
    assert "Ascendant Solutions Ltd: rectification, told by email" in words
    assert TOLD_AT not in words


def test_an_unbound_column_is_refused_back_and_nothing_changes(
    app: FastAPI, refs: tuple[str, str, str]
) -> None:
    _, request, url = refs
    client = signed_in(app, "cw", "caseworker")
    page = f"/console/requests/{ORG}/{request}"
    done = _post(client, page, f"{page}/rectify", dataset="customers", column="name", value="X")
    assert done.status_code == 303  # type: ignore[attr-defined]
    assert "The sources file binds no column" in client.get(page).text
    assert _count(app, Rectification) == 0
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT name FROM debtors WHERE id = 1")).scalar() == (
            "Mary Subject"
        )
    engine.dispose()
