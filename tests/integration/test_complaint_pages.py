"""The console's complaints: the queue, entering one, a complaint's page, its steps and the
legal holds placed from it (issue 17).

Rules: CMP-01 (any channel; acknowledged within 30 days of the day it arrived; the outcome
by the day the register promises, if it promises one), RET-02 / ERA-02 (a hold keeps the
related records from deletion). The test clock is 25 November 2026; acme's register
promises no outcome time, JTR's (loaded here) promises 56 days and holds for complaints.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_support import ORG, add_person, csrf_from, fresh_console_app, signed_in

from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.complaints.models import Complaint, ComplaintEvent
from dataward.complaints.queue import ComplaintFilter, complaint_queue
from dataward.complaints.service import Complainant, NewComplaint, open_complaint
from dataward.complaints.steps import Step, acknowledge, link_request, link_subject
from dataward.holds.models import LegalHold
from dataward.holds.service import held_datasets, register_of
from dataward.outbox.config import get_mail_settings
from dataward.outbox.models import OutboxMessage
from dataward.outbox.service import open_message
from dataward.publication.registers import store_register
from dataward.register.loader import parse_register
from dataward.requests.service import NewRequest, open_request
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork

JTR = "jtr_collections"
JTR_FILE = Path(__file__).resolve().parents[2] / "examples" / "jtr-collections.yaml"
ROUTE = "  complaints:\n    facts: [rights.g19]\n"
ANN = Complainant(name="Ann Smith", email="ann.smith@example.com", words="You lost my file.")
STAFF = "user:u_test"

FORM = {
    "org": ORG,
    "channel": "post",
    "received_on": "2026-11-02",
    "complainant_kind": "self",
    "name": "Bea Letter",
    "address": "2 Post Road, Leeds LS1 1AA",
    "reply_by": "post",
    "words": "Your officer's camera was on in my home.",
    "theme": "recording",
}


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    for web in fresh_console_app(database_url, clock, vault):
        source = JTR_FILE.read_text(encoding="utf-8")
        assert ROUTE in source
        source = source.replace(ROUTE, ROUTE + "    outcome_within_days: 56\n")
        with _uow(web) as uow:
            store_register(uow, parse_register(source, str(JTR_FILE)), actor="test")
            uow.commit()
        yield web


def _uow(app: FastAPI) -> UnitOfWork:
    state = app.state
    return UnitOfWork(state.session_factory, state.clock, state.vault)


def _complaint(
    app: FastAPI,
    received: date,
    *,
    org: str = ORG,
    theme: str | None = None,
    acknowledged: date | None = None,
) -> str:
    with _uow(app) as uow:
        new = NewComplaint(org, "email", received, ANN, theme=theme)
        row = open_complaint(uow, new, actor=STAFF)
        if acknowledged is not None:
            acknowledge(uow, org, row.ref, Step(STAFF, acknowledged))
        uow.commit()
        return row.ref


def _stored(app: FastAPI) -> tuple[int, int, int]:
    """Complaints, their events and holds: what refused input must leave alone."""
    with app.state.session_factory() as session:
        return (
            session.scalar(select(func.count(Complaint.id))) or 0,
            session.scalar(select(func.count(ComplaintEvent.id))) or 0,
            session.scalar(select(func.count(LegalHold.id))) or 0,
        )


def _enter(client: TestClient, **changes: str) -> object:
    csrf = csrf_from(client.get("/console/complaints/new").text)
    return client.post("/console/complaints/new", data={**FORM, **changes, "csrf_token": csrf})


def _rows(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    table = soup.find("table", class_="complaint-queue")
    if table is None:
        return []
    return [row.th.a.get_text() for row in table.tbody.find_all("tr")]


def _count(html: str, name: str) -> int:
    soup = BeautifulSoup(html, "html.parser")
    return int(soup.find("span", attrs={"data-urgency": name}).get_text())


def test_cmp01_queue_counts_by_urgency_and_puts_the_acknowledgement_due_first(
    app: FastAPI,
) -> None:
    """CMP-01: counts by urgency; the acknowledgement due first; filters in the address."""
    late = _complaint(app, date(2026, 10, 1))  # acknowledge by 31 October: overdue
    later = _complaint(app, date(2026, 10, 20), theme="security")  # by 19 November: overdue
    fresh = _complaint(app, date(2026, 11, 20), theme="security")  # by 20 December
    # JTR promises the outcome in 56 days: acknowledged in time, its outcome is late.
    jtr = _complaint(app, date(2026, 9, 1), org=JTR, acknowledged=date(2026, 9, 10))
    client = signed_in(app, "case@acme.example", "caseworker")
    page = client.get(f"/console/complaints?org={ORG}")
    assert page.status_code == 200
    assert _rows(page.text) == [late, later, fresh]
    assert [_count(page.text, n) for n in ("acknowledgement_overdue", "outcome_overdue")] == [2, 0]
    assert _count(page.text, "on_time") == 1
    assert "25 days late" in page.text  # 31 October to 25 November
    assert "25 days left" in page.text  # 20 December
    everyone = client.get("/console/complaints")
    assert _rows(everyone.text) == [jtr, late, later, fresh]  # acknowledge by 1 October first
    assert _count(everyone.text, "outcome_overdue") == 1
    assert _rows(client.get("/console/complaints?due=outcome_overdue").text) == [jtr]
    assert _rows(client.get("/console/complaints?due=on_time").text) == [fresh]
    assert _rows(client.get("/console/complaints?theme=security").text) == [later, fresh]
    assert _rows(client.get("/console/complaints?state=acknowledged").text) == [jtr]
    assert _rows(client.get("/console/complaints?view=closed").text) == []


def test_the_queue_pages_in_sql_and_links_each_complaints_subject_and_requests(
    app: FastAPI,
) -> None:
    refs = [_complaint(app, date(2026, 11, day)) for day in (3, 1, 2)]
    subject_ref = add_person(app)
    with _uow(app) as uow:
        new = NewRequest(ORG, ["access"], "post", date(2026, 10, 1))
        request_ref = open_request(uow, new, actor=STAFF).ref
        link_subject(uow, ORG, refs[1], subject_ref, actor=STAFF)
        link_request(uow, ORG, refs[1], request_ref, actor=STAFF)
        uow.commit()
        first = complaint_queue(uow, ComplaintFilter(ORG), offset=0, limit=2)
        second = complaint_queue(uow, ComplaintFilter(ORG), offset=2, limit=2)
        assert [r.ref for r in first.rows] == [refs[1], refs[2]]  # received 1, 2 November
        assert [r.ref for r in second.rows] == [refs[0]]
        assert (first.total, second.total) == (3, 3)
        assert first.subject_refs == {first.rows[0].id: subject_ref}
    client = signed_in(app, "case@acme.example", "caseworker")
    soup = BeautifulSoup(client.get("/console/complaints").text, "html.parser")
    linked = (
        soup.find("table", class_="complaint-queue").tbody.find("tr").find("td", class_="small")
    )
    assert linked.find("a", href=f"/console/subjects/{ORG}/{subject_ref}") is not None
    assert linked.find("a", href=f"/console/requests/{ORG}/{request_ref}") is not None


def test_cmp01_the_outcome_target_shows_only_where_the_register_states_one(
    app: FastAPI,
) -> None:
    """CMP-01: acme's register promises no time for the outcome: none is shown or invented."""
    silent = _complaint(app, date(2026, 11, 2))
    promised = _complaint(app, date(2026, 11, 2), org=JTR)
    client = signed_in(app, "case@acme.example", "caseworker")
    soup = BeautifulSoup(client.get("/console/complaints").text, "html.parser")
    cells = {
        row.th.a.get_text(): row.find("td", class_="outcome-target").get_text().strip()
        for row in soup.find("table", class_="complaint-queue").tbody.find_all("tr")
    }
    assert cells == {silent: "", promised: "28 December 2026"}  # 2 November + 56 days
    page = client.get(f"/console/complaints/{ORG}/{silent}").text
    assert "Outcome target" not in page
    assert "28 December 2026" in client.get(f"/console/complaints/{JTR}/{promised}").text


