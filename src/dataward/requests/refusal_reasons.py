"""The legal reasons a request (or the one right a split request asks for) may be refused.

One list, here: the manifestly unfounded or excessive request (Art 12(5), SAR-08), the
exceptions to erasure (Art 17(3), ERA-02), erasure's grounds not being met (Art 17(1)), and
the DPA 2018 Schedules 2-4 exemptions, which access packages also withhold items under
(ACC-03, ``access.review``). Each has a stable code (the audit chain records only it), its
name in plain words and where the law says it. Pure: no database, no register.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dataward.requests.errors import RequestInvalid
from dataward.requests.wording import RIGHT_WORDS

ERASURE = ("erasure",)


class RefusalReasonUnknown(RequestInvalid):
    code = "refusal_reason_unknown"
    title = "Not a reason a request may be refused for"


class RefusalReasonNotForRight(RequestInvalid):
    code = "refusal_reason_not_for_right"
    title = "The reason does not apply to every right the request asks for"


@dataclass(frozen=True)
class RefusalReason:
    code: str
    # What the letter says, completing "We have decided not to act on ... because".
    because: str
    # Where the law says it, as the letter cites it.
    law: str
    # The rights it can refuse; empty: any right.
    rights: tuple[str, ...] = ()
    # The name access packages withhold under (ACC-03); empty: not a DPA exemption.
    exemption: str = ""

    @property
    def label(self) -> str:
        """A short name for a list to choose from: the exemption's, else the code's words."""
        return self.exemption or self.code.replace("_", " ").capitalize()


def _dpa(code: str, name: str, law: str) -> RefusalReason:
    return RefusalReason(
        f"dpa_{code}",
        f"an exemption in the Data Protection Act 2018 applies: {name.lower()}",
        law,
        exemption=name,
    )


REFUSAL_REASONS: tuple[RefusalReason, ...] = (
    # Every refusal before reasons had codes (migration 0034): the letter says what it said.
    RefusalReason(
        "manifestly_unfounded_or_excessive",
        "the request is manifestly unfounded or excessive",
        "Article 12(5) UK GDPR",
    ),
    RefusalReason(
        "manifestly_unfounded",
        "the request is manifestly unfounded",
        "Article 12(5) UK GDPR",
    ),
    RefusalReason(
        "manifestly_excessive",
        "the request is manifestly excessive",
        "Article 12(5) UK GDPR",
    ),
    RefusalReason(
        "no_erasure_ground",
        "none of the grounds for erasure applies: we still need the data for the purpose we "
        "collected it for, and no other ground in the law is met",
        "Article 17(1) UK GDPR",
        ERASURE,
    ),
    RefusalReason(
        "freedom_of_expression",
        "we need the data to exercise the right of freedom of expression and information",
        "Article 17(3)(a) UK GDPR",
        ERASURE,
    ),
    RefusalReason(
        "legal_obligation_to_keep",
        "the law requires us to keep the data",
        "Article 17(3)(b) UK GDPR",
        ERASURE,
    ),
    RefusalReason(
        "public_task",
        "we need the data to carry out a task in the public interest or to exercise official "
        "authority given to us",
        "Article 17(3)(b) UK GDPR",
        ERASURE,
    ),
    RefusalReason(
        "public_health",
        "we need the data for reasons of public interest in the area of public health",
        "Article 17(3)(c) UK GDPR",
        ERASURE,
    ),
    RefusalReason(
        "archiving_research_statistics",
        "we need the data for archiving in the public interest, scientific or historical "
        "research or statistics, and erasing it would make that impossible or seriously impair "
        "it",
        "Article 17(3)(d) UK GDPR",
        ERASURE,
    ),
    RefusalReason(
        "legal_claims",
        "we need the data to establish, exercise or defend legal claims",
        "Article 17(3)(e) UK GDPR",
        ERASURE,
    ),
    _dpa("crime_and_taxation", "Crime and taxation", "DPA 2018 Sch 2 para 2"),
    _dpa("immigration", "Immigration", "DPA 2018 Sch 2 para 4"),
    _dpa(
        "required_by_law",
        "Disclosure required by law or for legal proceedings",
        "DPA 2018 Sch 2 para 5",
    ),
    _dpa(
        "protecting_the_public", "Functions designed to protect the public", "DPA 2018 Sch 2 para 7"
    ),
    _dpa("regulatory_functions", "Regulatory functions", "DPA 2018 Sch 2 paras 8-12"),
    _dpa(
        "judicial",
        "Judicial appointments, independence and proceedings",
        "DPA 2018 Sch 2 para 14",
    ),
    _dpa("rights_of_others", "Protection of the rights of others", "DPA 2018 Sch 2 para 16"),
    _dpa("legal_privilege", "Legal professional privilege", "DPA 2018 Sch 2 para 19"),
    _dpa("self_incrimination", "Self-incrimination", "DPA 2018 Sch 2 para 20"),
    _dpa("corporate_finance", "Corporate finance", "DPA 2018 Sch 2 para 21"),
    _dpa("management_forecasts", "Management forecasts", "DPA 2018 Sch 2 para 22"),
    _dpa("negotiations", "Negotiations", "DPA 2018 Sch 2 para 23"),
    _dpa("confidential_references", "Confidential references", "DPA 2018 Sch 2 para 24"),
    _dpa("exams", "Exam scripts and exam marks", "DPA 2018 Sch 2 paras 25-26"),
    _dpa(
        "journalism_art_literature",
        "Journalistic, academic, artistic and literary purposes",
        "DPA 2018 Sch 2 para 26",
    ),
    _dpa("research_statistics", "Research and statistics", "DPA 2018 Sch 2 para 27"),
    _dpa("archiving", "Archiving in the public interest", "DPA 2018 Sch 2 para 28"),
    _dpa("health_serious_harm", "Health data: serious harm", "DPA 2018 Sch 3 Part 2"),
    _dpa("social_work_serious_harm", "Social work data: serious harm", "DPA 2018 Sch 3 Part 3"),
    _dpa("education_serious_harm", "Education data: serious harm", "DPA 2018 Sch 3 Part 4"),
    _dpa(
        "adoption_and_childrens_records",
        "Adoption, parental order and children's hearings records",
        "DPA 2018 Sch 4",
    ),
)
# Kept for the refusals made before reasons had codes; the console offers the two apart.
LEGACY = "manifestly_unfounded_or_excessive"
BY_CODE = {reason.code: reason for reason in REFUSAL_REASONS}
REFUSAL_CODES = tuple(BY_CODE)

# DPA 2018 Schedules 2-4 exemptions a caseworker may rely on to withhold an item from an
# access copy (ACC-03), as (name, where the Act says it): the same list, read for access.
DPA_EXEMPTIONS: tuple[tuple[str, str], ...] = tuple(
    (reason.exemption, reason.law) for reason in REFUSAL_REASONS if reason.exemption
)


def refusal_reason(code: str, rights: Sequence[str]) -> RefusalReason:
    """The reason ``code``, checked against every right the request asks for; a request
    that asks for more rights than the reason covers is split first (``requests.split``),
    so that the refusal is partial and the rest is answered."""
    reason = BY_CODE.get(code.strip())
    if reason is None:
        raise RefusalReasonUnknown(
            f"unknown refusal reason {code[:48]!r}: use one of {', '.join(REFUSAL_CODES)}"
        )
    others = [r for r in rights if reason.rights and r not in reason.rights]
    if others:
        named = ", ".join(RIGHT_WORDS.get(r, r) for r in others)
        raise RefusalReasonNotForRight(
            f"{reason.code} refuses only {', '.join(reason.rights)}, and the request also asks "
            f"for {named}: split the request and refuse the part it covers"
        )
    return reason


def reasons_for(rights: Sequence[str]) -> list[RefusalReason]:
    """The reasons that can refuse a request asking for ``rights``, as the console offers
    them (the old combined reason aside)."""
    return [
        r
        for r in REFUSAL_REASONS
        if r.code != LEGACY and all(not r.rights or right in r.rights for right in rights)
    ]
