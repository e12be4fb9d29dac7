"""Identity kinds and their normalisation, so the same person is found whatever the spelling.

Each normaliser returns the canonical form stored (encrypted) and indexed (blind HMAC), or
raises ``InvalidIdentity`` with a message that never repeats the value (it is personal data).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from enum import StrEnum

import phonenumbers

from dataward.subjects.errors import InvalidIdentity


class IdentityKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    POSTCODE = "postcode"
    ADDRESS = "address"
    CUSTOMER_REF = "customer_ref"
    NI_NUMBER = "ni_number"
    DATE_OF_BIRTH = "date_of_birth"
    NAME = "name"


_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
# UK postcode: outward code (area, district) and inward code; GIR 0AA is the one oddity.
_POSTCODE = re.compile(
    r"^(GIR ?0AA|[A-PR-UWYZ][0-9][0-9A-HJKPSTUW]? ?[0-9][ABD-HJLNP-UW-Z]{2}|"
    r"[A-PR-UWYZ][A-HK-Y][0-9][0-9ABEHMNPRV-Y]? ?[0-9][ABD-HJLNP-UW-Z]{2})$"
)
_NINO = re.compile(r"^([A-CEGHJ-PR-TW-Z])([A-CEGHJ-NPR-TW-Z])(\d{6})([A-D])$")
_NINO_BAD_PREFIXES = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9/_.-]{0,63}$")


def normalise_email(value: str) -> str:
    email = value.strip().lower()
    if len(email) > 254 or not _EMAIL.match(email):
        raise InvalidIdentity("email address is not valid")
    return email


def normalise_phone(value: str) -> str:
    """E.164, reading national numbers as UK ones (RULES context: UK controllers)."""
    try:
        number = phonenumbers.parse(value, "GB")
    except phonenumbers.NumberParseException:
        raise InvalidIdentity("phone number is not valid") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentity("phone number is not valid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_postcode(value: str) -> str:
    compact = re.sub(r"\s+", "", value.upper())
    if not _POSTCODE.match(compact):
        raise InvalidIdentity("postcode is not a valid UK postcode")
    return f"{compact[:-3]} {compact[-3:]}"


def normalise_ni_number(value: str) -> str:
    """HMRC rules: two prefix letters (D, F, I, Q, U, V never; O not second; some pairs
    never allocated), six digits, suffix A-D."""
    compact = re.sub(r"\s+", "", value.upper())
    match = _NINO.match(compact)
    if not match or match.group(1) + match.group(2) in _NINO_BAD_PREFIXES:
        raise InvalidIdentity("National Insurance number is not valid")
    return compact


def normalise_date_of_birth(value: str) -> str:
    try:
        born = dt.date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidIdentity("date of birth must be YYYY-MM-DD") from None
    if born.year < 1900:
        raise InvalidIdentity("date of birth is before 1900")
    return born.isoformat()


def normalise_customer_ref(value: str) -> str:
    ref = value.strip()
    if not _REF.match(ref):
        raise InvalidIdentity("reference must be 1-64 letters, digits, / _ . or -")
    return ref.upper()


def normalise_text(value: str) -> str:
    text = re.sub(r"\s+", " ", value).strip()
    if not text or len(text) > 500:
        raise InvalidIdentity("value must be 1-500 characters")
    return text


def normalise_name(value: str) -> str:
    return normalise_text(value).casefold()


NORMALISERS: dict[IdentityKind, Callable[[str], str]] = {
    IdentityKind.EMAIL: normalise_email,
    IdentityKind.PHONE: normalise_phone,
    IdentityKind.POSTCODE: normalise_postcode,
    IdentityKind.ADDRESS: normalise_text,
    IdentityKind.CUSTOMER_REF: normalise_customer_ref,
    IdentityKind.NI_NUMBER: normalise_ni_number,
    IdentityKind.DATE_OF_BIRTH: normalise_date_of_birth,
    IdentityKind.NAME: normalise_name,
}


def parse_kind(value: str) -> IdentityKind:
    try:
        return IdentityKind(value)
    except ValueError:
        allowed = ", ".join(k.value for k in IdentityKind)
        raise InvalidIdentity(f"unknown identity kind {value!r}: use one of {allowed}") from None


def normalise(kind: IdentityKind, value: str, today: dt.date | None = None) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidIdentity(f"{kind.value} is empty")
    canonical = NORMALISERS[kind](value)
    if kind is IdentityKind.DATE_OF_BIRTH and today and dt.date.fromisoformat(canonical) > today:
        raise InvalidIdentity("date of birth is in the future")
    return canonical
