"""``complaint_route(register)``: the register's complaint route in one object for the form
and the letters. Pure: registers only (RULES: CMP-01, NTC-01 silence promises nothing)."""

from __future__ import annotations

from pathlib import Path

from lint_fixtures import build, drop, put

from dataward.complaints.route import ICO_COMPLAINT_PAGE, complaint_route
from dataward.register.loader import load_register
from dataward.register.models import Contact

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ROUTE = ("rights", "complaints")
EMAIL = {"kind": "email", "value": "privacy@example.org"}


def test_it_says_no_route_is_stated_and_gives_the_icos_own_page() -> None:
    route = complaint_route(build(drop(ROUTE)))
    assert not route.stated
    assert route.ico_url == ICO_COMPLAINT_PAGE
    assert route.contacts == ()
    assert route.before_ico is None
    assert not route.to_us


def test_it_promises_nothing_the_route_leaves_out() -> None:
    """NTC-01: silence is None, False or empty, never a default promise."""
    route = complaint_route(build())
    assert route.stated
    assert route.ico_url == "https://ico.org.uk/make-a-complaint/"
    assert route.statement == "You can complain to the ICO."
    assert route.before_ico is None
    assert route.contacts == ()  # the rights contacts are not offered unless the route says
    assert not route.portal_form
    assert route.outcome_within_days is None
    assert not route.other_remedies_unaffected
    assert not route.to_us


def test_it_reads_every_stated_field() -> None:
    dpo = {"kind": "phone", "value": "0113 496 0000", "label": "Data Protection Officer"}
    route = complaint_route(
        build(
            put(
                ROUTE,
                {
                    "ico_url": "https://ico.org.uk/make-a-complaint/",
                    "contacts": [dpo],
                    "use_rights_contacts": True,
                    "portal_form": True,
                    "before_ico": "required",
                    "outcome_within_days": 30,
                    "other_remedies_unaffected": True,
                },
            )
        )
    )
    # The route's own contacts first, then the rights contacts, without repeats.
    assert route.contacts == (Contact(**dpo), Contact(**EMAIL))
    assert route.portal_form
    assert route.to_us
    assert route.before_ico == "required"
    assert route.outcome_within_days == 30
    assert route.other_remedies_unaffected


def test_it_does_not_repeat_a_contact_given_twice() -> None:
    route = complaint_route(
        build(put((*ROUTE, "contacts"), [EMAIL]), put((*ROUTE, "use_rights_contacts"), True))
    )
    assert route.contacts == (Contact(**EMAIL),)


def test_it_reads_the_older_flag_as_encouraged() -> None:
    """CMP-01: contact_controller_first: true asks ("please contact us first")."""
    route = complaint_route(build(put((*ROUTE, "contact_controller_first"), True)))
    assert route.before_ico == "encouraged"
    assert (
        complaint_route(build(put((*ROUTE, "contact_controller_first"), False))).before_ico is None
    )


def test_a_portal_form_alone_is_a_way_to_complain_to_us() -> None:
    route = complaint_route(build(put((*ROUTE, "portal_form"), True)))
    assert route.to_us
    assert route.contacts == ()


def test_the_examples_routes_say_what_their_notices_say() -> None:
    """JJH g10, g11: the rights contacts, and the ICO after us; R3 x26, x27: encouraged."""
    jjh = load_register(EXAMPLES / "johnnie-johnson-housing.yaml").register
    jjh_route = complaint_route(jjh)
    assert jjh_route.before_ico == "required"
    assert jjh_route.contacts == tuple(jjh.rights.how_to_exercise)
    r3 = complaint_route(load_register(EXAMPLES / "r3-repairs.yaml").register)
    assert r3.before_ico == "encouraged"
    assert [c.value for c in r3.contacts] == ["03000 999 247", "mailbox@R3repairs.co.uk"]
    jtr = complaint_route(load_register(EXAMPLES / "jtr-collections.yaml").register)
    assert jtr.before_ico is None
    assert not jtr.to_us
    assert jtr.other_remedies_unaffected
