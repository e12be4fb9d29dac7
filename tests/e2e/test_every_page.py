"""Every console and portal page, at 1280 and 375 px: looked at, checked by axe (issue 15).

Each page is opened as its user would (the public without signing in, staff as the first
administrator) on the real `dataward serve` with the example registers. For each page and
width the test keeps a full-page screenshot in pytest's tmp_path (an artefact to look at,
not committed), runs axe-core and fails on any serious or critical violation, and fails if
the page is wider than a 375 px phone (content hidden off to the side).

The rights request pages (issue 16) are checked on one request with something in every
panel of its console page: a solicitor acting with an accepted authority, its tasks, an ID
document waiting for its check, a reminder sent, and the extension letter emailed; with its
letter page, and the requester's thank-you, status, verify and status letter pages; and one
request not yet linked to its subject, whose page lists the candidates.

The complaint pages (issue 17) are checked on the queue, the entry form and one complaint
with a history (acknowledged, investigated, a note) and a legal hold placed from it; and the
portal's side: the form, the thank-you and status pages of an open complaint and of one
closed with its outcome, the outcome letter by status link, and the staff's printable letters.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from server_db import MAIL, server_uow
from test_browser import EXAMPLES, Server, admin_page, running_server, sign_in

from dataward.complaints.service import Complainant, NewComplaint, open_complaint
from dataward.complaints.status_links import status_link_token as complaint_link
from dataward.complaints.steps import Step as ComplaintStep
from dataward.complaints.steps import acknowledge, add_note, close, investigate
from dataward.holds.service import NewHold, close_hold, place_hold
from dataward.requests.authority import AuthorityCheck, record_authority
from dataward.requests.reminders import send_reminders
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.status_links import status_link_token
from dataward.requests.tasks import start_task, tasks_of
from dataward.requests.transitions import Step, assign, extend, link_subject
from dataward.requests.verification_documents import upload_document

pytestmark = pytest.mark.browser

ORG = "jtr_collections"
PUBLIC_PAGES = [
    "/",
    f"/orgs/{ORG}/notice",
    f"/orgs/{ORG}/notice/versions",
    f"/orgs/{ORG}/cookies",
    f"/orgs/{ORG}/request",
    f"/orgs/{ORG}/complain",
    "/login",
]
CONSOLE_PAGES = [
    "/console",
    "/console/subjects",
    "/console/subjects/{org}/{ref}",
    "/console/registers",
    f"/orgs/{ORG}",
    f"/orgs/{ORG}/lint",
    f"/orgs/{ORG}/coverage",
    f"/orgs/{ORG}/notice/diff?from=1&to=1",
    "/console/users",
    "/console/tokens",
    "/console/outbox",
    "/console/audit",
    "/console/requests/dashboard",
    "/console/complaints/figures",
    f"/console/complaints/figures?org={ORG}&from=2026-01&to=2026-12",
    # retention (issue 20): the plan of the demo agency today and a rule's register view
    f"/console/retention?org={ORG}",
    f"/console/retention/rules/body_worn_video?org={ORG}",
    f"/console/retention/rules/vulnerability_evidence?org={ORG}",
    # the runs' evidence before any run (RET-03); after one: test_the_retention_evidence_pages
    f"/console/retention/runs?org={ORG}",
]
WIDTHS = (1280, 375)
# The request page's parts, top down, each with its own heading and anchor.
PANELS = ("clock", "who", "authority", "verification", "tasks", "letters", "messages", "reminders")
axe = Axe()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    saved = os.environ.get("DATAWARD_DEMO_SUBJECTS")
    os.environ["DATAWARD_DEMO_SUBJECTS"] = "20"  # a few demo people are enough to look at
    try:
        with running_server(EXAMPLES, tmp_path_factory.mktemp("every-page")) as started:
            yield started
    finally:
        if saved is None:
            os.environ.pop("DATAWARD_DEMO_SUBJECTS", None)
        else:
            os.environ["DATAWARD_DEMO_SUBJECTS"] = saved


@pytest.fixture(scope="module")
def subject_ref(server: Server) -> str:
    return server.cli(
        "subject", "add", "--org", ORG, "-g", "customers", "-i", "email=every.page@example.com"
    ).strip()


@dataclass(frozen=True)
class RequestPages:
    console: list[str]
    public: list[str]


@pytest.fixture(scope="module")
def request_pages(server: Server, subject_ref: str) -> RequestPages:
    """A request with every panel of its page filled, made as the caseworkers would."""
    staff = "user:admin"
    firm = Requester(
        name="Sam Law",
        email="sam@firm.example",
        phone="020 7946 0000",
        address="1 Law Street, London EC1A 1AA",
        words="Everything you hold about my client, and please delete the old accounts.",
        on_behalf_of="Every Page",
        authority="letter",
    )
    with server_uow(server) as uow:
        today = uow.clock.today()
        received = today - timedelta(days=25)  # due within the week: a reminder is earned
        new = NewRequest(ORG, ("access", "erasure"), "email", received, firm, "solicitor")
        row = open_request(uow, new, actor=staff)
        ref = row.ref
        step = Step(staff, received)
        link_subject(uow, ORG, ref, subject_ref, step)
        check = AuthorityCheck(
            "accepted", "signed_authority", "Form of authority signed by the client"
        )
        record_authority(uow, ORG, ref, check, step)
        assign(uow, ORG, ref, staff, Step(staff, today))
        start_task(uow, ORG, ref, tasks_of(uow, row)[0].id, actor=staff)
        upload_document(uow, ORG, ref, "passport", b"%PDF-1.7\nA passport\n%%EOF", actor=staff)
        send_reminders(uow, today=today, days=(1, 7), mail=MAIL)
        extend(uow, ORG, ref, Step(staff, today, "Two rights over many systems"))
        token, _ = status_link_token(server.env["DATAWARD_SECRET_KEY"].encode(), uow.clock, row)
        # A second, not yet linked: its page shows the subject store's candidates instead.
        person = Requester(name="Every Page", email="every.page@example.com")
        unlinked = open_request(
            uow, NewRequest(ORG, ("access",), "email", today, person), actor=staff
        ).ref
        uow.commit()
    return RequestPages(
        console=[
            f"/console/requests/{ORG}/{ref}",
            f"/console/requests/{ORG}/{ref}/letters/extension",
            f"/console/requests/{ORG}/{unlinked}",
            "/console/requests",
        ],
        public=[
            f"/requests/sent/{token}",
            f"/requests/status/{token}",
            f"/requests/status/{token}/verify",
            f"/requests/status/{token}/letters/extension",
        ],
    )


def _name(path: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"


def _check(page: Page, url: str, shots: Path) -> list[str]:
    """Problems of one page at each width: serious axe findings and sideways overflow."""
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        answer = page.goto(url)
        assert answer is not None
        assert answer.status < 400, f"{url}: {answer.status}"
        expect(page.locator("h1").first).to_be_visible()
        page.screenshot(path=shots / f"{_name(url)}-{width}.png", full_page=True)
        for violation in axe.run(page).response["violations"]:
            if violation["impact"] in ("serious", "critical"):
                where = [n["target"] for n in violation["nodes"]][:3]
                problems.append(f"{url} at {width}px: {violation['id']} {where}")
        if width == 375:
            wide = page.evaluate("document.documentElement.scrollWidth")
            if wide > width + 1:
                problems.append(f"{url} at 375px is {wide}px wide")
    return problems


def test_every_public_page(browser: Browser, server: Server, tmp_path: Path) -> None:
    context = browser.new_context()
    page = context.new_page()
    problems = [p for path in PUBLIC_PAGES for p in _check(page, server.base + path, tmp_path)]
    context.close()
    assert not problems, "\n".join(problems)


def test_every_console_page(
    browser: Browser, server: Server, subject_ref: str, tmp_path: Path
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, server, "admin", server.admin_password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    problems = []
    for path in CONSOLE_PAGES:
        url = server.base + path.format(org=ORG, ref=subject_ref)
        problems += _check(page, url, tmp_path)
    context.close()
    assert not problems, "\n".join(problems)


def _every_panel_has_something(page: Page, url: str) -> None:
    """The request page was looked at full: no panel of it stood empty."""
    page.goto(url)
    for anchor in PANELS:
        expect(page.locator(f"h2#{anchor}")).to_be_visible()
        expect(page.locator(f"nav.on-this-page a[href='#{anchor}']")).to_have_count(1)
    expect(page.locator("#verification")).to_be_visible()
    expect(page.get_by_role("heading", name="Documents waiting for their check")).to_be_visible()
    expect(page.locator("#authority + dl")).to_contain_text("accepted")
    expect(page.locator(".request-tasks tbody tr")).not_to_have_count(0)
    expect(page.locator(".request-letters")).to_contain_text("by email (sent)")
    expect(page.locator("#messages + table")).to_contain_text("request_letter_extension")
    expect(page.locator("#reminders + table")).to_contain_text("due_in_7_days")
    # What is left to do sits with the clock, above the panels it links to.
    to_do = page.locator("#clock ~ .to-do")
    expect(to_do).to_contain_text("1 ID document waiting for its check")
    expect(to_do).to_contain_text("Identity not verified")


def test_every_request_page(
    browser: Browser, server: Server, request_pages: RequestPages, tmp_path: Path
) -> None:
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    page = staff.new_page()
    sign_in(page, server, "admin", server.admin_password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    problems = [
        p for path in request_pages.console for p in _check(page, server.base + path, tmp_path)
    ]
    _every_panel_has_something(page, server.base + request_pages.console[0])
    page.goto(server.base + request_pages.console[2])
    expect(page.locator("table.candidates tbody tr")).to_have_count(1)  # the one with that email
    expect(page.locator("ul.to-do")).to_contain_text("Find the subject")
    staff.close()
    requester = browser.new_context()
    page = requester.new_page()
    problems += [
        p for path in request_pages.public for p in _check(page, server.base + path, tmp_path)
    ]
    requester.close()
    assert not problems, "\n".join(problems)


def test_the_complaint_figures_count_the_demo_complaints(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    """CMP-01: the demo's complaints are counted, the overdue one listed, at both widths."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, server, "admin", server.admin_password)
    page.get_by_role("link", name="Complaint figures").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Complaints: the DPO's figures")
    url = f"{server.base}/console/complaints/figures?org={ORG}"
    problems = _check(page, url, tmp_path)
    expect(page.locator("[data-count='ack-overdue']")).to_have_text("1")
    expect(page.locator("[data-count='outcome-upheld']")).to_have_text("1")
    expect(page.locator("table.overdue tbody tr")).to_have_count(1)
    context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def hold_pages(server: Server, subject_ref: str) -> list[str]:
    """Legal holds (issue 17): one on a case by the register's complaint hold, one by hand
    on the subject's data (litigation), and one closed; with their list, form and pages."""
    staff = "user:admin"
    with server_uow(server) as uow:
        today = uow.clock.today()
        review = today + timedelta(days=30)
        on_case = place_hold(
            uow,
            NewHold(ORG, "case", "dpo@jtr.example", review, "complaint_on_case", case_ref="JTR-1"),
            actor=staff,
        ).ref
        place_hold(
            uow,
            NewHold(
                ORG,
                "subject",
                "dpo@jtr.example",
                review,
                reason="litigation",
                subject_ref=subject_ref,
                datasets=("call_recordings", "body_worn_video"),
            ),
            actor=staff,
        )
        closed = place_hold(
            uow,
            NewHold(
                ORG,
                "record",
                "dpo@jtr.example",
                review,
                "investigation_on_case",
                record_ref="BWV-9",
            ),
            actor=staff,
        ).ref
        close_hold(uow, ORG, closed, actor=staff)
        uow.commit()
    return [
        "/console/holds",
        "/console/holds?state=closed",
        f"/console/holds/new?org={ORG}",
        f"/console/holds/{ORG}/{on_case}",
        f"/console/holds/{ORG}/{closed}",
        f"/console/subjects/{ORG}/{subject_ref}",
    ]


