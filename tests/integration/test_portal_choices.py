"""The portal's preferences page saves what it says it saved, in the public's words.

Issue 15, item 2: after unticking a channel, ticking it again said "saved (1 changed)" but
the box stayed off, because the person's own objection from the untick outranked the
consent the tick gave. A tick through the person's own link now records fresh consent
(with the notice version shown) and supersedes their own objection on that channel; an
objection staff recorded stays in force and the page says so, with how to change it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest
from consent_support import SHOP, customer, load_shop
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import audit_actions, console_app

from dataward.accounts.links import sign_link
from dataward.consent.decisions import decide
from dataward.consent.models import ConsentRecord, Objection
from dataward.consent.objections import object_to_marketing, restrict
from dataward.consent.preferences import opt_out
from dataward.consent.records import give_consent
from dataward.crypto.keystore import Vault
from dataward.uow import UnitOfWork

POST = "m:offers:post"
# Words of the staff side (decision reasons, rule ids, the register's vocabulary) that the
# public must never read on the portal: the person is "you" there.
STAFF_WORDS = (
    "the person",
    "subject",
    "legitimate interests",
    "soft opt-in",
    "the register",
    "decision",
    "objection",
    "OBJ-",
    "MKT-",
    "LAW-",
    "RES-",
    "PECR",
    "TPS/CTPS",
    "not in the text",
    "None",
)


@pytest.fixture
def app(database_url: str, clock: Any, vault: Vault, uow: UnitOfWork) -> Iterator[FastAPI]:
    app = console_app(database_url, clock, vault)
    with UnitOfWork(app.state.session_factory, clock, vault) as unit:
        load_shop(unit)
        unit.commit()
    yield app
    app.state.engine.dispose()


class Visitor:
    """A member of the public with their own signed link, in their own browser."""

    def __init__(self, app: FastAPI, ref: str, organisation: str = SHOP) -> None:
        self.app = app
        self.ref = ref
        self.link, _ = sign_link(app.state.secret_key, app.state.clock, organisation, ref, 7)
        self.client = TestClient(app, follow_redirects=True)

    def page(self) -> str:
        reply = self.client.get(f"/preferences/{self.link}")
        assert reply.status_code == 200
        return reply.text

    def boxes(self, text: str) -> dict[str, bool]:
        found = re.findall(r'<input type="checkbox" id="([^"]+)"[^>]*?>', text)
        tags = re.findall(r'<input type="checkbox" id="[^"]+"[^>]*?>', text)
        return {key: " checked" in tag for key, tag in zip(found, tags, strict=True)}

    def save(self, ticked: set[str]) -> str:
        text = self.page()
        token = re.search(r'name="csrf_token" value="([^"]+)"', text)
        assert token is not None
        form = {"csrf_token": token.group(1), **{k: "on" for k in ticked}}
        version = re.search(r'name="notice_version" value="([^"]+)"', text)
        if version is not None:
            form["notice_version"] = version.group(1)
        reply = self.client.post(f"/preferences/{self.link}", data=form)
        assert reply.status_code == 200, reply.text
        return reply.text


def _uow(app: FastAPI) -> UnitOfWork:
    state = app.state
    return UnitOfWork(state.session_factory, state.clock, state.vault)


def _person(app: FastAPI) -> str:
    with _uow(app) as uow:
        ref = customer(uow, "pat@example.com")
        uow.commit()
    return ref


def _visible(text: str) -> str:
    """The words a reader sees: tags, scripts and styles removed, entities decoded."""
    body = re.sub(r"(?s)<(script|style)\b.*?</\1>", " ", text)
    body = re.sub(r"(?s)<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", html.unescape(body))


def test_it_ticks_a_channel_back_on_after_unticking_it(app: FastAPI) -> None:
    """Issue 15, item 2: untick post, tick it again: the box is on, the count is true.

    RULES: OBJ-02 (the person's own objection), LAW-05 (consent with the notice shown).
    """
    visitor = Visitor(app, _person(app))
    on_at_start = {k for k, on in visitor.boxes(visitor.page()).items() if on}
    assert POST in on_at_start  # legitimate interests: on until the person says no
    unticked = visitor.save(on_at_start - {POST})
    assert "Your choices were saved (1 change)." in _visible(unticked)
    assert visitor.boxes(unticked)[POST] is False
    ticked = visitor.save(on_at_start)
    assert "Your choices were saved (1 change)." in _visible(ticked)
    assert "could not be changed" not in ticked
    assert visitor.boxes(ticked)[POST] is True
    with _uow(app) as uow:
        assert decide(uow, SHOP, visitor.ref, "offers", "post").allow
        consent = uow.session.scalars(
            select(ConsentRecord).where(
                ConsentRecord.kind == "consent", ConsentRecord.channel == "post"
            )
        ).one()
        assert consent.state == "given"
        assert consent.method == "portal"
        # The notice the page named, the newest of the register's two versions.
        assert consent.notice_version == "2.0"
        objection = uow.session.scalars(select(Objection)).one()
        assert objection.outcome == "superseded"
    assert "Privacy notice version 2.0".lower() in _visible(ticked).lower()
    assert audit_actions(app)[-2:] == ["consent.consent.given", "objection.superseded"]


def test_saving_nothing_new_says_nothing_changed(app: FastAPI) -> None:
    """Issue 15, item 2: the count in the message is what changed, here nothing."""
    visitor = Visitor(app, _person(app))
    on_now = {k for k, on in visitor.boxes(visitor.page()).items() if on}
    saved = _visible(visitor.save(on_now))
    assert "Your choices were saved: nothing needed changing." in saved


def test_a_staff_objection_stays_and_the_page_says_so(app: FastAPI) -> None:
    """Issue 15, item 2: an objection staff recorded by phone is not superseded by a tick.

    RULES: OBJ-02 (absolute: only staff, who recorded it, may change it).
    """
    ref = _person(app)
    with _uow(app) as uow:
        object_to_marketing(uow, SHOP, ref, ["post"], method="phone", actor="user:casey")
        uow.commit()
    visitor = Visitor(app, ref)
    text = visitor.page()
    assert visitor.boxes(text)[POST] is False
    tag = re.search(rf'<input type="checkbox" id="{POST}"[^>]*>', text)
    assert tag is not None
    assert " disabled" in tag.group(0)
    said = _visible(text)
    # The register's own way to exercise rights, never an address made up.
    assert (
        "Our staff recorded that you do not want marketing by post. To change this, "
        "contact Corner Shop at dpo@cornershop.example." in said
    )
    # A forged tick (the box is disabled in the page) changes nothing and is not counted.
    on_now = {k for k, on in visitor.boxes(text).items() if on}
    saved = _visible(visitor.save(on_now | {POST}))
    assert "nothing needed changing" in saved
    assert "1 of your choices could not be changed here" in saved
    with _uow(app) as uow:
        assert not decide(uow, SHOP, ref, "offers", "post").allow
        assert uow.session.scalars(select(Objection)).one().outcome == "upheld"
        assert uow.session.scalars(select(ConsentRecord)).first() is None


def test_it_names_the_organisation_when_the_register_gives_no_contact(
    app: FastAPI, clock: Any, vault: Vault
) -> None:
    """Issue 15, item 2: with no contact details in the register, none is invented."""
    from consent_support import SHOP_FILE

    source = SHOP_FILE.read_text(encoding="utf-8")
    bare = source.replace(
        "  how_to_exercise: [{kind: email, value: dpo@cornershop.example}]\n", ""
    ).replace("  contacts:\n    - {kind: email, value: privacy@cornershop.example}\n", "")
    assert bare.count("@cornershop.example") < source.count("@cornershop.example")
    with _uow(app) as uow:
        load_shop(uow, bare)
        uow.commit()
    ref = _person(app)
    with _uow(app) as uow:
        object_to_marketing(uow, SHOP, ref, ["any"], method="paper", actor="user:casey")
        uow.commit()
    said = _visible(Visitor(app, ref).page())
    assert (
        "Our staff recorded that you do not want marketing by email. To change this, "
        "contact Corner Shop." in said
    )


@pytest.mark.parametrize("state", ["fresh", "withdrawn", "staff_objection", "restricted"])
def test_the_page_uses_the_publics_words(app: FastAPI, state: str) -> None:
    """Issue 15, item 2: every string on the preferences page is in the public's words.

    The staff wording of a decision ("legitimate interests, and the person has not
    objected") must not reach the page, whatever is on record.
    """
    ref = _person(app)
    with _uow(app) as uow:
        if state == "withdrawn":
            give_consent(
                uow, SHOP, ref, "offers", channel="sms", method="web_form", evidence="form"
            )
            opt_out(uow, SHOP, ref, "offers", "sms", method="email")
        elif state == "staff_objection":
            object_to_marketing(uow, SHOP, ref, ["email", "post"], method="phone")
        elif state == "restricted":
            restrict(uow, SHOP, ref, [], "accuracy_contested")
        uow.commit()
    visitor = Visitor(app, ref)
    pages = [visitor.page()]
    on_now = {k for k, on in visitor.boxes(pages[0]).items() if on}
    pages.append(visitor.save(on_now ^ {POST, "m:offers:sms"}))
    for text in pages:
        said = _visible(text)
        for word in STAFF_WORDS:
            assert word.lower() not in said.lower(), (state, word, said)


def test_a_notice_version_the_register_never_had_changes_nothing(app: FastAPI) -> None:
    """Issue 15, item 2: the consent records the notice the page named; a posted version
    the register does not declare is refused with a clear page and nothing is saved."""
    visitor = Visitor(app, _person(app))
    text = visitor.page()
    token = re.search(r'name="csrf_token" value="([^"]+)"', text)
    assert token is not None
    form = {"csrf_token": token.group(1), "m:offers:sms": "on", "notice_version": "9.9"}
    reply = visitor.client.post(f"/preferences/{visitor.link}", data=form)
    assert reply.status_code == 422
    assert "notice version '9.9' is not one" in html.unescape(reply.text).lower()
    assert "Traceback" not in reply.text
    with _uow(app) as uow:
        assert uow.session.scalars(select(ConsentRecord)).first() is None


def test_a_choice_that_is_not_optional_is_shown_but_not_switchable(app: FastAPI) -> None:
    """Issue 15, item 2: JJH's service messages are not optional: the box is disabled with
    a note, and saving the page as it came (the browser leaves the box out) is no error
    and no "could not be changed"."""
    from pathlib import Path

    from dataward.publication.registers import store_register
    from dataward.register.loader import load_register
    from dataward.subjects.service import add_subject

    examples = Path(__file__).resolve().parents[2] / "examples"
    with _uow(app) as uow:
        loaded = load_register(examples / "johnnie-johnson-housing.yaml")
        store_register(uow, loaded, actor="test")
        org = loaded.register.organisation
        ref = add_subject(uow, org, ["customers"], [("email", "r@example.com")], actor="t").ref
        uow.commit()
    visitor = Visitor(app, ref, org)
    text = visitor.page()
    tag = re.search(r'<input type="checkbox" id="p:service_messages"[^>]*>', text)
    assert tag is not None
    assert " disabled" in tag.group(0)
    assert "This is not something you can turn off here." in _visible(text)
    on_now = {k for k, on in visitor.boxes(text).items() if on and k != "p:service_messages"}
    saved = _visible(visitor.save(on_now))
    assert "nothing needed changing" in saved
    assert "could not be changed" not in saved
