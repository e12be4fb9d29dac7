"""The console's coverage page and the API figure count only accepted claims (SQLite and
PostgreSQL).

The web fixture register is stored with two claims it cannot make: the ``sales`` purpose
also claims data fact ``data.d1`` (now its only claim) and the ``orders`` category claims
purpose fact ``purposes.p1`` (which ``sales`` covers properly).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import signed_in, web_settings

from dataward.clock import FixedClock
from dataward.db import Base
from dataward.models import import_all_models
from dataward.publication.registers import store_register
from dataward.register.loader import parse_register
from dataward.uow import UnitOfWork
from dataward.web.app import create_app

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "web"
ORG = "acme_widgets"


def acme_with_rejected_claims() -> str:
    text = (FIXTURES / "registers" / "acme.yaml").read_text(encoding="utf-8")
    swaps = [
        ("subject_groups: [customers], facts: [data.d1]}", "subject_groups: [customers]}"),
        ("    facts: [purposes.p1]\n", "    facts: [purposes.p1, data.d1]\n"),
        (
            "{id: orders, name: Order history, subject_groups: [customers]}",
            "{id: orders, name: Order history, subject_groups: [customers], facts: [purposes.p1]}",
        ),
    ]
    for old, new in swaps:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


@pytest.fixture
def client(database_url: str, clock: FixedClock) -> Iterator[TestClient]:
    import_all_models()
    app: FastAPI = create(database_url, clock)
    with UnitOfWork(app.state.session_factory, app.state.clock) as uow:
        store_register(uow, parse_register(acme_with_rejected_claims(), "acme.yaml"))
        uow.commit()
    with signed_in(app, "dpo@acme.example", "dpo") as test_client:
        test_client.follow_redirects = True
        yield test_client
    with app.state.session_factory() as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
        session.commit()
    app.state.engine.dispose()


def create(database_url: str, clock: FixedClock) -> FastAPI:
    app = create_app(web_settings(database_url, FIXTURES), clock)
    app.state.analyser.fact_sheets[ORG] = "facts-acme.yaml"
    return app


def test_the_page_counts_only_accepted_claims_and_lists_rejected_ones(
    client: TestClient,
) -> None:
    soup = BeautifulSoup(client.get(f"/orgs/{ORG}/coverage").text, "html.parser")

    headline = [li.get_text(" ", strip=True) for li in soup.select("ul.coverage-headline li")]
    # d1's only claim is rejected and d2 is claimed by nothing: 4 of the 6 facts.
    assert headline[:2] == ["4 of 6 facts covered (67%)", "2 rejected claims"]
    not_covered = [li.get_text(strip=True) for li in soup.select("ul.not-covered li")]
    assert not_covered == [
        "data.d1: not covered: its only claims are rejected",
        "data.d2: not expressed by any register element",
    ]
    rejected = [li.get_text(strip=True) for li in soup.select("ul.rejected li")]
    assert rejected == [
        "data_categories.1: data_category cannot express purposes fact purposes.p1",
        "purposes.0: purpose cannot express data fact data.d1",
    ]


def test_the_api_gives_rejected_claims_apart_from_covered(client: TestClient) -> None:
    [summary] = client.get("/api/v1/organisations").json()["organisations"]

    assert summary["coverage"]["covered"] == 4
    assert summary["coverage"]["total"] == 6
    assert summary["coverage"]["rejected_claims"] == 2
