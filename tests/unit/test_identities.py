"""Identity normalisation: the same person is found however the value is written."""

from __future__ import annotations

import datetime as dt

import pytest

from dataward.subjects.errors import InvalidIdentity
from dataward.subjects.identities import IdentityKind, normalise, parse_kind


@pytest.mark.parametrize(
    ("kind", "raw", "canonical"),
    [
        (IdentityKind.EMAIL, "  Jane.Doe@Example.CO.UK ", "jane.doe@example.co.uk"),
        (IdentityKind.PHONE, "07911 123456", "+447911123456"),
        (IdentityKind.PHONE, "+44 (0)20 7946 0018", "+442079460018"),
        (IdentityKind.POSTCODE, "nn89gw", "NN8 9GW"),
        (IdentityKind.POSTCODE, "EH41  3JL", "EH41 3JL"),
        (IdentityKind.POSTCODE, "sw1a1aa", "SW1A 1AA"),
        (IdentityKind.NI_NUMBER, "ab 12 34 56 c", "AB123456C"),
        (IdentityKind.DATE_OF_BIRTH, "1980-02-29", "1980-02-29"),
        (IdentityKind.CUSTOMER_REF, " jtr-00042 ", "JTR-00042"),
        (IdentityKind.NAME, "  Jane   DOE ", "jane doe"),
    ],
)
def test_it_normalises(kind: IdentityKind, raw: str, canonical: str) -> None:
    assert normalise(kind, raw) == canonical


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (IdentityKind.EMAIL, "jane.doe@"),
        (IdentityKind.EMAIL, "not an email"),
        (IdentityKind.PHONE, "12345"),
        (IdentityKind.PHONE, "07700 90012x"),
        (IdentityKind.POSTCODE, "NN8 9G"),
        (IdentityKind.POSTCODE, "QQ1 1AA"),  # Q never starts a postcode
        (IdentityKind.NI_NUMBER, "DA123456A"),  # D is never a first letter
        (IdentityKind.NI_NUMBER, "AO123456A"),  # O is never a second letter
        (IdentityKind.NI_NUMBER, "GB123456A"),  # never-allocated prefix
        (IdentityKind.NI_NUMBER, "AB123456E"),  # suffix is A-D
        (IdentityKind.NI_NUMBER, "AB12345C"),
        (IdentityKind.DATE_OF_BIRTH, "29/02/1980"),
        (IdentityKind.DATE_OF_BIRTH, "1850-01-01"),
        (IdentityKind.CUSTOMER_REF, "has space"),
        (IdentityKind.EMAIL, "   "),
    ],
)
def test_it_rejects_malformed_values_without_repeating_them(kind: IdentityKind, raw: str) -> None:
    with pytest.raises(InvalidIdentity) as caught:
        normalise(kind, raw)
    assert caught.value.code == "identity_invalid"
    assert raw.strip() not in caught.value.message or not raw.strip()


def test_it_rejects_a_date_of_birth_in_the_future() -> None:
    with pytest.raises(InvalidIdentity, match="future"):
        normalise(IdentityKind.DATE_OF_BIRTH, "2027-01-01", today=dt.date(2026, 11, 25))


def test_it_rejects_an_unknown_kind() -> None:
    with pytest.raises(InvalidIdentity, match="unknown identity kind"):
        parse_kind("shoe_size")