def test_cmp01_a_postal_complaint_is_entered_on_the_day_it_arrived(app: FastAPI) -> None:
    """CMP-01: by post, received three weeks before it is entered; linked to its request."""
    with _uow(app) as uow:
        asked = open_request(
            uow, NewRequest(ORG, ["access"], "post", date(2026, 10, 1)), actor=STAFF
        )
        uow.commit()
        request_ref = asked.ref
    client = signed_in(app, "case@acme.example", "caseworker")
    answer = _enter(client, request_refs=f"{request_ref}, {request_ref}")
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith(f"/console/complaints/{ORG}/c_")
    page = client.get(location)
    soup = BeautifulSoup(page.text, "html.parser")
    clock = soup.find("h2", id="clock").find_next_sibling("dl").get_text(" ")
    assert "2 November 2026 by post" in clock
    assert "2 December 2026" in clock  # acknowledge by: 30 days from receipt
    assert "Bea Letter" in page.text  # unsealed for staff
    assert "post: the complainant asked for it" in page.text
    assert f"/console/requests/{ORG}/{request_ref}" in page.text
    assert f"Complaint {location.rsplit('/', 1)[1]} entered." in page.text  # the flash
    ref = location.rsplit("/", 1)[1]
    with app.state.session_factory() as session:
        row = session.scalars(select(Complaint).where(Complaint.ref == ref)).one()
        assert (row.channel, row.received_on, row.theme) == ("post", date(2026, 11, 2), "recording")
        assert row.request_refs == [request_ref]
        details = session.scalars(select(AuditEvent.details).where(AuditEvent.entity_id == ref))
        assert "Bea" not in str(list(details))


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"received_on": "2026-11-26"}, "after today"),
        ({"words": ""}, "say what the complaint is about"),
        ({"channel": "portal"}, "channel must be one of"),
        ({"complainant_kind": "solicitor"}, "whom they act for"),
        ({"subject_ref": "s_0000000000000000"}, "s_0000000000000000"),
        ({"request_refs": "q_nothere"}, "no request"),
    ],
)
def test_cmp01_bad_input_shows_the_form_again_and_stores_nothing(
    app: FastAPI, changes: dict[str, str], said: str
) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    before = _stored(app)
    answer = _enter(client, **changes)
    assert answer.status_code == 422
    assert said in answer.text.lower()
    soup = BeautifulSoup(answer.text, "html.parser")
    assert soup.find("input", id="c-name")["value"] == "Bea Letter"  # what was typed stays
    assert soup.find("select", id="c-theme").find("option", selected=True)["value"] == "recording"
    assert _stored(app) == before


