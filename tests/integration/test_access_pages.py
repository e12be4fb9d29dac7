"""The console's access package pages (issue 18, ACC-01..03, SAR-07): the panel on a
request's page (each state in words, with its next step), the package's page (progress,
search record, delivery), its redactions in context, each step through the browser's
forms, and the staff download, good and bad. SQLite and PostgreSQL; the clock is the
test's (2026-11-25 09:30 UTC, 09:30 GMT)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from access_delivery_support import ready_package
from access_review_support import NOTES, ORG, Built, built_package, other_subject
from bs4 import BeautifulSoup
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_support import add_user, csrf_from, fresh_console_app, signed_in

from dataward.access import audit_actions as actions
from dataward.access import views
from dataward.access.models import (
    APPLIED,
    APPROVED,
    BUILDING,
    DELETED,
    PART_PENDING,
    QUEUED,
    READY,
    REVIEW,
    UNDONE,
    WITHHELD,
    AccessPackage,
    PackagePart,
    Redaction,
    Withholding,
)
from dataward.access.staging import PACKAGE_FILE, package_dir
from dataward.access.views import REDACTIONS_PAGE
from dataward.audit.models import AuditEvent
from dataward.clock import FixedClock
from dataward.publication.sources import store_sources
from dataward.requests.service import NewRequest, Requester, open_request
from dataward.requests.source_search import SEARCH_KIND
from dataward.requests.tasks import not_reasonable, record_search, tasks_of
from dataward.requests.transitions import Step, link_subject, verify_identity
from dataward.sources.loader import parse_sources
from dataward.subjects.service import add_subject
from dataward.uow import UnitOfWork

LPP = "Legal professional privilege"
FixedDay = date(2026, 11, 21)
SOURCES = f"""\
format_version: 1
organisation: {ORG}
connections:
  shop:
    kind: sql
    url_from: SHOP_DB_URL
datasets:
  crm:
    - connection: shop
      table: customers
      key: id
      identities:
        email: email
