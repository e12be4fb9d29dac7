"""Letters to a requester: one per step, from the register, sent in the step's unit of work.

Rules: SAR-04 (an extension is told with reasons and the new date), SAR-08 (a refusal gives
the reason, the ICO and the courts), SAR-10 (a request about a person who has died is
closed with a letter saying the law does not cover it). Each example register is used as
written; the test clock is set explicitly in each test.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from functools import cache
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import select

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.complaints.route import complaint_route
from dataward.outbox.config import MailSettings
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import open_message
from dataward.publication.registers import store_register
from dataward.register.loader import LoadedRegister, load_register, parse_register
from dataward.requests.errors import LetterNotReady, UnknownLetter
from dataward.requests.letters import (
    KINDS,
    letter_for,
    letter_pdf,
    letters_of,
)
from dataward.requests.models import RightsRequest
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.transitions import Step, take_step
from dataward.uow import UnitOfWork

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
APRIL_3 = datetime(2026, 4, 3, 10, 0, tzinfo=UTC)
CASE = "user:u_case"
MAIL = MailSettings(mail_from="privacy@example.org")
# What a template slip or a silent default would leave in a letter.
ARTEFACTS = re.compile(r"None|null|\{\{|\}\}|\{%|%\}|[Uu]ndefined|[Nn]ot stated")


@cache
def _loaded(name: str) -> LoadedRegister:
    return load_register(EXAMPLES / name)


@cache
def _without_complaints() -> LoadedRegister:
    """JTR's register with its complaints route taken out (the register is silent)."""
    lines = (EXAMPLES / "jtr-collections.yaml").read_text(encoding="utf-8").splitlines()
    start = lines.index("  complaints:")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith("    "))
    loaded = parse_register("\n".join(lines[:start] + lines[end:]), "no-complaints.yaml")
    assert loaded.register.rights.complaints is None
    return loaded


def _store(uow: UnitOfWork, loaded: LoadedRegister) -> str:
    store_register(uow, loaded, actor="test")
    return loaded.register.organisation


def _open(
    uow: UnitOfWork, org: str, rights: tuple[str, ...], *, email: str = "", channel: str = "email"
) -> RightsRequest:
    requester = Requester(name="Alex Example", email=email, address="1 High Street, Anytown")
    new = NewRequest(org, rights, channel, uow.clock.today(), requester)
    return open_request(uow, new, actor=CASE)


def _step(uow: UnitOfWork, row: RightsRequest, name: str, note: str | None = None) -> None:
    details = {"verify_identity": "document", "refuse": "manifestly_excessive"}.get(name)
    take_step(uow, row.organisation, row.ref, name, Step(CASE, uow.clock.today(), note), details)


def _words(html: str) -> str:
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.DOTALL)
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text)


REGISTERS = ("jtr-collections.yaml", "johnnie-johnson-housing.yaml", "r3-repairs.yaml")


@pytest.mark.parametrize("name", REGISTERS)
def test_it_writes_every_letter_for_each_example_with_its_own_complaint_route_and_the_ico(
    uow: UnitOfWork, clock: FixedClock, name: str
) -> None:
    loaded = _loaded(name)
    register = loaded.register
    clock.set(APRIL_3)
    org = _store(uow, loaded)
    not_offered = [i.right.value for i in register.rights.items if i.applies == "not_applicable"]
    row = _open(uow, org, ("access", *not_offered[:1]), email="alex@example.com")
    complaints = register.rights.complaints
    assert complaints is not None
    for kind in KINDS:
        letter = letter_for(uow, row, kind, note="Reasons given by the caseworker.")
        for body in (_words(letter.html), _squash(letter.text)):
            assert register.controller.name in body, kind
            assert row.ref in body, kind
            assert "3 April 2026" in body, kind  # dated today, UK style
            assert complaints.ico_url in body, kind
            # The organisation's own complaint route, in its notice's words.
            assert _squash(complaints.statement or "")[:60] in body, kind
            assert "Information Commissioner's Office" in body, kind
            assert not ARTEFACTS.search(body), (kind, ARTEFACTS.search(body))
            if complaint_route(register).before_ico is not None:
                assert "please contact us first" in body, kind
            else:
                assert "please contact us first" not in body, kind
        # SAR-08: only a refusal sends the person to court.
        assert ("court" in letter.text) == (kind == "refusal"), kind