def _post(client: TestClient, path: str, **fields: str) -> object:
    page = client.get(path.rsplit("/", 1)[0])
    return client.post(path, data={**fields, "csrf_token": csrf_from(page.text)})


def test_cmp01_each_step_from_the_complaint_page(app: FastAPI) -> None:
    """Acknowledge, investigate, a note, the theme, a request and the subject, in turn."""
    ref = _complaint(app, date(2026, 10, 1))
    subject_ref = add_person(app)
    with _uow(app) as uow:
        request_ref = open_request(
            uow, NewRequest(ORG, ["access"], "post", date(2026, 10, 1)), actor=STAFF
        ).ref
        uow.commit()
    client = signed_in(app, "case@acme.example", "caseworker")
    base = f"/console/complaints/{ORG}/{ref}"
    # CMP-01: the investigation waits for the acknowledgement; refused, nothing changes.
    before = _stored(app)
    assert _post(client, base + "/investigate", on="2026-11-25").status_code == 303
    assert "acknowledge the complaint before investigating it" in client.get(base).text.lower()
    assert _stored(app) == before
    assert _post(client, base + "/acknowledge", on="2026-11-03").status_code == 303
    page = client.get(base).text
    assert "acknowledged (after the 30 days)" in page  # 31 October had passed
    assert "3 November 2026" in page
    assert _post(client, base + "/investigate", on="2026-11-24").status_code == 303
    note = "Spoke to the officer: the camera was left running."
    assert _post(client, base + "/notes", note=note, on="2026-11-25").status_code == 303
    assert _post(client, base + "/theme", theme="recording").status_code == 303
    assert _post(client, base + "/requests", request_ref=request_ref).status_code == 303
    assert _post(client, base + "/subject", subject_ref=subject_ref).status_code == 303
    page = client.get(base)
    soup = BeautifulSoup(page.text, "html.parser")
    history = soup.find("table", class_="complaint-history").get_text(" ")
    for action in (
        "complaint.acknowledged",
        "complaint.investigating",
        "complaint.note_added",
        "complaint.themed",
        "complaint.request_linked",
        "complaint.subject_linked",
    ):
        assert action in history
    assert note in history  # unsealed for staff
    assert "09:30 GMT" in history  # entered at 09:30 UTC, shown in UK time
    links = soup.find("h2", id="links").find_next_sibling("dl")
    assert links.find("a", href=f"/console/subjects/{ORG}/{subject_ref}") is not None
    assert links.find("a", href=f"/console/requests/{ORG}/{request_ref}") is not None
    with app.state.session_factory() as session:
        row = session.scalars(select(Complaint).where(Complaint.ref == ref)).one()
        assert (row.state, row.theme, row.acknowledged_on) == (
            "investigating",
            "recording",
            date(2026, 11, 3),
        )
        notes = session.scalars(select(AuditEvent.details).where(AuditEvent.entity_id == ref))
        assert "camera" not in str(list(notes))  # the chain gets no words


