"""UK-realistic synthetic values that pass dataward's own normalisers.

Faker (en_GB) fills pools of names and streets once per seed; every draw afterwards comes
from a ``random.Random`` so a run is fast and the same seed gives the same values. NI
numbers, mobile numbers and postcodes are generated here from the published rules rather
than by Faker, whose values do not always pass ``subjects.identities``.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

from faker import Faker
from phonenumbers import PhoneMetadata

# HMRC: D, F, I, Q, U, V are never used; O is never the second letter.
_NI_FIRST = "ABCEGHJKLMNOPRSTWXYZ"
_NI_SECOND = "ABCEGHJKLMNPRSTWXYZ"
# Prefixes HMRC never allocates, plus administrative ones (temporary numbers, OO, CR, ...).
_NI_NEVER = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ", "CR", "FY", "MW", "NC", "PP"})
NI_PREFIXES: tuple[str, ...] = tuple(
    a + b for a in _NI_FIRST for b in _NI_SECOND if a + b not in _NI_NEVER
)

# Letters allowed in the inward code of a postcode (never C, I, K, M, O, V).
_INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"

# Real postcode areas with their post towns and a district range that exists in each.
UK_AREAS: tuple[tuple[str, str, int], ...] = (
    ("NN", "Northampton", 18),
    ("NN", "Wellingborough", 9),
    ("MK", "Milton Keynes", 19),
    ("LE", "Leicester", 19),
    ("NG", "Nottingham", 22),
    ("DE", "Derby", 24),
    ("CV", "Coventry", 8),
    ("B", "Birmingham", 48),
    ("WV", "Wolverhampton", 14),
    ("WS", "Walsall", 9),
    ("DY", "Dudley", 9),
    ("ST", "Stoke-on-Trent", 10),
    ("M", "Manchester", 40),
    ("OL", "Oldham", 9),
    ("BL", "Bolton", 7),
    ("WN", "Wigan", 8),
    ("L", "Liverpool", 38),
    ("LS", "Leeds", 29),
    ("BD", "Bradford", 18),
    ("HD", "Huddersfield", 9),
    ("S", "Sheffield", 36),
    ("DN", "Doncaster", 12),
    ("HU", "Hull", 17),
    ("YO", "York", 32),
    ("NE", "Newcastle upon Tyne", 15),
    ("SR", "Sunderland", 8),
    ("TS", "Middlesbrough", 9),
    ("PE", "Peterborough", 8),
    ("NR", "Norwich", 14),
    ("IP", "Ipswich", 11),
    ("CB", "Cambridge", 5),
    ("OX", "Oxford", 4),
    ("RG", "Reading", 10),
    ("LU", "Luton", 7),
    ("BS", "Bristol", 16),
    ("EX", "Exeter", 6),
    ("PL", "Plymouth", 9),
    ("SO", "Southampton", 19),
    ("PO", "Portsmouth", 6),
    ("BN", "Brighton", 3),
    ("CF", "Cardiff", 24),
    ("SA", "Swansea", 9),
    ("NP", "Newport", 20),
)

EMAIL_DOMAINS = ("example.com", "example.org", "example.net")  # reserved: mail goes nowhere


@dataclass(frozen=True)
class NamePools:
    female_first: tuple[str, ...]
    male_first: tuple[str, ...]
    last: tuple[str, ...]
    streets: tuple[str, ...]

    def full_name(self, rng: random.Random) -> str:
        first = rng.choice(self.female_first if rng.random() < 0.5 else self.male_first)
        return f"{first} {rng.choice(self.last)}"


@cache
def name_pools(seed: int, size: int = 3000) -> NamePools:
    """Pools drawn once from Faker en_GB (unique values, sorted so only ``seed`` matters)."""
    fake = Faker("en_GB")
    fake.seed_instance(seed)

    def pool(draw: Callable[[], object]) -> tuple[str, ...]:
        return tuple(sorted({str(draw()) for _ in range(size)}))

    return NamePools(
        female_first=pool(fake.first_name_female),
        male_first=pool(fake.first_name_male),
        last=pool(fake.last_name),
        streets=pool(fake.street_name),
    )


def ni_number(rng: random.Random) -> str:
    """A National Insurance number with a prefix HMRC allocates, e.g. ``JK123456C``."""
    return f"{rng.choice(NI_PREFIXES)}{rng.randrange(1_000_000):06d}{rng.choice('ABCD')}"


def _mobile_prefixes() -> tuple[str, ...]:
    """Four-digit UK mobile blocks (07400-07999) in which every number is valid.

    Read from libphonenumber's own metadata, so the generator follows its updates.
    """
    metadata = PhoneMetadata.metadata_for_region("GB")
    assert metadata is not None
    assert metadata.mobile is not None
    pattern = re.compile(f"(?:{metadata.mobile.national_number_pattern})")
    return tuple(
        str(block)
        for block in range(7400, 8000)
        if all(
            pattern.fullmatch(f"{block}{digit}{tail}")
            for digit in range(10)
            for tail in ("00000", "99999")
        )
    )


MOBILE_PREFIXES = _mobile_prefixes()


def mobile_number(rng: random.Random) -> str:
    """A UK mobile number in E.164, e.g. ``+447911123456``."""
    return f"+44{rng.choice(MOBILE_PREFIXES)}{rng.randrange(1_000_000):06d}"


def postcode(rng: random.Random, area: str, districts: int) -> str:
    """A postcode in ``area`` whose format is valid, e.g. ``NN8 4GW``."""
    inward = f"{rng.randrange(10)}{rng.choice(_INWARD_LETTERS)}{rng.choice(_INWARD_LETTERS)}"
    return f"{area}{rng.randint(1, districts)} {inward}"


def _letters(text: str) -> str:
    return re.sub(r"[^a-z]", "", text.lower()) or "x"


def email_address(rng: random.Random, first: str, last: str, taken: set[str]) -> str:
    """A unique address on a reserved domain, shaped like a real one (``tom.reid84@...``)."""
    first_part, last_part = _letters(first), _letters(last)
    for attempt in range(1000):
        shape = rng.randrange(4)
        number = rng.randint(1, 99 if attempt < 5 else 99_999)
        local = (
            f"{first_part}.{last_part}",
            f"{first_part}.{last_part}{number}",
            f"{first_part[0]}{last_part}{number}",
            f"{first_part}{last_part}{number}",
        )[shape if attempt < 3 else 1]
        address = f"{local}@{rng.choice(EMAIL_DOMAINS)}"
        if address not in taken:
            taken.add(address)
            return address
    raise RuntimeError("could not draw a unique email address")  # pragma: no cover


def unique_ni_number(rng: random.Random, taken: set[str]) -> str:
    while True:
        value = ni_number(rng)
        if value not in taken:
            taken.add(value)
            return value


def customer_ref(number: int) -> str:
    return f"JTR{number:07d}"


def occupier_ref(number: int) -> str:
    return f"NOC{number:07d}"


def date_between(rng: random.Random, first: date, last: date) -> date:
    """A day in ``[first, last]`` (``first`` when the range is empty)."""
    span = (last - first).days
    return first + timedelta(days=rng.randint(0, span)) if span > 0 else first


def date_of_birth(rng: random.Random, today: date) -> date:
    """An adult's birthday: 18 to 85 years before ``today``."""
    return today - timedelta(days=rng.randint(18 * 366, 85 * 365))