"""


@pytest.fixture
def app(database_url: str, clock: FixedClock, vault: object) -> Iterator[FastAPI]:
    yield from fresh_console_app(database_url, clock, vault)


def _uow(app: FastAPI) -> UnitOfWork:
    state = app.state
    return UnitOfWork(state.session_factory, state.clock, state.vault)


def _built(app: FastAPI, notes: tuple[str, ...] = NOTES, state: str = REVIEW) -> Built:
    with _uow(app) as uow:
        other_subject(uow)
        made = built_package(uow, notes, state=state)
        uow.commit()
        return made


def _base(built: Built) -> str:
    return f"/console/requests/{ORG}/{built.request.ref}"


def _stored(app: FastAPI) -> tuple[object, ...]:
    with app.state.session_factory() as session:
        return (
            tuple(session.execute(select(Redaction.id, Redaction.state).order_by(Redaction.id))),
            tuple(session.execute(select(Withholding.id, Withholding.state))),
            tuple(session.execute(select(AccessPackage.id, AccessPackage.state))),
        )


def _redactions(app: FastAPI) -> list[Redaction]:
    with app.state.session_factory() as session:
        return list(session.scalars(select(Redaction).order_by(Redaction.row_no, Redaction.start)))


def _post(client: TestClient, page: str, path: str, **data: str) -> object:
    csrf = csrf_from(client.get(page).text)
    return client.post(path, data={**data, "csrf_token": csrf})


def _flash(client: TestClient, url: str) -> str:
    soup = BeautifulSoup(client.get(url).text, "html.parser")
    return " ".join(f.get_text(" ", strip=True) for f in soup.select(".flash"))


def test_the_request_page_offers_a_build_and_a_refused_one_changes_nothing(app: FastAPI) -> None:
    with _uow(app) as uow:
        subject = add_subject(uow, ORG, ["customers"], [("email", "kim@example.com")])
        requester = Requester(name="Kim", email="kim@example.com")
        row = open_request(
            uow, NewRequest(ORG, ["access"], "email", FixedDay, requester), actor="t"
        )
        link_subject(uow, ORG, row.ref, subject.ref, Step("t", FixedDay))
        verify_identity(uow, ORG, row.ref, "document", Step("t", FixedDay))
        uow.commit()
    client = signed_in(app, "case@acme.example", "caseworker")
    page = f"/console/requests/{ORG}/{row.ref}"
    html = client.get(page).text
    assert "No package yet." in html
    assert f'action="{page}/package/build"' in html
    asked = _post(client, page, f"{page}/package/build")
    assert asked.status_code == 200
    assert "Build the access package" in asked.text
    # No sources file is stored for acme: refused, with its reason, and nothing queued.
    refused = _post(client, page, f"{page}/package/build", confirm="yes")
    assert refused.status_code == 303
    assert "sources" in _flash(client, page).lower()
    assert _stored(app)[2] == ()
    with _uow(app) as uow:
        store_sources(uow, parse_sources(SOURCES, "sources.yaml"), organisation=ORG, actor="t")
        uow.commit()
    done = _post(client, page, f"{page}/package/build", confirm="yes")
    assert done.status_code == 303
    assert "Access package queued" in _flash(client, page)
    html = client.get(page).text
    assert "Queued: the worker will build it shortly" in html
    assert f'action="{page}/package/build"' not in html
    queued = client.get(f"{page}/package")
    assert queued.status_code == 200
    assert "Nothing built yet." in queued.text
    assert "/package/approve" not in queued.text


def test_a_source_that_failed_is_named_with_its_retry(app: FastAPI) -> None:
    built = _built(app, state=BUILDING)
    with app.state.session_factory() as session:
        package = session.get(AccessPackage, built.package.id)
        assert package is not None
        package.failed_source = "agency"
        package.last_error = "source_unavailable"
        session.commit()
    client = signed_in(app, "case@acme.example", "caseworker")
    panel = BeautifulSoup(client.get(_base(built)).text, "html.parser").find(id="access-package")
    words = panel.find_parent("section").get_text(" ", strip=True)
    assert "Being built from the organisation's sources" in words
    assert "agency (source_unavailable): the worker will try it again" in words
    assert "cannot be completed until it is read" in words


def test_an_auditor_sees_no_panel_and_a_request_without_access_has_none(app: FastAPI) -> None:
    built = _built(app)
    reader = signed_in(app, "case@acme.example", "caseworker")
    assert "Review the package" in reader.get(_base(built)).text
    with _uow(app) as uow:
        requester = Requester(name="Lee", email="lee@example.com")
        other = open_request(
            uow, NewRequest(ORG, ["erasure"], "email", FixedDay, requester), actor="t"
        )
        uow.commit()
    assert 'id="access-package"' not in reader.get(f"/console/requests/{ORG}/{other.ref}").text
    auditor = signed_in(app, "audit@acme.example", "auditor")
    assert auditor.get(f"{_base(built)}/package").status_code == 403


def test_the_package_page_lists_parts_counts_and_the_search_record(app: FastAPI) -> None:
    built = _built(app)
    client = signed_in(app, "case@acme.example", "caseworker")
    page = client.get(f"{_base(built)}/package")
    assert page.status_code == 200
    soup = BeautifulSoup(page.text, "html.parser")
    part = soup.find(id=f"part-{built.part.id}")
    assert part is not None
    cells = [td.get_text(" ", strip=True) for td in part.find_all("td")]
    assert cells[1:4] == ["4", "0", "4"]
    assert "Built: waiting for your review" in page.text
    # acme's register declares one dataset, crm, whose one binding the package staged.
    record = soup.find(id="search-record").find_parent("section")
    assert [_cells(tr) for tr in record.select("tbody tr")] == [
        [
            "Customer records crm",
            "Automatically, sources file v1",
            "4 rows, 0 files",
            "25 November 2026, 09:30 GMT",
        ]
    ]
    assert "/package/approve" in page.text


def _cells(tr: Any) -> list[str]:
    return [td.get_text(" ", strip=True) for td in tr.find_all("td")]


def _search_line(client: TestClient, built: Built) -> list[str]:
    soup = BeautifulSoup(client.get(f"{_base(built)}/package").text, "html.parser")
    return _cells(soup.find(id="search-crm"))


def _crm_task_id(app: FastAPI, built: Built) -> str:
    with _uow(app) as uow:
        return next(
            t.id
            for t in tasks_of(uow, built.request)
            if t.kind == SEARCH_KIND and t.dataset == "crm"
        )


def _unstage(app: FastAPI, built: Built) -> None:
    """The built part back to pending: the build has not staged crm yet."""
    with app.state.session_factory() as session:
        part = session.get(PackagePart, built.part.id)
        assert part is not None
        part.state = PART_PENDING
        session.commit()


def test_the_search_record_shows_an_open_search_then_one_by_hand(app: FastAPI) -> None:
    """While the build has not staged crm, its search task is the record: open, then done
    by hand with what was found and who recorded it."""
    built = _built(app, state=BUILDING)
    _unstage(app, built)
    client = signed_in(app, "case@acme.example", "caseworker")
    assert _search_line(client, built) == ["Customer records crm", "open not searched yet", "", ""]
    with _uow(app) as uow:
        record_search(
            uow,
            ORG,
            built.request.ref,
            _crm_task_id(app, built),
            True,
            "Two letters in the paper file.",
            actor="user:u_case",
        )
        uow.commit()
    assert _search_line(client, built) == [
        "Customer records crm",
        "By hand by user:u_case",
        "Data found: Two letters in the paper file.",
        "25 November 2026, 09:30 GMT",
    ]


def test_the_search_record_shows_the_dpos_reason_for_not_searching(app: FastAPI) -> None:
    built = _built(app, state=BUILDING)
    _unstage(app, built)
    dpo = add_user(app, "dpo@acme.example", "dpo")
    with _uow(app) as uow:
        not_reasonable(
            uow,
            ORG,
            built.request.ref,
            _crm_task_id(app, built),
            "Archived on tape in 2009; restoring costs weeks.",
            actor=f"user:{dpo.ref}",
        )
        uow.commit()
    client = signed_in(app, "case@acme.example", "caseworker")
    assert _search_line(client, built) == [
        "Customer records crm",
        f"not searched not reasonable and proportionate ( user:{dpo.ref} )",
        "Archived on tape in 2009; restoring costs weeks.",
        "25 November 2026, 09:30 GMT",
    ]


def test_a_package_being_built_shows_the_part_it_is_on_and_a_failed_source(
    app: FastAPI,
) -> None:
    built = _built(app, state=BUILDING)
    with app.state.session_factory() as session:
        session.add(
            PackagePart(id="part-two", package_id=built.package.id, dataset="crm", binding=1)
        )
        package = session.get(AccessPackage, built.package.id)
        assert package is not None
        package.failed_source = "archive"
        package.last_error = "source_unavailable"
        session.commit()
    client = signed_in(app, "case@acme.example", "caseworker")
    panel = BeautifulSoup(client.get(_base(built)).text, "html.parser").find(id="access-package")
    words = panel.find_parent("section").get_text(" ", strip=True)
    assert "Progress 1 of 2 parts read; now reading crm (source 2)" in words
    page = BeautifulSoup(client.get(f"{_base(built)}/package").text, "html.parser")
    summary = page.find(id="summary").find_parent("section").get_text(" ", strip=True)
    assert "Progress 1 of 2 parts read; now reading crm (source 2)" in summary
    assert "archive (source_unavailable): the worker will try it again" in summary
    assert "Download package" not in page.get_text()


# Each state: the panel's words, its next step, and its way in.
STATE_PANELS = {
    QUEUED: ("Queued: the worker will build it shortly.", "starts the build", "Open the package"),
    BUILDING: ("Being built from the organisation's sources.", "once every", "Open the package"),
    REVIEW: ("Built: waiting for your review.", "then approve it", "Review the package"),
    APPROVED: ("Approved: the worker is assembling it.", "emailed a link", "Open the package"),
    READY: ("Ready for the subject to download.", "record the response", "Open the package"),
    DELETED: ("Deleted after its download period.", "its files are gone", "Open the package"),
}


@pytest.mark.parametrize("state", list(STATE_PANELS))
def test_the_request_panel_says_each_state_in_words_with_the_next_step(
    app: FastAPI, state: str
) -> None:
    built = _built(app, state=state)
    words, step, link = STATE_PANELS[state]
    client = signed_in(app, "case@acme.example", "caseworker")
    panel = BeautifulSoup(client.get(_base(built)).text, "html.parser").find(id="access-package")
    section = panel.find_parent("section")
    lead = section.find("p").get_text(" ", strip=True)
    assert lead.startswith(words)
    assert step in lead
    buttons = [a.get_text(strip=True) for a in section.select("a.button")]
    assert buttons == ([link, "Download package"] if state == READY else [link])


def test_redactions_are_shown_in_context_escaped_and_undo_reapply_round_trip(
    app: FastAPI,
) -> None:
    built = _built(app, (*NOTES, "<b>Mary Jones</b> & co"))
    client = signed_in(app, "case@acme.example", "caseworker")
    url = f"{_base(built)}/package/redactions?part={built.part.id}"
    html = client.get(url).text
    soup = BeautifulSoup(html, "html.parser")
    marks = [m.get_text() for m in soup.find_all("mark")]
    assert marks == [
        "Mary Jones",
        "bob.other@example.com",
        "0113 496 0000",
        "Mary Jones",
        "Mary Jones",
    ]
    assert "&lt;b&gt;" in html
    assert "<b>Mary" not in html
    assert "Her neighbour " in soup.find(id="row-1").find_parent("section").get_text()
    first = _redactions(app)[0]
    done = _post(
        client, url, f"{_base(built)}/package/redactions/{first.id}/undo", back=url + "&page=1"
    )
    assert done.status_code == 303
    assert done.headers["location"] == url + "&page=1"
    assert _redactions(app)[0].state == UNDONE
    again = BeautifulSoup(client.get(url).text, "html.parser")
    assert [i.get_text() for i in again.find_all("ins")] == ["Mary Jones"]
    _post(client, url, f"{_base(built)}/package/redactions/{first.id}/reapply", back=url)
    assert _redactions(app)[0].state == APPLIED
    # Twice in a row: refused with its reason, nothing changed.
    before = _stored(app)
    refused = _post(client, url, f"{_base(built)}/package/redactions/{first.id}/reapply")
    assert refused.status_code == 303
    assert "applied already" in _flash(client, f"{_base(built)}/package")
    assert _stored(app) == before
    # A back address elsewhere is not followed.
    odd = _post(
        client, url, f"{_base(built)}/package/redactions/{first.id}/undo", back="//evil.example"
    )
    assert odd.headers["location"] == f"{_base(built)}/package"


def test_redactions_are_paged_and_a_page_reads_the_part_only_up_to_its_rows(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = tuple(f"Note {n}: rang Mary Jones." for n in range(REDACTIONS_PAGE * 2 + 3))
    built = _built(app, notes)
    client = signed_in(app, "case@acme.example", "caseworker")
    url = f"{_base(built)}/package/redactions?part={built.part.id}"
    read: list[int] = []
    real = views.read_part

    def counting(*args: Any) -> Iterator[dict[str, Any]]:
        for row in real(*args):
            read.append(1)
            yield row

    monkeypatch.setattr(views, "read_part", counting)
    first = BeautifulSoup(client.get(url).text, "html.parser")
    assert len(first.find_all("mark")) == REDACTIONS_PAGE
    assert len(read) == REDACTIONS_PAGE  # rows 0..19 of 43, then the stream is dropped
    assert "Page 1 of 3" in first.get_text()
    last = BeautifulSoup(client.get(url + "&page=3").text, "html.parser")
    assert [h.get_text(" ", strip=True) for h in last.find_all("h2")][:3] == [
        f"Row {REDACTIONS_PAGE * 2}",
        f"Row {REDACTIONS_PAGE * 2 + 1}",
        f"Row {REDACTIONS_PAGE * 2 + 2}",
    ]
    assert "Page 3 of 3" in last.get_text()
    beyond = BeautifulSoup(client.get(url + "&page=99").text, "html.parser")
    assert "Page 3 of 3" in beyond.get_text()
    assert client.get(url + "&page=0").status_code == 400


def test_withhold_a_row_then_release_it_and_bad_withholdings_change_nothing(
    app: FastAPI,
) -> None:
    built = _built(app)
    client = signed_in(app, "case@acme.example", "caseworker")
    package = f"{_base(built)}/package"
    withhold = f"{package}/withhold"
    before = _stored(app)
    for bad in (
        {"part": built.part.id, "row": "1", "exemption": "Because", "reason": "x"},
        {"part": built.part.id, "row": "one", "exemption": LPP, "reason": "x"},
        {"part": built.part.id, "row": "99", "exemption": LPP, "reason": "x"},
        {"part": built.part.id, "row": "1", "exemption": LPP, "reason": ""},
        {"part": "nope", "row": "1", "exemption": LPP, "reason": "x"},
    ):
        refused = _post(client, package, withhold, **bad)
        assert refused.status_code == 303
        assert _flash(client, package), bad
        assert _stored(app) == before, bad
    done = _post(
        client, package, withhold, part=built.part.id, row="1", exemption=LPP, reason="Advice."
    )
    assert done.status_code == 303
    with app.state.session_factory() as session:
        item = session.scalars(select(Withholding)).one()
    assert (item.state, item.row_no, item.exemption) == (WITHHELD, 1, LPP)
    page = client.get(package).text
    assert "Advice." in page
    assert LPP in page
    reds = client.get(f"{package}/redactions?part={built.part.id}").text
    assert f"withheld: {LPP}" in reds
    _post(client, package, f"{package}/withholdings/{item.id}/release")
    with app.state.session_factory() as session:
        assert session.scalars(select(Withholding.state)).one() == "released"


def test_approve_confirms_then_closes_the_package_to_changes(app: FastAPI) -> None:
    built = _built(app)
    client = signed_in(app, "case@acme.example", "caseworker")
    package = f"{_base(built)}/package"
    asked = _post(client, package, f"{package}/approve")
    assert asked.status_code == 200
    assert "Approve the access package" in asked.text
    assert _stored(app)[2][0][1] == REVIEW
    done = _post(client, package, f"{package}/approve", confirm="yes")
    assert done.status_code == 303
    assert _stored(app)[2][0][1] == APPROVED
    html = client.get(package).text
    assert "/package/approve" not in html
    assert "Approved: the worker is assembling it" in html
    before = _stored(app)
    again = _post(client, package, f"{package}/approve", confirm="yes")
    assert again.status_code == 303
    assert "only a package in review" in _flash(client, package)
    assert _stored(app) == before


def test_a_ready_package_offers_no_changes_and_refuses_a_forged_undo(app: FastAPI) -> None:
    built = _built(app, state=READY)
    client = signed_in(app, "case@acme.example", "caseworker")
    url = f"{_base(built)}/package/redactions?part={built.part.id}"
    html = client.get(url).text
    assert "can no longer be changed" in html
    assert "/undo" not in html
    first = _redactions(app)[0]
    before = _stored(app)
    _post(client, url, f"{_base(built)}/package/redactions/{first.id}/undo")
    assert _stored(app) == before


def test_another_organisations_path_or_an_unknown_part_is_not_found(app: FastAPI) -> None:
    built = _built(app)
    client = signed_in(app, "case@acme.example", "caseworker")
    assert client.get(f"/console/requests/other_org/{built.request.ref}/package").status_code == 404
    url = f"{_base(built)}/package/redactions?part=no-such-part"
    assert client.get(url).status_code == 404
    with app.state.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Redaction)) == 4


def _downloads(app: FastAPI) -> list[tuple[str, object]]:
    with app.state.session_factory() as session:
        return [
            (e.actor, e.details.get("by"))
            for e in session.scalars(
                select(AuditEvent).where(AuditEvent.action == actions.PACKAGE_DOWNLOADED)
            )
        ]


def test_a_ready_package_shows_its_delivery_and_staff_download_it(app: FastAPI) -> None:
    """A requester answered by post: the caseworker downloads the ZIP, streamed as
    ``<org>-<ref>-data.zip``, audited as a staff download; the requester's count stays 0."""
    with _uow(app) as uow:
        ready = ready_package(uow, by_post=True)
    base = f"/console/requests/{ORG}/{ready.row.ref}"
    client = signed_in(app, "case@acme.example", "caseworker")
    soup = BeautifulSoup(client.get(f"{base}/package").text, "html.parser")
    assert soup.find(class_="lead").get_text(strip=True) == (
        "Ready: download it and send it by post."
    )
    delivery = soup.find(id="delivery").find_parent("section").get_text(" ", strip=True)
    size = f"{len(ready.zip_bytes) / 1_000_000:.1f} MB"  # a little over one sealed chunk
    assert f"Package A ZIP of {size}: {ORG}-{ready.row.ref}-data.zip" in delivery
    assert "Ready 25 November 2026, 09:30 GMT" in delivery
    assert "Link expires 25 December 2026, 09:30 GMT" in delivery
    assert "Sent By post: no link was emailed" in delivery
    assert "Downloads 0 downloads by the requester" in delivery
    panel = BeautifulSoup(client.get(base).text, "html.parser").find(id="access-package")
    assert (
        "post it to the requester, then record the response"
        in panel.find_parent("section").get_text()
    )
    got = client.get(f"{base}/package/download")
    assert got.status_code == 200
    assert got.content == ready.zip_bytes
    assert got.headers["content-type"] == "application/zip"
    assert got.headers["content-disposition"] == (
        f'attachment; filename="{ORG}-{ready.row.ref}-data.zip"'
    )
    assert got.headers["cache-control"] == "no-store"
    assert [by for _, by in _downloads(app)] == ["staff"]
    assert _downloads(app)[0][0].startswith("user:")
    with app.state.session_factory() as session:
        assert session.get(AccessPackage, ready.package.id).downloads == 0  # type: ignore[union-attr]
    # An auditor (no requests:write) may not, and sees no button.
    auditor = signed_in(app, "audit@acme.example", "auditor")
    assert auditor.get(f"{base}/package/download").status_code == 403
    assert len(_downloads(app)) == 1


