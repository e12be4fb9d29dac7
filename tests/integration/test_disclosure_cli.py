"""``dataward disclosure`` and ``dataward request rectify`` (issue 19): the disclosure log
and REC-01 from a terminal, the same rules as the services; a refusal is one line, exit 2,
nothing changed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from complaint_cli_support import dataward, make_site
from disclosure_support import WITH_CONTACT, rights_request, stored_jtr_with_contacts, subject_of
from package_build_support import ORG, build_operational
from sqlalchemy import create_engine, func, select, text

from dataward.audit.models import AuditEvent
from dataward.disclosures.models import Disclosure, RecipientNotice, Rectification
from dataward.runtime import open_runtime


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str, str]]:
    """(subject ref, request ref, operational database URL) on a site of its own."""
    for _ in make_site(tmp_path, monkeypatch):
        agency = build_operational(tmp_path / "agency")
        for name, value in agency.env.items():
            monkeypatch.setenv(name, value)
        with open_runtime() as runtime, runtime.uow() as uow:
            stored_jtr_with_contacts(uow)
            subject = subject_of(uow)
            row = rights_request(uow, subject)
            refs = (subject.ref, row.ref, agency.url)
        yield refs


def _add(subject: str, *extra: str) -> tuple[int, str, str]:
    return dataward(
        "disclosure", "add", "--org", ORG, "--subject", subject, "--recipient", WITH_CONTACT,
        "--purpose", "third_party_augmentation", "--dataset", "customers", "--on", "2026-03-02",
        *extra,
    )  # fmt: skip


def _counts() -> tuple[int, int]:
    with open_runtime() as runtime, runtime.reader() as uow:
        return (
            uow.session.scalar(select(func.count(Disclosure.id))) or 0,
            uow.session.scalar(select(func.count(AuditEvent.id))) or 0,
        )


def test_it_adds_and_lists_a_disclosure(site: tuple[str, str, str]) -> None:
    subject, _, _ = site
    code, out, err = _add(subject, "--reference", "TR-17")
    assert code == 0, err
    ref = out.split(":", 1)[0]
    assert out.strip() == f"{ref}: customers to {WITH_CONTACT} on 2026-03-02"
    code, listed, _ = dataward("disclosure", "list", "--org", ORG, "--subject", subject)
    assert code == 0
    assert f"{ref} 2026-03-02: customers to {WITH_CONTACT} for third_party_augmentation" in listed
    assert listed.strip().endswith("1 disclosure")
    code, listed, _ = dataward("disclosure", "list", "--org", ORG, "--recipient", "experian")
    assert (code, listed.strip()) == (0, "0 disclosures")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (("--on", "02/03/2026"), "--on must be a date like"),
        (("--recipient", "nobody"), "no recipient 'nobody'"),
        (("--dataset", "no_such"), "no dataset 'no_such'"),
    ],
)
def test_it_refuses_bad_input_with_one_line(
    site: tuple[str, str, str], extra: tuple[str, ...], message: str
) -> None:
    subject, _, _ = site
    before = _counts()
    code, _, err = _add(subject, *extra)
    assert code == 2
    assert "disclosure_invalid" in err
    assert message in err
    assert _counts() == before


@pytest.mark.parametrize(
    ("extra", "code", "message"),
    [
        (
            ("--recipient", "authorised_third_parties"),
            "disclosure_not_authorised",
            "only where the person has authorised it",
        ),
        (("--authorised-on", "20 Feb"), "disclosure_invalid", "--authorised-on must be a date"),
        (("--transfer", "eu_hosting"), "disclosure_transfer_not_listed", "lists no transfer"),
    ],
)
def test_it_refuses_what_the_registers_sharing_rules_do_not_allow(
    site: tuple[str, str, str], extra: tuple[str, ...], code: str, message: str
) -> None:
    # RULES: NTC-01, ROP-01
    subject, _, _ = site
    before = _counts()
    status, _, err = _add(subject, *extra)
    assert status == 2
    assert f"[{code}]" in err
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert _counts() == before


def test_it_records_the_persons_authorisation(site: tuple[str, str, str]) -> None:
    subject, _, _ = site
    status, out, err = _add(
        subject,
        "--recipient", "authorised_third_parties",
        "--authorised-on", "2026-02-20",
        "--authorisation-ref", "CALL-0412",
    )  # fmt: skip
    assert status == 0, err
    ref = out.split(":", 1)[0]
    code, listed, _ = dataward("disclosure", "list", "--org", ORG, "--subject", subject)
    assert code == 0
    assert f"{ref} 2026-03-02: customers to authorised_third_parties" in listed
    assert "authorised 2026-02-20" in listed


def test_the_list_needs_a_subject_or_a_recipient(site: tuple[str, str, str]) -> None:
    code, _, err = dataward("disclosure", "list", "--org", ORG)
    assert code == 2
    assert "give --subject or --recipient" in err


def test_rec01_rectify_corrects_the_source_and_tells_the_recipient(
    site: tuple[str, str, str],
) -> None:
    subject, request, url = site
    assert _add(subject)[0] == 0
    code, out, err = dataward(
        "request", "rectify", ORG, request, "--dataset", "customers",
        "--column", "customer_ref", "--value", "C-1-FIXED",
    )  # fmt: skip
    assert code == 0, err
    assert out.strip() == f"{request}: customers.customer_ref corrected in 1 rows"
    engine = create_engine(url)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT customer_ref FROM debtors WHERE id = 1")).scalar() == (
            "C-1-FIXED"
        )
    engine.dispose()
    with open_runtime() as runtime, runtime.reader() as uow:
        [notice] = uow.session.scalars(select(RecipientNotice)).all()
        assert notice.outcome == "told"


def test_rectify_refuses_an_unbound_column(site: tuple[str, str, str]) -> None:
    _, request, _ = site
    code, _, err = dataward(
        "request", "rectify", ORG, request, "--dataset", "customers",
        "--column", "name", "--value", "Mary Q",
    )  # fmt: skip
    assert code == 2
    assert "refused [rectification_column_not_bound]" in err
    assert "Mary Q" not in err


def test_rectify_refuses_an_unknown_accuracy_check_and_records_a_known_one(
    site: tuple[str, str, str],
) -> None:
    """REC-01: how the new value was checked is a code from a fixed list."""
    _, request, _ = site
    base = ["request", "rectify", ORG, request, "--dataset", "customers", "--column",
            "customer_ref", "--value", "C-1-FIXED"]  # fmt: skip
    code, _, err = dataward(*base, "--accuracy-check", "trust_me")
    assert code == 2
    assert err.strip().startswith("refused [rectification_invalid]: the accuracy check")
    assert len(err.strip().splitlines()) == 1
    code, _, err = dataward(*base, "--accuracy-check", "records_checked")
    assert code == 0, err
    with open_runtime() as runtime, runtime.reader() as uow:
        [rect] = uow.session.scalars(select(Rectification)).all()
        assert (rect.rows, rect.accuracy_check) == (1, "records_checked")


def test_rectify_records_a_correction_not_made(site: tuple[str, str, str]) -> None:
    _, request, _ = site
    code, out, err = dataward(
        "request", "rectify", ORG, request, "--dataset", "visits", "--column", "note",
        "--value", "I was at home", "--not-made", "opinion",
        "--why", "The agent's view", "--statement", "I was at home all day",
    )  # fmt: skip
    assert code == 0, err
    assert out.strip() == f"{request}: visits.note not corrected (opinion)"