def test_cmp01_closing_asks_to_confirm_then_records_the_outcome(app: FastAPI) -> None:
    ref = _complaint(app, date(2026, 11, 2))
    client = signed_in(app, "case@acme.example", "caseworker")
    base = f"/console/complaints/{ORG}/{ref}"
    fields = {
        "outcome": "partly_upheld",
        "note": "We apologise; training given.",
        "on": "2026-11-25",
    }
    # No explanation: refused before any confirmation, nothing changed.
    missing = _post(client, base + "/close", **{**fields, "note": ""})
    assert missing.status_code == 303
    assert "note is required" in client.get(base).text.lower()
    asked = _post(client, base + "/close", **fields)
    assert asked.status_code == 200
    soup = BeautifulSoup(asked.text, "html.parser")
    assert "partly upheld" in soup.find("section").get_text()
    assert soup.find("input", attrs={"name": "confirm"})["value"] == "yes"
    with app.state.session_factory() as session:
        assert session.scalars(select(Complaint.state).where(Complaint.ref == ref)).one() == (
            "received"
        )
    done = client.post(
        base + "/close", data={**fields, "confirm": "yes", "csrf_token": csrf_from(asked.text)}
    )
    assert done.status_code == 303
    page = client.get(base).text
    assert "Closed on" in page
    assert "partly upheld" in page
    assert "We apologise; training given." in page  # the explanation, unsealed in the history
    assert "Close with an outcome" not in page  # no step is offered on a closed complaint
    assert _rows(client.get("/console/complaints?view=closed").text) == [ref]
    assert _rows(client.get("/console/complaints").text) == []