def test_the_refusal_gives_the_reason_the_ico_and_the_courts(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """RULES: SAR-08."""
    clock.set(APRIL_3)
    row = _open(uow, _store(uow, _loaded("r3-repairs.yaml")), ("access",))
    _step(uow, row, "refuse", "You have asked for the same data four times this month.")
    text = _squash(letter_for(uow, row, "refusal").text)
    assert "Our reason: You have asked for the same data four times this month." in text
    assert "the request is manifestly excessive (Article 12(5) UK GDPR)" in text
    assert "https://www.ico.org.uk" in text
    assert "ask a court to order us to comply" in text


def test_a_register_without_a_complaints_route_still_names_the_ico_and_invents_no_other(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    clock.set(APRIL_3)
    row = _open(uow, _store(uow, _without_complaints()), ("access",))
    _step(uow, row, "refuse", "Excessive.")
    text = _squash(letter_for(uow, row, "refusal").text)
    # The law's route: the ICO's own complaint page, and the courts.
    assert "https://ico.org.uk/make-a-complaint/" in text
    assert "ask a court" in text
    assert "contact us first" not in text
    assert "Our privacy notice says" not in text


def test_the_extension_gives_the_reasons_and_the_new_due_date(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """RULES: SAR-04. Received 3 April 2026 (ENG): due 5 May; three months: 3 July 2026."""
    clock.set(APRIL_3)
    row = _open(uow, _store(uow, _loaded("jtr-collections.yaml")), ("access",))
    preview = _squash(letter_for(uow, row, "extension", note="Draft reasons.").text)
    assert "We will now answer by 3 July 2026 at the latest." in preview  # before the step
    _step(uow, row, "extend", "Your request covers twelve years of records in four systems.")
    assert row.due_on == date(2026, 7, 3)
    text = _squash(letter_for(uow, row, "extension").text)
    assert "Your request covers twelve years of records in four systems." in text
    assert "We will now answer by 3 July 2026 at the latest." in text
    assert "Draft reasons." not in text


def test_a_letter_with_reasons_is_refused_before_the_step_gives_them(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    clock.set(APRIL_3)
    row = _open(uow, _store(uow, _loaded("jtr-collections.yaml")), ("access",))
    for kind in ("extension", "refusal", "fee_needed", "clarification_needed"):
        with pytest.raises(LetterNotReady) as caught:
            letter_for(uow, row, kind)
        assert caught.value.code == "request_letter_not_ready"
    with pytest.raises(UnknownLetter) as unknown:
        letter_for(uow, row, "ransom_note")
    assert unknown.value.code == "request_letter_unknown"


def test_the_response_explains_a_right_the_organisation_does_not_offer(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """JTR does no marketing: an objection to marketing is explained, not dropped."""
    clock.set(APRIL_3)
    org = _store(uow, _loaded("jtr-collections.yaml"))
    row = _open(uow, org, ("access", "objection_direct_marketing"))
    assert row.not_offered == ["objection_direct_marketing"]
    text = _squash(letter_for(uow, row, "response").text)
    assert "To stop all marketing to you (objection to marketing)" in text
    assert "This right does not apply to how we use personal data" in text
    assert "We do not carry out any marketing activities using your personal information." in text
    assert "took effect" not in text  # nothing took effect: it does not apply
    # Access: the package is promised as coming, never invented here.
    assert f"follows separately quoting the reference {row.ref}" in text
    assert "How we provide it: electronically, unless you ask otherwise." in text


def test_the_response_says_when_a_consent_withdrawal_took_effect_and_what_it_stops(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    clock.set(APRIL_3)
    row = _open(uow, _store(uow, _loaded("jtr-collections.yaml")), ("withdraw_consent",))
    clock.set(datetime(2026, 4, 7, 9, 0, tzinfo=UTC))
    _step(uow, row, "respond")
    text = _squash(letter_for(uow, row, "response").text)
    assert "Your withdrawal of consent took effect on 7 April 2026." in text
    assert "Our use of the additional information you provided on our Customer Portal" in text
    assert "It does not stop: Our use of personal information obtained from other sources" in text


def test_the_deceased_letter_says_the_law_does_not_cover_the_persons_data(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    """RULES: SAR-10."""
    clock.set(APRIL_3)
    row = _open(uow, _store(uow, _loaded("johnnie-johnson-housing.yaml")), ("access",))
    _step(uow, row, "deceased", "Death certificate seen.")
    text = _squash(letter_for(uow, row, "deceased").text)
    assert "covers living people only" in text
    assert "so we have closed this request" in text


@pytest.mark.parametrize(
    ("steps", "kind"),
    [
        ((("extend", "Complex: many systems."),), "extension"),
        ((("refuse", "Manifestly excessive."),), "refusal"),
        # A consent withdrawal: no identity check or task to wait for (an objection now waits
        # for its "make the change" task: issue 19).
        ((("respond", "We stopped using your data for debt advice."),), "response"),
        ((("deceased", "Death certificate seen."),), "deceased"),
        ((("withdraw", None),), "withdrawn"),
    ],
)
def test_each_closing_or_extending_step_emails_its_letter_in_the_same_unit_of_work(
    uow: UnitOfWork, clock: FixedClock, steps: tuple[tuple[str, str | None], ...], kind: str
) -> None:
    clock.set(APRIL_3)
    rights = ("withdraw_consent",) if kind == "response" else ("access",)
    row = _open(uow, _store(uow, _loaded("jtr-collections.yaml")), rights, email="a@x.org")
    uow.commit()
    for name, note in steps:
        _step(uow, row, name, note)
    message = uow.session.scalars(
        select(OutboxMessage).where(OutboxMessage.request_id == row.id)
    ).one()
    assert message.kind == f"request_letter_{kind}"
    uow.commit()
    mime = open_message(uow, message, MAIL)
    assert row.ref in mime["Subject"]
    assert mime["To"] == "a@x.org"
    assert letter_for(uow, row, kind).title.upper() in mime.get_body(("plain",)).get_content()
    assert "JTR Collections" in mime.get_body(("html",)).get_content()
    assert [(e.kind, e.delivery) for e in letters_of(uow, row) if e.kind == kind] == [
        (kind, "email")
    ]


def test_a_step_rolled_back_leaves_no_letter_queued(uow: UnitOfWork, clock: FixedClock) -> None:
    clock.set(APRIL_3)
    row = _open(uow, _store(uow, _loaded("jtr-collections.yaml")), ("access",), email="a@x.org")
    uow.commit()
    _step(uow, row, "refuse", "Manifestly excessive.")
    assert uow.session.scalars(select(OutboxMessage)).all()  # queued with the step...
    uow.rollback()
    assert uow.session.scalars(select(OutboxMessage)).all() == []  # ...and gone with it
    assert uow.session.scalars(select(RightsRequest.state)).one() == "received"


def test_with_no_email_no_letter_is_queued_and_the_post_is_recorded(
    uow: UnitOfWork, clock: FixedClock
) -> None:
    clock.set(APRIL_3)
    row = _open(uow, _store(uow, _loaded("jtr-collections.yaml")), ("access",), channel="post")
    _step(uow, row, "refuse", "Manifestly excessive.")
    assert uow.session.scalars(select(OutboxMessage)).all() == []
    posted = uow.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "request.letter_to_post")
    ).one()
    assert posted.entity_id == row.ref
    assert posted.details == {
        "organisation": "jtr_collections",
        "letter": "refusal",
        "why": "no_email",
    }
    assert "Alex" not in str(posted.details)  # refs and codes only
    entries = {e.kind: e.delivery for e in letters_of(uow, row)}
    assert entries["refusal"] == "post"
    assert entries["acknowledgement"] == "preview"
    assert "response" not in entries  # a refused request needs no response letter


def test_a_letter_renders_as_pdf(uow: UnitOfWork, clock: FixedClock) -> None:
    clock.set(APRIL_3)
    row = _open(uow, _store(uow, _loaded("r3-repairs.yaml")), ("access",))
    pdf = letter_pdf(letter_for(uow, row, "acknowledgement"))
    assert pdf.startswith(b"%PDF")
    assert len(pdf) > 1000
