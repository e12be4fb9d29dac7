"""The register's complaint route, read once for the complaint form and the letters (CMP-01).

``complaint_route(register)`` gives everything the register states about how to complain
(to the organisation itself, to the ICO, and the condition between the two) in one object,
so the portal form, the letters and the notice say the same thing. Pure: no database, no
clock. Silence stays silence: a field the register leaves out is None, False or empty here,
never a default dressed as the organisation's promise. The one exception is the ICO's own
complaint page when the register names none, which tells a person where the regulator is
and promises nothing for the organisation (``stated`` says which it is).
"""

from __future__ import annotations

from dataclasses import dataclass

from dataward.register.models import Contact, Register
from dataward.register.models.rights import BeforeIco

# The ICO's complaint page, used only where the register states no route (DW020 reports it).
ICO_COMPLAINT_PAGE = "https://ico.org.uk/make-a-complaint/"


@dataclass(frozen=True)
class RouteView:
    """How to complain, as the register states it."""

    stated: bool
    """Whether the register states a complaint route at all (``rights.complaints``)."""
    ico_url: str
    """The register's address for the ICO; the ICO's complaint page when ``stated`` is False."""
    statement: str | None = None
    """The notice's own words about complaining, verbatim."""
    before_ico: BeforeIco | None = None
    """How firmly the notice asks people to complain to the organisation first: "required",
    "encouraged", or None (no condition stated). ``contact_controller_first: true`` reads as
    "encouraged": the notice asks, in its words, "please contact us first"."""
    contacts: tuple[Contact, ...] = ()
    """How to complain to the organisation itself: the route's own contacts, then the rights
    contacts where the route says to use them (``use_rights_contacts``); no repeats."""
    portal_form: bool = False
    """The organisation takes complaints through dataward's online form."""
    outcome_within_days: int | None = None
    """The days the organisation promises to give a complaint's outcome in; None: no promise."""
    other_remedies_unaffected: bool = False
    """The notice says complaining does not affect other legal rights and remedies."""

    @property
    def to_us(self) -> bool:
        """Whether the register gives any way to complain to the organisation itself."""
        return bool(self.contacts) or self.portal_form


def complaint_route(register: Register) -> RouteView:
    """The complaint route of ``register``, for the complaint form and the letters."""
    route = register.rights.complaints
    if route is None:
        return RouteView(stated=False, ico_url=ICO_COMPLAINT_PAGE)
    contacts: list[Contact] = list(route.contacts)
    if route.use_rights_contacts:
        contacts.extend(c for c in register.rights.how_to_exercise if c not in contacts)
    before_ico = route.before_ico
    if before_ico is None and route.contact_controller_first:
        before_ico = "encouraged"
    return RouteView(
        stated=True,
        ico_url=route.ico_url,
        statement=route.statement,
        before_ico=before_ico,
        contacts=tuple(contacts),
        portal_form=route.portal_form is True,
        outcome_within_days=route.outcome_within_days,
        other_remedies_unaffected=route.other_remedies_unaffected is True,
    )
