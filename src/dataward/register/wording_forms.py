"""Words for the forms real notices use (issue 13): a basis only implied, where choices are
made, a cookie's duration with exceptions. Kept apart so wording.py stays readable."""

from __future__ import annotations

from dataward.register.models import ChoicePlace, Cookie, ImpliedBasis, LawfulBasis, Unspecified
from dataward.register.wording import NOT_STATED, not_stated, words


def basis_words(basis: LawfulBasis | Unspecified | ImpliedBasis) -> str:
    """An Art 6 basis as the register states it; an implied one is named as not stated."""
    if isinstance(basis, Unspecified):
        return not_stated(basis)
    if isinstance(basis, ImpliedBasis):
        text = f"{NOT_STATED}: implied by our {words(basis.implied_by).lower()} with you"
        return f"{text} ({basis.note})" if basis.note else text
    return words(basis)


def cookie_duration_words(cookie: Cookie) -> str:
    """ "1 year; if you tick Remember me: 30 days"; empty where the register is silent."""
    if cookie.duration is None:
        return ""
    return "; ".join(
        [cookie.duration] + [f"{e.when}: {e.lasts}" for e in cookie.duration_exceptions]
    )


def choice_place_words(place: ChoicePlace) -> str:
    """ "Our settings page (https://...): pick what you hear about"."""
    text = words(place.where)
    if place.url:
        text += f" ({place.url})"
    if place.description:
        text += f": {place.description}"
    return text