def test_ret02_a_hold_placed_from_the_complaint_keeps_the_registers_datasets(
    app: FastAPI,
) -> None:
    """RET-02: JTR's complaint hold, with the datasets its rules name ticked by default."""
    ref = _complaint(app, date(2026, 11, 20), org=JTR, theme="recording")
    with _uow(app) as uow:
        defaults = held_datasets(register_of(uow, JTR), "complaint_on_case")
    assert defaults  # the register's rules name some datasets for this hold
    client = signed_in(app, "dpo@jtr.example", "dpo")
    base = f"/console/complaints/{JTR}/{ref}"
    page = client.get(base)
    soup = BeautifulSoup(page.text, "html.parser")
    form = soup.find("input", attrs={"name": "hold_id", "value": "complaint_on_case"}).parent
    ticked = [
        i["value"]
        for i in form.find_all("input", attrs={"name": "datasets"})
        if i.has_attr("checked")
    ]
    assert ticked == defaults
    assert form.find("input", attrs={"name": "owner"})["value"] == "dpo@jtr.example"
    # Nothing but the register's complaint or investigation holds is offered.
    offered = {i["value"] for i in soup.find_all("input", attrs={"name": "hold_id"})}
    assert offered == {"complaint_on_case", "investigation_on_case"}
    fields = {
        "hold_id": "complaint_on_case",
        "scope": "case",
        "reference": "CASE-4411",
        "datasets": ticked,
        "owner": "dpo@jtr.example",
        "review_on": "2027-01-25",
        "csrf_token": csrf_from(page.text),
    }
    # A review date in the past is refused with the service's words; nothing is held.
    refused = client.post(base + "/holds", data={**fields, "review_on": "2026-11-01"})
    assert refused.status_code == 303
    assert "review date must be after today" in client.get(base).text.lower()
    assert _stored(app)[2] == 0
    assert client.post(base + "/holds", data=fields).status_code == 303
    with app.state.session_factory() as session:
        hold = session.scalars(select(LegalHold)).one()
        complaint_id = session.scalars(select(Complaint.id).where(Complaint.ref == ref)).one()
    assert (hold.complaint_id, hold.reason, hold.case_ref) == (
        complaint_id,
        "complaint",
        "CASE-4411",
    )
    assert hold.datasets == defaults
    listed = BeautifulSoup(client.get(base).text, "html.parser").find(
        "table", class_="complaint-holds"
    )
    text = listed.get_text(" ")
    assert hold.ref in text
    assert "CASE-4411" in text
    assert "25 January 2027" in text
    assert "open since 25 November 2026" in text


def test_ret02_a_hold_names_one_of_the_registers_complaint_holds(app: FastAPI) -> None:
    """A hold the register keeps for another reason (debt, say) is not placed from here."""
    ref = _complaint(app, date(2026, 11, 20), org=JTR)
    client = signed_in(app, "dpo@jtr.example", "dpo")
    base = f"/console/complaints/{JTR}/{ref}"
    fields = {"hold_id": "live_case", "scope": "case", "reference": "C-1", "owner": "dpo"}
    assert _post(client, base + "/holds", **fields, review_on="2027-01-25").status_code == 303
    assert "complaint or investigation" in client.get(base).text.lower()
    assert _stored(app)[2] == 0


def test_roles_without_complaints_permissions_are_refused(app: FastAPI) -> None:
    ref = _complaint(app, date(2026, 11, 2))
    auditor = signed_in(app, "audit@acme.example", "auditor")
    for path in (
        "/console/complaints",
        "/console/complaints/new",
        f"/console/complaints/{ORG}/{ref}",
    ):
        assert auditor.get(path).status_code == 403
    assert "/console/complaints" not in auditor.get("/console").text  # no nav link either
    staff = signed_in(app, "case@acme.example", "caseworker")
    assert 'href="/console/complaints"' in staff.get("/console").text


def test_a_complaint_is_found_only_under_its_own_organisation(app: FastAPI) -> None:
    ref = _complaint(app, date(2026, 11, 2))
    client = signed_in(app, "case@acme.example", "caseworker")
    assert client.get(f"/console/complaints/{ORG}/{ref}").status_code == 200
    assert client.get(f"/console/complaints/{JTR}/{ref}").status_code == 404
    # A step under the wrong organisation is refused and changes nothing.
    page = client.get(f"/console/complaints/{ORG}/{ref}")
    wrong = client.post(
        f"/console/complaints/{JTR}/{ref}/acknowledge",
        data={"on": "2026-11-25", "csrf_token": csrf_from(page.text)},
    )
    assert wrong.status_code == 303
    with app.state.session_factory() as session:
        row = session.scalars(select(Complaint).where(Complaint.ref == ref)).one()
        assert (row.state, row.acknowledged_on) == ("received", None)


def _sent_texts(app: FastAPI, ref: str) -> dict[str, str]:
    """The complaint's outbox messages by kind, opened: what the complainant would read."""
    with _uow(app) as uow:
        row = uow.session.scalars(select(Complaint).where(Complaint.ref == ref)).one()
        found = uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.complaint_id == row.id)
        ).all()
        mail = get_mail_settings()
        return {
            m.kind: str(open_message(uow, m, mail).get_body(("plain",)).get_content())
            for m in found
        }