def test_every_hold_page(
    browser: Browser, server: Server, hold_pages: list[str], tmp_path: Path
) -> None:
    """RET-02: the holds pages, and the subject's page listing the holds on its data."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, server, "admin", server.admin_password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    problems = [p for path in hold_pages for p in _check(page, server.base + path, tmp_path)]
    page.goto(server.base + hold_pages[0])
    expect(page.locator("table.hold-list")).to_contain_text("JTR-1")
    page.goto(server.base + hold_pages[-1])
    expect(page.locator("table.subject-holds")).to_contain_text("litigation")
    context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def complaint_pages(server: Server, subject_ref: str) -> list[str]:
    """A complaint with a history and a legal hold, made as the caseworkers would."""
    staff = "user:admin"
    who = Complainant(
        name="Every Page",
        email="every.page@example.com",
        words="Your agent's body camera recorded inside my home without telling me.",
    )
    with server_uow(server) as uow:
        today = uow.clock.today()
        received = today - timedelta(days=12)
        new = NewComplaint(ORG, "phone", received, who, subject_ref=subject_ref, theme="recording")
        row = open_complaint(uow, new, actor=staff)
        acknowledge(uow, ORG, row.ref, ComplaintStep(staff, received + timedelta(days=2)))
        investigate(uow, ORG, row.ref, ComplaintStep(staff, received + timedelta(days=3)))
        note = "Asked the field team for the footage of the visit."
        add_note(uow, ORG, row.ref, note, ComplaintStep(staff, today))
        hold = NewHold(
            ORG,
            "case",
            "admin",
            today + timedelta(days=30),
            hold_id="complaint_on_case",
            case_ref="CASE-2231",
            complaint_id=row.id,
        )
        place_hold(uow, hold, actor=staff)
        ref = row.ref
        uow.commit()
    return ["/console/complaints", "/console/complaints/new", f"/console/complaints/{ORG}/{ref}"]


def test_every_complaint_page(
    browser: Browser, server: Server, complaint_pages: list[str], tmp_path: Path
) -> None:
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    page = staff.new_page()
    sign_in(page, server, "admin", server.admin_password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    problems = [p for path in complaint_pages for p in _check(page, server.base + path, tmp_path)]
    page.goto(server.base + complaint_pages[2])
    expect(page.locator(".complaint-history")).to_contain_text("Asked the field team")
    expect(page.locator(".complaint-holds")).to_contain_text("CASE-2231")
    # The hold form opens with the datasets the register's rules name for that hold ticked.
    page.get_by_text("Place a hold: Complaint on the case").click()
    ticked = page.locator("input[name=hold_id][value=complaint_on_case] ~ fieldset input:checked")
    expect(ticked).not_to_have_count(0)
    page.screenshot(path=tmp_path / "complaint-hold-form-1280.png", full_page=True)
    staff.close()
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def portal_complaint_pages(server: Server) -> RequestPages:
    """An acknowledged complaint and one closed with its outcome, as the portal and a
    caseworker would leave them (CMP-01)."""
    secret = server.env["DATAWARD_SECRET_KEY"].encode()
    person = Complainant(
        name="Every Page",
        email="every.page@example.com",
        address="2 Page Road, Leeds LS1 1AA",
        words="You sent my statement to my old address after I told you I had moved.",
    )
    tokens = []
    with server_uow(server) as uow:
        today = uow.clock.today()
        for closed in (False, True):
            new = NewComplaint(ORG, "portal", today, person, theme="accuracy")
            row = open_complaint(uow, new, actor="portal")
            acknowledge(uow, ORG, row.ref, ComplaintStep("portal", today))
            if closed:
                explanation = "We had not updated your address.\n\nWe have now corrected it."
                step = ComplaintStep("user:admin", today)
                close(uow, ORG, row.ref, "upheld", explanation, step)
            tokens.append((row.ref, complaint_link(secret, uow.clock, row)[0]))
        uow.commit()
    (_, open_token), (closed_ref, closed_token) = tokens
    return RequestPages(
        console=[
            f"/console/complaints/{ORG}/{closed_ref}/letters/acknowledgement",
            f"/console/complaints/{ORG}/{closed_ref}/letters/outcome",
        ],
        public=[
            f"/complaints/sent/{open_token}",
            f"/complaints/status/{open_token}",
            f"/complaints/status/{closed_token}",
            f"/complaints/status/{closed_token}/letters/outcome",
        ],
    )


def test_every_portal_complaint_page(
    browser: Browser, server: Server, portal_complaint_pages: RequestPages, tmp_path: Path
) -> None:
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    page = staff.new_page()
    sign_in(page, server, "admin", server.admin_password)
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    problems = [
        p
        for path in portal_complaint_pages.console
        for p in _check(page, server.base + path, tmp_path)
    ]
    staff.close()
    complainant = browser.new_context()
    page = complainant.new_page()
    problems += [
        p
        for path in portal_complaint_pages.public
        for p in _check(page, server.base + path, tmp_path)
    ]
    page.goto(server.base + portal_complaint_pages.public[2])
    expect(page.get_by_role("status")).to_contain_text("We upheld your complaint")
    complainant.close()
    assert not problems, "\n".join(problems)


def test_the_package_download_page(
    browser: Browser, server: Server, subject_ref: str, tmp_path: Path
) -> None:
    """Issue 18: the requester's download page, by their signed package link (the page reads
    the package's row only, so no sealed ZIP is written here)."""
    import uuid

    from dataward.access.download_links import package_link_token
    from dataward.access.models import READY, AccessPackage
    from dataward.requests.transitions import verify_identity
    from dataward.subjects.service import get_subject

    staff = "user:admin"
    person = Requester(name="Every Page", email="every.page@example.com")
    with server_uow(server) as uow:
        today, now = uow.clock.today(), uow.clock.now()
        row = open_request(uow, NewRequest(ORG, ("access",), "email", today, person), actor=staff)
        link_subject(uow, ORG, row.ref, subject_ref, Step(staff, today))
        verify_identity(uow, ORG, row.ref, "document", Step(staff, today))
        subject = get_subject(uow, ORG, subject_ref)
        package = AccessPackage(
            id=str(uuid.uuid4()),
            organisation=ORG,
            request_id=row.id,
            subject_id=subject.id,
            key_id=subject.key_id,
            sources_version=1,
            state=READY,
            rows=41,
            files=2,
            size=1_053_881,
            queued_by=staff,
            ready_at=now,
            expires_at=now + timedelta(days=30),
            created_at=now,
            updated_at=now,
        )
        uow.session.add(package)
        uow.session.flush()
        token, _ = package_link_token(server.env["DATAWARD_SECRET_KEY"].encode(), row, package)
        uow.commit()
    context = browser.new_context()
    page = context.new_page()
    problems = _check(page, f"{server.base}/packages/{token}", tmp_path)
    problems += _check(page, f"{server.base}/packages/{token}?code=wrong", tmp_path)
    context.close()
    assert not problems, "\n".join(problems)


