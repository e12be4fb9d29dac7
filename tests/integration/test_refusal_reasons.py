"""A request, or the one right a split request asks for, refused for a legal reason (issue 19).

RULES: SAR-08 (manifestly unfounded or excessive, with the routes to complain), ERA-02 (the
exceptions to erasure: the response says which), ACC-03 (the DPA 2018 exemptions, one list
with the access packages'). The letter names the reason and the law and quotes only what
the register says. The test clock is set in each test.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from dataward.access.review import DPA_EXEMPTIONS
from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.requests.errors import RequestInvalid
from dataward.requests.letters import letter_for
from dataward.requests.models import RightsRequest
from dataward.requests.refusal_reasons import (
    BY_CODE,
    LEGACY,
    RefusalReasonNotForRight,
    RefusalReasonUnknown,
    reasons_for,
)
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.split import split_request
from dataward.requests.transitions import Step, refuse, take_step
from dataward.uow import UnitOfWork

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
MAY_4 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)
CASE = "user:u_case"
JTR = "jtr_collections"


def _jtr(uow: UnitOfWork) -> None:
    store_register(uow, load_register(EXAMPLES / "jtr-collections.yaml"), actor="test")


def _open(uow: UnitOfWork, rights: tuple[str, ...]) -> RightsRequest:
    requester = Requester(name="Alex Example", address="1 High Street, Anytown")
    new = NewRequest(JTR, rights, "post", uow.clock.today(), requester)
    return open_request(uow, new, actor=CASE)


def _text(uow: UnitOfWork, row: RightsRequest) -> str:
    return re.sub(r"\s+", " ", letter_for(uow, row, "refusal").text)


def _audits(uow: UnitOfWork) -> int:
    return uow.session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def test_it_refuses_erasure_the_law_requires_keeping_and_the_letter_says_so(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """RULES: ERA-02, SAR-08."""
    clock.set(MAY_4)
    _jtr(uow)
    row = _open(uow, ("erasure",))
    note = "We must keep the enforcement file for the court."
    refuse(uow, JTR, row.ref, Step(CASE, clock.today(), note), reason="legal_obligation_to_keep")
    assert (row.state, row.refusal_reason) == ("refused", "legal_obligation_to_keep")
    audited = uow.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "request.refused")
    ).one()
    assert audited.details["reason"] == "legal_obligation_to_keep"
    assert "court" not in str(audited.details)  # the code, never the caseworker's words
    text = _text(uow, row)
    assert "because the law requires us to keep the data (Article 17(3)(b) UK GDPR)" in text
    assert f"Our reason: {note}" in text
    # The register's own words on refusing erasure, quoted; nothing it does not say.
    assert "Our privacy notice says we may refuse to delete personal data:" in text
    assert "if we are required by law to keep it for a longer period of time" in text
    assert not re.search(r"\b(years?|months?)\b after", text)
    assert "manifestly" not in text
    # What the person can do: the ICO and the courts.
    assert "https://ico.org.uk" in text
    assert "ask a court to order us to comply" in text


def test_it_names_a_dpa_exemption_and_quotes_the_registers_record_of_it(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """RULES: ACC-03 (an exemption named), SAR-08."""
    clock.set(MAY_4)
    _jtr(uow)
    row = _open(uow, ("rectification",))
    step = Step(CASE, clock.today(), "The footage is held for research only.")
    take_step(uow, JTR, row.ref, "refuse", step, "dpa_research_statistics")
    text = _text(uow, row)
    assert "an exemption in the Data Protection Act 2018 applies: research and statistics" in text
    assert "(DPA 2018 Sch 2 para 27)" in text
    assert "Where we use BWV footage for research purposes" in text  # the register's words
    assert "may refuse to delete" not in text  # that is erasure's, not rectification's


def test_a_bad_or_missing_reason_is_refused_and_changes_nothing(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    clock.set(MAY_4)
    _jtr(uow)
    row = _open(uow, ("access",))
    uow.commit()
    before = _audits(uow)
    step = Step(CASE, clock.today(), "Because.")
    for reason, error, code in (
        ("because", RefusalReasonUnknown, "refusal_reason_unknown"),
        ("", RequestInvalid, "request_invalid"),
        (None, RequestInvalid, "request_invalid"),
        # Art 17(3) excepts erasure only: it cannot refuse access.
        ("legal_claims", RefusalReasonNotForRight, "refusal_reason_not_for_right"),
    ):
        with pytest.raises(error) as raised:
            take_step(uow, JTR, row.ref, "refuse", step, reason)
        uow.rollback()
        assert raised.value.code == code
        uow.session.expire_all()
        assert (row.state, row.refusal_reason, _audits(uow)) == ("received", None, before)
    with pytest.raises(RefusalReasonUnknown) as unknown:
        take_step(uow, JTR, row.ref, "refuse", step, "because")
    assert "legal_obligation_to_keep" in unknown.value.message  # it lists the codes


def test_part_of_a_request_is_refused_after_splitting_and_the_rest_goes_on(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """RULES: ERA-02 on the erasure part; the access part is answered on its own."""
    clock.set(MAY_4)
    _jtr(uow)
    row = _open(uow, ("access", "erasure"))
    step = Step(CASE, clock.today(), "Litigation with the client is pending.")
    with pytest.raises(RefusalReasonNotForRight, match="split the request"):
        refuse(uow, JTR, row.ref, step, reason="legal_claims")
    part = split_request(uow, JTR, row.ref, ["erasure"], Step(CASE, clock.today()))
    refuse(uow, JTR, part.ref, step, reason="legal_claims")
    assert (part.state, part.refusal_reason, part.rights) == (
        "refused",
        "legal_claims",
        ["erasure"],
    )
    assert (row.state, row.rights, row.refusal_reason) == ("received", ["access"], None)
    assert "to establish, exercise or defend legal claims (Article 17(3)(e)" in _text(uow, part)


def test_one_list_serves_refusals_and_access_exemptions() -> None:
    """RULES: ACC-03, ERA-02: every DPA exemption an access package may withhold under is a
    reason a request may be refused for, and the console offers erasure's only for erasure."""
    exemptions = {r.exemption for r in BY_CODE.values() if r.exemption}
    assert {name for name, _ in DPA_EXEMPTIONS} == exemptions
    assert ("Research and statistics", "DPA 2018 Sch 2 para 27") in DPA_EXEMPTIONS
    for_access = {r.code for r in reasons_for(["access"])}
    for_erasure = {r.code for r in reasons_for(["erasure"])}
    assert "legal_obligation_to_keep" in for_erasure - for_access
    assert {"manifestly_unfounded", "dpa_research_statistics"} <= for_access & for_erasure
    assert LEGACY not in for_access | for_erasure
