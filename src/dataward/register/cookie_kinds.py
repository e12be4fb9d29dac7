"""Which cookie categories may be always on, which must have an off switch (MKT-05).

PECR reg 6 exempts strictly necessary storage from consent; DUAA adds low-risk uses
(statistics to improve the service, appearance, security) that need no prior consent but
must still be explained and refusable. The register names a category's exemption in its
id or name; the linter and the cookie banner read it the same way, from here.
"""

from __future__ import annotations

from typing import Literal

from dataward.register.models.choices import CookieCategory

CookieKind = Literal["necessary", "exempt", "consent"]

NECESSARY_WORDS = ("necessary", "essential", "strictly")
LOW_RISK_WORDS = ("security", "statistic", "analytic", "appearance")


def _label(category: CookieCategory) -> str:
    return f"{category.id} {category.name}".lower()


def names_an_exemption(category: CookieCategory) -> bool:
    label = _label(category)
    return any(word in label for word in (*NECESSARY_WORDS, *LOW_RISK_WORDS))


def cookie_kind(category: CookieCategory) -> CookieKind:
    """``necessary`` only is always on; every other category can be switched off.

    A category set without consent that names no exemption (lint DW034) is treated as
    needing consent: it starts off, as the law would have it, whatever the register says.
    """
    if category.consent_required:
        return "consent"
    label = _label(category)
    if any(word in label for word in LOW_RISK_WORDS):
        return "exempt"
    if any(word in label for word in NECESSARY_WORDS):
        return "necessary"
    return "consent"
