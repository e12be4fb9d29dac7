"""The demo's people: debtors and new occupiers, drawn first so they can be registered first.

Their identities are checked by dataward before the operational database is touched, so a
refused registration leaves an existing demo as it was.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

from dataward.demo import generators as gen
from dataward.subjects.bulk import SubjectRow

_TITLES_FEMALE = ("Mrs", "Ms", "Miss", "Mrs", "Ms", "Dr")
_TITLES_MALE = ("Mr", "Mr", "Mr", "Mr", "Dr")
NEW_OCCUPIER_SHARE = 0.06
VULNERABLE_SHARE = 0.15
YEARS = 8


@dataclass(frozen=True, slots=True)
class Address:
    line1: str
    line2: str | None
    town: str
    postcode: str


@dataclass(frozen=True, slots=True)
class Debtor:
    id: int
    customer_ref: str
    title: str
    first_name: str
    middle_name: str | None
    last_name: str
    date_of_birth: date
    ni_number: str | None
    email: str | None
    phone: str | None
    address: Address
    vulnerable: bool
    created_on: date
    female: bool

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(frozen=True, slots=True)
class NewOccupier:
    id: int
    occupier_ref: str
    debtor_id: int  # the customer our records say lived at the address before
    title: str
    first_name: str
    last_name: str
    email: str | None
    phone: str | None
    address: Address
    reported_on: date


@dataclass(frozen=True)
class People:
    debtors: list[Debtor]
    new_occupiers: list[NewOccupier]

    def subject_rows(self) -> Iterator[SubjectRow]:
        for debtor in self.debtors:
            pairs = [
                ("customer_ref", debtor.customer_ref),
                ("postcode", debtor.address.postcode),
                ("date_of_birth", debtor.date_of_birth.isoformat()),
            ]
            for kind, value in (
                ("email", debtor.email),
                ("phone", debtor.phone),
                ("ni_number", debtor.ni_number),
            ):
                if value is not None:
                    pairs.append((kind, value))
            yield SubjectRow(("customers",), tuple(pairs))
        for occupier in self.new_occupiers:
            pairs = [
                ("customer_ref", occupier.occupier_ref),
                ("postcode", occupier.address.postcode),
            ]
            for kind, value in (("email", occupier.email), ("phone", occupier.phone)):
                if value is not None:
                    pairs.append((kind, value))
            yield SubjectRow(("new_occupiers",), tuple(pairs))


def _address(rng: random.Random, pools: gen.NamePools) -> Address:
    area, town, districts = rng.choice(gen.UK_AREAS)
    line2 = f"Flat {rng.randint(1, 40)}" if rng.random() < 0.18 else None
    return Address(
        f"{rng.randint(1, 240)} {rng.choice(pools.streets)}",
        line2,
        town,
        gen.postcode(rng, area, districts),
    )


def _name(rng: random.Random, pools: gen.NamePools) -> tuple[bool, str, str, str]:
    female = rng.random() < 0.5
    title = rng.choice(_TITLES_FEMALE if female else _TITLES_MALE)
    first = rng.choice(pools.female_first if female else pools.male_first)
    return female, title, first, rng.choice(pools.last)


def draw_people(seed: int, subjects: int, today: date) -> People:
    """``subjects`` people in all: debtors, and new occupiers at about 6 % of their addresses."""
    rng = random.Random(f"{seed}:people")
    pools = gen.name_pools(seed)
    occupier_count = round(subjects * NEW_OCCUPIER_SHARE) if subjects > 1 else 0
    debtor_count = subjects - occupier_count
    emails: set[str] = set()
    ni_numbers: set[str] = set()
    start = today - timedelta(days=YEARS * 365)
    debtors: list[Debtor] = []
    for number in range(1, debtor_count + 1):
        female, title, first, last = _name(rng, pools)
        middle = rng.choice(pools.female_first if female else pools.male_first)
        debtors.append(
            Debtor(
                id=number,
                customer_ref=gen.customer_ref(number),
                title=title,
                first_name=first,
                middle_name=middle if rng.random() < 0.3 else None,
                last_name=last,
                date_of_birth=gen.date_of_birth(rng, today),
                ni_number=gen.unique_ni_number(rng, ni_numbers) if rng.random() < 0.85 else None,
                email=gen.email_address(rng, first, last, emails) if rng.random() < 0.9 else None,
                phone=gen.mobile_number(rng) if rng.random() < 0.95 else None,
                address=_address(rng, pools),
                vulnerable=rng.random() < VULNERABLE_SHARE,
                created_on=gen.date_between(rng, start, today - timedelta(days=14)),
                female=female,
            )
        )
    previous = rng.sample(debtors, occupier_count) if occupier_count else []
    occupiers: list[NewOccupier] = []
    for number, debtor in enumerate(sorted(previous, key=lambda d: d.id), start=1):
        _, title, first, last = _name(rng, pools)
        occupiers.append(
            NewOccupier(
                id=number,
                occupier_ref=gen.occupier_ref(number),
                debtor_id=debtor.id,
                title=title,
                first_name=first,
                last_name=last,
                email=gen.email_address(rng, first, last, emails) if rng.random() < 0.7 else None,
                phone=gen.mobile_number(rng) if rng.random() < 0.8 else None,
                address=debtor.address,
                reported_on=gen.date_between(rng, debtor.created_on, today),
            )
        )
    return People(debtors, occupiers)