@pytest.mark.parametrize("state", [REVIEW, DELETED, "unreadable"])
def test_a_package_that_cannot_be_downloaded_is_refused_with_a_flash(
    app: FastAPI, state: str
) -> None:
    if state == "unreadable":
        with _uow(app) as uow:
            made = ready_package(uow)
        (package_dir(made.package) / PACKAGE_FILE).unlink()
        ref = made.row.ref
    else:
        built = _built(app, state=state)
        ref = built.request.ref
        if state == DELETED:
            with app.state.session_factory() as session:
                package = session.get(AccessPackage, built.package.id)
                assert package is not None
                package.deleted_at = package.updated_at
                package.downloads = 2
                session.commit()
    base = f"/console/requests/{ORG}/{ref}"
    client = signed_in(app, "case@acme.example", "caseworker")
    before = _stored(app)
    refused = client.get(f"{base}/package/download")
    assert refused.status_code == 303
    assert refused.headers["location"] == f"{base}/package"
    page = client.get(f"{base}/package").text
    soup = BeautifulSoup(page, "html.parser")
    flash = " ".join(f.get_text(" ", strip=True) for f in soup.select(".flash"))
    expected = {
        REVIEW: "package_not_ready",
        DELETED: "package_deleted",
        "unreadable": "cannot be read",
    }[state]
    assert expected in flash
    assert "(code package_refused)" in flash
    assert _stored(app) == before
    assert _downloads(app) == []
    assert ("Download package" in page) == (state == "unreadable")
    if state == DELETED:
        summary = soup.find(id="summary").find_parent("section").get_text(" ", strip=True)
        assert (
            "Deleted 25 November 2026, 09:30 GMT, after its download period; "
            "2 downloads by the requester before then"
        ) in summary