def test_the_package_review_pages(
    browser: Browser, server: Server, subject_ref: str, tmp_path: Path
) -> None:
    """Issue 18 (ACC-02, ACC-03): a package waiting for review, with a part of staged notes,
    its redactions and a withheld row: the request's panel, the package's page and the
    redactions page, as staff see them."""
    import uuid

    from dataward.access.models import PART_DONE, REVIEW, AccessPackage, PackagePart, Redaction
    from dataward.access.redaction import detector_for
    from dataward.access.review import withhold
    from dataward.access.staging import write_part, write_row
    from dataward.requests.source_search import subject_identities
    from dataward.requests.transitions import verify_identity
    from dataward.subjects.service import add_subject, get_subject

    staff = "user:admin"
    person = Requester(name="Every Page", email="every.page@example.com")
    notes = [
        {"id": 1, "note": "Neighbour Rita Package-Review said the customer was out."},
        {"id": 2, "note": "Rang 0113 496 0000 and wrote to rita.review@example.com."},
        {"id": 3, "note": "Card left at the door <b>today</b>."},
    ]
    with server_uow(server) as uow:
        today, now = uow.clock.today(), uow.clock.now()
        add_subject(
            uow,
            ORG,
            ["customers"],
            [("email", "rita.review@example.com"), ("name", "Rita Package-Review")],
            actor=staff,
        )
        row = open_request(uow, NewRequest(ORG, ("access",), "email", today, person), actor=staff)
        link_subject(uow, ORG, row.ref, subject_ref, Step(staff, today))
        verify_identity(uow, ORG, row.ref, "document", Step(staff, today))
        subject = get_subject(uow, ORG, subject_ref)
        package = AccessPackage(
            id=str(uuid.uuid4()),
            organisation=ORG,
            request_id=row.id,
            subject_id=subject.id,
            key_id=subject.key_id,
            sources_version=1,
            state=REVIEW,
            rows=len(notes),
            queued_by=staff,
            built_at=now,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(package)
        uow.session.flush()
        part = PackagePart(
            id=str(uuid.uuid4()),
            package_id=package.id,
            dataset="customer_records",
            binding=0,
            state=PART_DONE,
            rows=len(notes),
            done_at=now,
        )
        uow.session.add(part)
        uow.session.flush()
        # Where the server reads it: under its own var folder.
        packages = Path(server.env["DATAWARD_VAR_DIR"]) / "packages"
        with write_part(uow, package, part, packages) as writer:
            for note in notes:
                write_row(writer, note)
        detector = detector_for(uow, package, subject_identities(uow, subject))
        for row_no, spans in enumerate(detector.scan_batch(notes, ["note"])):
            for span in spans:
                uow.session.add(
                    Redaction(
                        id=str(uuid.uuid4()),
                        package_id=package.id,
                        part_id=part.id,
                        row_no=row_no,
                        column=span.column,
                        start=span.start,
                        end=span.end,
                        kind=span.kind,
                    )
                )
        uow.session.flush()
        withhold(uow, ORG, row.ref, part.id, 1, "Negotiations", "Settlement talks.", actor=staff)
        uow.commit()
        ref, part_id = row.ref, part.id
    page = admin_page(browser, server)
    base = f"{server.base}/console/requests/{ORG}/{ref}"
    problems = _check(page, base, tmp_path)
    problems += _check(page, f"{base}/package", tmp_path)
    problems += _check(page, f"{base}/package/redactions?part={part_id}", tmp_path)
    expect(page.locator("mark").first).to_have_text("Rita Package-Review")
    page.context.close()
    assert not problems, "\n".join(problems)


def test_the_package_pages_in_each_later_state(
    browser: Browser, server: Server, subject_ref: str, tmp_path: Path
) -> None:
    """Issue 18: a package being built (one part of two read, a source failing), a ready
    one for a requester answered by post (its delivery and download button) and a deleted
    one: the request's panel and the package's page of each, as staff see them. The pages
    read rows only, so no sealed file is written."""
    import uuid

    from dataward.access.models import (
        BUILDING,
        DELETED,
        PART_DONE,
        PART_PENDING,
        READY,
        AccessPackage,
        PackagePart,
    )
    from dataward.requests.transitions import verify_identity
    from dataward.subjects.service import get_subject

    staff = "user:admin"
    by_post = Requester(
        name="Every Page", address="1 Every Page Street, Leeds LS1 1AA", reply_by="post"
    )
    refs: dict[str, str] = {}
    with server_uow(server) as uow:
        today, now = uow.clock.today(), uow.clock.now()
        subject = get_subject(uow, ORG, subject_ref)
        for state in (BUILDING, READY, DELETED):
            row = open_request(
                uow, NewRequest(ORG, ("access",), "post", today, by_post), actor=staff
            )
            link_subject(uow, ORG, row.ref, subject_ref, Step(staff, today))
            verify_identity(uow, ORG, row.ref, "document", Step(staff, today))
            package = AccessPackage(
                id=str(uuid.uuid4()),
                organisation=ORG,
                request_id=row.id,
                subject_id=subject.id,
                key_id=subject.key_id,
                sources_version=1,
                state=state,
                rows=41,
                files=2,
                queued_by=staff,
                created_at=now,
                updated_at=now,
            )
            if state == BUILDING:
                package.failed_source, package.last_error = "agency_db", "source_unavailable"
            else:
                package.built_at = package.approved_at = package.ready_at = now
                package.approved_by = staff
                package.size, package.downloads = 1_053_881, 1
                package.expires_at = now + timedelta(days=30)
            if state == DELETED:
                package.deleted_at = now
            uow.session.add(package)
            uow.session.flush()
            for binding, done in enumerate((True, False) if state == BUILDING else (True,)):
                uow.session.add(
                    PackagePart(
                        id=str(uuid.uuid4()),
                        package_id=package.id,
                        dataset="customers",
                        binding=binding,
                        state=PART_DONE if done else PART_PENDING,
                        rows=41 if done else 0,
                        files=2 if done else 0,
                        done_at=now if done else None,
                    )
                )
            refs[state] = row.ref
        uow.commit()
    page = admin_page(browser, server)
    problems = []
    for state, ref in refs.items():
        base = f"{server.base}/console/requests/{ORG}/{ref}"
        problems += _check(page, base, tmp_path)
        problems += _check(page, f"{base}/package", tmp_path)
        lead = page.locator("p.lead")
        expect(lead).to_contain_text(
            {
                BUILDING: "Being built",
                READY: "Ready: download it and send it by post",
                DELETED: "Deleted",
            }[state]
        )
    expect(page.get_by_role("link", name="Download package")).to_have_count(0)
    page.goto(f"{server.base}/console/requests/{ORG}/{refs[READY]}/package")
    expect(page.get_by_role("link", name="Download package")).to_be_visible()
    page.context.close()
    assert not problems, "\n".join(problems)


def test_the_retention_evidence_pages_after_a_run(
    browser: Browser, server: Server, tmp_path: Path
) -> None:
    """RET-03 (issue 20): a run made with the CLI as the worker makes it, then its list, its
    evidence, the plan with each table's last run, the rule's runs, and Run now's
    confirmation. Last in the module: the run deletes the demo's due rows."""
    from sqlalchemy import select

    from dataward.retention.models import RetentionRun

    server.cli("retention", "run", "--org", ORG)
    with server_uow(server) as uow:
        run_id = uow.session.scalars(
            select(RetentionRun.id).where(RetentionRun.organisation == ORG)
        ).one()
    page = admin_page(browser, server)
    paths = [
        f"/console/retention/runs?org={ORG}",
        f"/console/retention/runs/{run_id}",
        f"/console/retention?org={ORG}",
        f"/console/retention/rules/body_worn_video?org={ORG}",
    ]
    problems = [p for path in paths for p in _check(page, server.base + path, tmp_path)]
    expect(page.locator("table.retention-rule-runs tbody tr")).not_to_have_count(0)
    page.goto(server.base + paths[1])
    expect(page.locator("table.retention-evidence tbody tr")).not_to_have_count(0)
    expect(page.get_by_role("link", name="Download the evidence (CSV)")).to_be_visible()
    page.goto(server.base + paths[2])
    expect(page.locator("p.retention-latest-run")).to_contain_text("done")
    page.get_by_role("button", name="Run now").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Run retention now for {ORG}")
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=tmp_path / f"retention-run-now-confirm-{width}.png", full_page=True)
    page.context.close()
    assert not problems, "\n".join(problems)
