"""The JTR register with a recipient that has an email contact, and the access tests' small
operational database bound read_write: for the disclosure log, NOT-01 and REC-01 tests."""

from __future__ import annotations

from datetime import date

from package_build_support import CASE, EMAIL, JTR, ORG, SOURCES

from dataward.publication.registers import store_register
from dataward.publication.sources import store_sources
from dataward.register.loader import parse_register
from dataward.requests.models import RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.transitions import Step, link_subject, verify_identity
from dataward.sources.loader import parse_sources
from dataward.subjects.models import Subject
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork

# Ascendant Solutions has an email contact in this register; Experian has none.
TOLD_AT = "data.protection@ascendant.example"
WITH_CONTACT, WITHOUT_CONTACT, NEVER_SENT = "ascendant_solutions", "experian", "transunion"
URL_LINE = "    privacy_notice_url: https://www.ascendantsol.co.uk/privacy-policy/\n"


def register_text() -> str:
    text = JTR.read_text(encoding="utf-8")
    assert text.count(URL_LINE) == 1
    return text.replace(URL_LINE, URL_LINE + f"    contacts: [{{kind: email, value: {TOLD_AT}}}]\n")


def sources_text(mode: str) -> str:
    line = "    url_from: AGENCY_DB_URL\n"
    return SOURCES.replace(line, line + f"    mode: {mode}\n")


def stored_jtr_with_contacts(uow: UnitOfWork, *, mode: str = "read_write") -> None:
    store_register(uow, parse_register(register_text(), str(JTR)))
    store_sources(uow, parse_sources(sources_text(mode), "sources.yaml"), organisation=ORG)
    uow.commit()


def subject_of(uow: UnitOfWork, email: str = EMAIL) -> Subject:
    return add_subject(uow, ORG, ["customers"], [("email", email)], actor=CASE)


def rights_request(
    uow: UnitOfWork, subject: Subject, rights: tuple[str, ...] = ("rectification",)
) -> RightsRequest:
    requester = Requester(name="Mary Subject", email=EMAIL, words="My reference is wrong.")
    row = open_request(
        uow, NewRequest(ORG, rights, "email", date(2026, 11, 20), requester), actor=CASE
    )
    link_subject(uow, ORG, row.ref, subject.ref, Step(CASE, date(2026, 11, 20)))
    verify_identity(uow, ORG, row.ref, "document", Step(CASE, date(2026, 11, 21)))
    uow.commit()
    return row