def test_another_organisations_package_or_none_is_not_found_for_download(app: FastAPI) -> None:
    with _uow(app) as uow:
        ready = ready_package(uow)
    client = signed_in(app, "case@acme.example", "caseworker")
    assert (
        client.get(f"/console/requests/other_org/{ready.row.ref}/package/download").status_code
        == 404
    )
    assert client.get(f"/console/requests/{ORG}/q_none/package/download").status_code == 404
    assert _downloads(app) == []


def test_a_portability_package_is_reviewed_and_approved_by_its_own_kind(app: FastAPI) -> None:
    """POR-01 (issue 19): the request page shows the portability package's panel; its page,
    redactions and forms carry the kind, through the confirmation, to that package only."""
    with _uow(app) as uow:
        other_subject(uow)
        built = built_package(uow, NOTES, kind="portability")
        uow.commit()
    client = signed_in(app, "case@acme.example", "caseworker")
    request_page = BeautifulSoup(client.get(_base(built)).text, "html.parser")
    panel = request_page.find("section", attrs={"aria-labelledby": "portability-package"})
    assert panel is not None
    assert request_page.find("section", attrs={"aria-labelledby": "access-package"}) is None
    package = f"{_base(built)}/package?kind=portability"
    assert panel.find("a", href=package) is not None
    assert client.get(f"{_base(built)}/package").status_code == 404  # no access package
    page = client.get(package).text
    assert "<h1>Portability package of" in page
    assert 'name="kind" value="portability"' in page
    url = f"{_base(built)}/package/redactions?part={built.part.id}&kind=portability"
    first = _redactions(app)[0]
    _post(
        client,
        url,
        f"{_base(built)}/package/redactions/{first.id}/undo",
        back=url,
        kind="portability",
    )
    assert _redactions(app)[0].state == UNDONE
    approve = f"{_base(built)}/package/approve"
    asked = _post(client, package, approve, kind="portability")
    assert "Approve the portability package" in asked.text
    assert _post(client, package, approve, kind="portability", confirm="yes").status_code == 303
    assert _stored(app)[2][0][1] == APPROVED
    unknown = _post(client, package, approve, kind="everything", confirm="yes")
    assert unknown.status_code == 422
