"""The disclosure log API (NOT-01): record, list per subject or recipient, read; scopes
``disclosures:read|write``; bad input is problem+json and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from disclosure_support import WITH_CONTACT, register_text
from fastapi import FastAPI
from fastapi.testclient import TestClient
from package_build_support import JTR
from sqlalchemy import func, select
from web_support import add_user, api_token, fresh_console_app

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.disclosures.models import Disclosure
from dataward.publication.registers import store_register
from dataward.register.loader import parse_register
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork

ORG = "jtr_collections"


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


@pytest.fixture
def subject_ref(app: FastAPI) -> str:
    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        store_register(uow, parse_register(register_text(), str(JTR)))
        subject = add_subject(uow, ORG, ["customers"], [("email", "m@example.org")])
        uow.commit()
        return subject.ref


def _client(app: FastAPI, scopes: list[str]) -> TestClient:
    token = api_token(app, add_user(app, "crm.bot", "caseworker"), scopes)
    return TestClient(app, headers={"Authorization": f"Bearer {token}"})


def _body(subject: str, **changes: Any) -> dict[str, Any]:
    return {
        "organisation": ORG,
        "subject_ref": subject,
        "recipient": WITH_CONTACT,
        "datasets": ["customers"],
        "purpose": "third_party_augmentation",
        "disclosed_on": "2026-03-02",
        "reference": "TR-17",
        **changes,
    }


def _counts(app: FastAPI) -> tuple[int, int]:
    with app.state.session_factory() as session:
        return (
            session.scalar(select(func.count(Disclosure.id))) or 0,
            session.scalar(select(func.count(AuditEvent.id))) or 0,
        )


def test_it_records_lists_and_reads_a_disclosure(app: FastAPI, subject_ref: str) -> None:
    client = _client(app, ["disclosures:read", "disclosures:write"])
    made = client.post("/api/v1/disclosures", json=_body(subject_ref))
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["ref"].startswith("d_")
    assert (body["subject_ref"], body["basis"]) == (subject_ref, "legitimate_interests")
    assert body["recorded_by"].startswith("token:")  # who did it: the token, by its id
    listed = client.get(
        "/api/v1/disclosures", params={"organisation": ORG, "subject_ref": subject_ref}
    )
    assert [d["ref"] for d in listed.json()["disclosures"]] == [body["ref"]]
    to = client.get("/api/v1/disclosures", params={"organisation": ORG, "recipient": "experian"})
    assert to.json() == {"disclosures": []}
    read = client.get(f"/api/v1/disclosures/{ORG}/{body['ref']}")
    assert read.json()["reference"] == "TR-17"


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"recipient": "nobody"}, 422, "disclosure_invalid"),
        ({"datasets": ["no_such"]}, 422, "disclosure_invalid"),
        ({"disclosed_on": "2027-01-01"}, 422, "disclosure_invalid"),
        ({"subject_ref": "s_nobody"}, 404, "subject_not_found"),
        ({"datasets": []}, 422, "validation_failed"),
    ],
)
def test_it_refuses_bad_input_with_a_problem_and_changes_nothing(
    app: FastAPI, subject_ref: str, changes: dict[str, Any], status: int, code: str
) -> None:
    client = _client(app, ["disclosures:write"])
    before = _counts(app)
    reply = client.post("/api/v1/disclosures", json=_body(subject_ref, **changes))
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert reply.json()["code"] == code
    assert _counts(app) == before


def test_it_needs_the_scopes(app: FastAPI, subject_ref: str) -> None:
    reader = _client(app, ["disclosures:read"])
    assert reader.post("/api/v1/disclosures", json=_body(subject_ref)).status_code == 403
    holds = TestClient(
        app,
        headers={
            "Authorization": "Bearer "
            + api_token(app, add_user(app, "other.bot", "caseworker"), ["holds:read"])
        },
    )
    assert (
        holds.get("/api/v1/disclosures", params={"organisation": ORG, "recipient": "x"}).status_code
        == 403
    )
    assert (
        reader.get(f"/api/v1/disclosures/{ORG}/d_nothing").json()["code"] == "disclosure_not_found"
    )
    both = reader.get("/api/v1/disclosures", params={"organisation": ORG})
    assert (both.status_code, both.json()["code"]) == (422, "disclosure_invalid")


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        # RULES: NTC-01. JTR shares with authorised_third_parties only if the person did.
        ({"recipient": "authorised_third_parties"}, "disclosure_not_authorised"),
        (
            {"authorised_on": "2026-03-03", "authorisation_ref": "CALL-1"},
            "disclosure_not_authorised",
        ),
        ({"authorised_on": "2026-03-01"}, "disclosure_not_authorised"),
        # RULES: NTC-01, ROP-01. JTR's register lists no transfer: none can be named.
        ({"transfer": "eu_hosting"}, "disclosure_transfer_not_listed"),
        ({"destination": "India"}, "disclosure_transfer_not_listed"),
    ],
)
def test_it_refuses_what_the_registers_sharing_rules_do_not_allow(
    app: FastAPI, subject_ref: str, changes: dict[str, Any], code: str
) -> None:
    client = _client(app, ["disclosures:write"])
    before = _counts(app)
    reply = client.post("/api/v1/disclosures", json=_body(subject_ref, **changes))
    assert reply.status_code == 422, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    assert reply.json()["code"] == code
    assert _counts(app) == before


def test_it_records_and_shows_the_persons_authorisation(app: FastAPI, subject_ref: str) -> None:
    client = _client(app, ["disclosures:read", "disclosures:write"])
    made = client.post(
        "/api/v1/disclosures",
        json=_body(
            subject_ref,
            recipient="authorised_third_parties",
            authorised_on="2026-02-20",
            authorisation_ref="CALL-0412",
        ),
    )
    assert made.status_code == 201, made.text
    read = client.get(f"/api/v1/disclosures/{ORG}/{made.json()['ref']}").json()
    assert (read["authorised_on"], read["authorisation_ref"]) == ("2026-02-20", "CALL-0412")
    assert (read["transfer"], read["destination"], read["for_recipient_marketing"]) == (
        None,
        None,
        False,
    )


JJH_ORG = "johnnie_johnson_housing"
JJH = JTR.parent / "johnnie-johnson-housing.yaml"
SAFEGUARD = "      safeguard: contract\n"


def _jjh_subject(app: FastAPI, text_: str) -> str:
    state = app.state
    with UnitOfWork(state.session_factory, state.clock, state.vault) as uow:
        store_register(uow, parse_register(text_, str(JJH)))
        subject = add_subject(uow, JJH_ORG, ["customers"], [("email", "t@example.org")])
        uow.commit()
        return subject.ref


def _jjh_body(subject: str, **changes: Any) -> dict[str, Any]:
    return {
        "organisation": JJH_ORG,
        "subject_ref": subject,
        "recipient": "overseas_suppliers",
        "datasets": ["tenancy_records"],
        "purpose": "rent_and_repairs",
        "disclosed_on": "2026-03-02",
        **changes,
    }


def test_it_refuses_others_marketing_and_takes_a_safeguarded_transfer(app: FastAPI) -> None:
    """RULES: NTC-01, ROP-01 on JJH's register: never for others' marketing; its overseas
    suppliers only under the listed transfer, which states its safeguard."""
    subject = _jjh_subject(app, JJH.read_text(encoding="utf-8"))
    client = _client(app, ["disclosures:read", "disclosures:write"])
    before = _counts(app)
    marketing = client.post(
        "/api/v1/disclosures",
        json=_jjh_body(subject, transfer="overseas_suppliers", for_recipient_marketing=True),
    )
    assert (marketing.status_code, marketing.json()["code"]) == (
        422,
        "disclosure_for_others_marketing",
    )
    abroad = client.post("/api/v1/disclosures", json=_jjh_body(subject))
    assert abroad.json()["code"] == "disclosure_transfer_not_listed"
    assert _counts(app) == before
    made = client.post(
        "/api/v1/disclosures",
        json=_jjh_body(subject, transfer="overseas_suppliers", destination="India"),
    )
    assert made.status_code == 201, made.text
    assert (made.json()["transfer"], made.json()["destination"]) == ("overseas_suppliers", "India")


def test_it_refuses_a_transfer_whose_safeguard_the_register_leaves_unstated(app: FastAPI) -> None:
    text_ = JJH.read_text(encoding="utf-8")
    assert text_.count(SAFEGUARD) == 1
    subject = _jjh_subject(app, text_.replace(SAFEGUARD, ""))
    client = _client(app, ["disclosures:write"])
    before = _counts(app)
    reply = client.post(
        "/api/v1/disclosures", json=_jjh_body(subject, transfer="overseas_suppliers")
    )
    assert (reply.status_code, reply.json()["code"]) == (422, "disclosure_transfer_unsafeguarded")
    assert _counts(app) == before