def test_cmp01_the_consoles_acknowledgement_and_outcome_emails_carry_the_status_link(
    app: FastAPI,
) -> None:
    """A complaint entered from an email is acknowledged and closed in the console: each
    email names the complaint and carries the complainant's own signed status link, which
    opens their status page (not the console)."""
    ref = _complaint(app, date(2026, 11, 2))
    client = signed_in(app, "case@acme.example", "caseworker")
    base = f"/console/complaints/{ORG}/{ref}"
    assert _post(client, base + "/acknowledge", on="2026-11-03").status_code == 303
    fields = {"outcome": "upheld", "note": "We were wrong; sorry.", "on": "2026-11-25"}
    asked = _post(client, base + "/close", **fields)
    assert "The legal holds it placed close with it" in asked.text
    done = client.post(
        base + "/close", data={**fields, "confirm": "yes", "csrf_token": csrf_from(asked.text)}
    )
    assert done.status_code == 303
    texts = _sent_texts(app, ref)
    assert set(texts) == {"complaint_acknowledged", "complaint_outcome"}
    for text in texts.values():
        assert ref in text
        [link] = [w for w in text.split() if "/complaints/status/" in w]
        status = TestClient(app).get("/" + link.split("://", 1)[1].split("/", 1)[1])
        assert status.status_code == 200
        assert ref in status.text
    assert "We were wrong; sorry." in texts["complaint_outcome"]
    assert "ico.org.uk" in texts["complaint_outcome"]
    letters = BeautifulSoup(client.get(base).text, "html.parser").find(
        "section", attrs={"aria-labelledby": "letters"}
    )
    words = " ".join(letters.get_text().split())
    assert words.count("emailed") == 2
    assert "to print and post" not in words
    assert letters.find("a", href=f"{base}/letters/outcome.pdf") is not None


def test_cmp01_a_complainant_with_no_email_has_letters_to_print_and_post(app: FastAPI) -> None:
    client = signed_in(app, "case@acme.example", "caseworker")
    assert _enter(client).status_code == 303  # Bea Letter: an address, reply by post
    with _uow(app) as uow:
        ref = uow.session.scalars(select(Complaint.ref)).one()
    base = f"/console/complaints/{ORG}/{ref}"
    assert _post(client, base + "/acknowledge", on="2026-11-03").status_code == 303
    letters = BeautifulSoup(client.get(base).text, "html.parser").find(
        "section", attrs={"aria-labelledby": "letters"}
    )
    assert "to print and post" in " ".join(letters.get_text().split())
    assert _sent_texts(app, ref) == {}
    assert client.get(base + "/letters/acknowledgement").status_code == 200


def test_ret02_a_hold_placed_by_a_complaint_is_listed_on_the_subjects_page(
    app: FastAPI,
) -> None:
    """Issue 17: a complaint about a visit keeps the case's body-worn video; the hold is on
    the page of the subject the complaint is linked to, naming the complaint."""
    ref = _complaint(app, date(2026, 11, 20), org=JTR, theme="recording")
    with _uow(app) as uow:
        subject_ref = add_subject(
            uow, JTR, ["customers"], [("email", "ann.smith@example.com")], actor=STAFF
        ).ref
        link_subject(uow, JTR, ref, subject_ref, actor=STAFF)
        uow.commit()
    client = signed_in(app, "dpo@jtr.example", "dpo")
    base = f"/console/complaints/{JTR}/{ref}"
    fields = {
        "hold_id": "complaint_on_case",
        "scope": "case",
        "reference": "CASE-77",
        "datasets": ["body_worn_video"],
        "owner": "dpo@jtr.example",
        "review_on": "2027-01-25",
        "csrf_token": csrf_from(client.get(base).text),
    }
    assert client.post(base + "/holds", data=fields).status_code == 303
    page = BeautifulSoup(client.get(f"/console/subjects/{JTR}/{subject_ref}").text, "html.parser")
    table = page.find("table", class_="subject-holds")
    assert table is not None
    words = " ".join(table.get_text(" ").split())
    assert f"complaint {ref}" in words
    assert "complaint" in words
    with app.state.session_factory() as session:
        hold = session.scalars(select(LegalHold)).one()
    assert (hold.scope, hold.case_ref) == ("case", "CASE-77")  # it still holds the case
    assert hold.ref in words
