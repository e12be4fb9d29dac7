"""Letters without a database: how each goes, and what a silent register leaves out.

JTR rights.g7: access responses go electronically unless asked otherwise; by post where no
email address is held. A register's ``delivery`` of ``post`` or ``same_as_request`` decides
for the rights it covers.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dataward.register.loader import load_register
from dataward.register.models import Register
from dataward.requests.letter_content import Facts, body_for
from dataward.requests.letters import delivery_of, render_letter
from dataward.requests.models import RightsRequest
from dataward.requests.service import Requester

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
WITH_EMAIL = Requester(name="A Person", email="a@x.org")


@pytest.fixture(scope="module")
def jtr() -> Register:
    return load_register(EXAMPLES / "jtr-collections.yaml").register


def _with_access_delivery(register: Register, delivery: str) -> Register:
    items = [
        item.model_copy(update={"delivery": delivery}) if item.right.value == "access" else item
        for item in register.rights.items
    ]
    rights = register.rights.model_copy(update={"items": items})
    return register.model_copy(update={"rights": rights})


def _row(channel: str, *rights: str) -> RightsRequest:
    return RightsRequest(rights=list(rights), not_offered=[], channel=channel)


def test_it_emails_when_an_address_is_held_and_posts_when_none_is(jtr: Register) -> None:
    assert delivery_of(jtr, _row("post", "access"), WITH_EMAIL) == ("email", "email")
    assert delivery_of(jtr, _row("email", "access"), Requester(name="A Person")) == (
        "post",
        "no_email",
    )


def test_a_requester_who_asked_for_post_gets_post_even_with_an_email(jtr: Register) -> None:
    """rights.g7: electronically *unless the person asks otherwise*."""
    asked = Requester(name="A Person", email="a@x.org", reply_by="post")
    assert delivery_of(jtr, _row("email", "access"), asked) == ("post", "asked_for_post")


def test_a_register_that_says_post_is_followed_for_the_rights_it_covers(jtr: Register) -> None:
    register = _with_access_delivery(jtr, "post")
    assert delivery_of(register, _row("email", "access"), WITH_EMAIL) == (
        "post",
        "register_says_post",
    )
    # Erasure has no delivery setting of its own: email as usual.
    assert delivery_of(register, _row("email", "erasure"), WITH_EMAIL)[0] == "email"


def test_same_as_request_answers_a_postal_request_by_post(jtr: Register) -> None:
    register = _with_access_delivery(jtr, "same_as_request")
    assert delivery_of(register, _row("post", "access"), WITH_EMAIL)[0] == "post"
    assert delivery_of(register, _row("portal", "access"), WITH_EMAIL)[0] == "email"


def _facts(note: str | None = None, *rights: str) -> Facts:
    return Facts(
        reference="q_0123456789abcdef",
        rights=rights or ("erasure",),
        not_offered=(),
        received_on=date(2026, 4, 3),
        due_on=date(2026, 5, 5),
        note=note,
        step_on=date(2026, 4, 20),
    )


def test_the_response_carries_what_was_done_only_when_the_caseworker_wrote_it(
    jtr: Register,
) -> None:
    said = body_for("response", jtr, _facts("We deleted your portal account on 20 April."))
    headings = [s.heading for s in said.sections]
    assert "What we did" in headings
    silent = body_for("response", jtr, _facts(None))
    assert "What we did" not in [s.heading for s in silent.sections]


def test_a_not_offered_right_without_a_description_is_plainly_not_offered(
    jtr: Register,
) -> None:
    items = [i for i in jtr.rights.items if i.right.value != "automated_decisions"]
    register = jtr.model_copy(update={"rights": jtr.rights.model_copy(update={"items": items})})
    facts = Facts(
        reference="q_0123456789abcdef",
        rights=("automated_decisions",),
        not_offered=("automated_decisions",),
        received_on=date(2026, 4, 3),
        due_on=None,
        note=None,
        step_on=date(2026, 4, 3),
    )
    letter = render_letter(
        "response",
        register,
        body_for("response", register, facts),
        WITH_EMAIL,
        facts.reference,
        date(2026, 4, 3),
    )
    assert "JTR Collections does not offer this right here, so we have not acted on it." in (
        letter.text
    )
    assert "Our privacy notice explains" not in letter.text
