"""DW058: ``keeps_for`` on a retention rule whose period an erasure plan cannot count.

RULES: ERA-02 (a legal obligation to keep, or legal claims, keeps the data until the period
ends; with no end to count, erasure keeps every row the rule covers, for good).
"""

from __future__ import annotations

from typing import Any

import pytest
from lint_fixtures import Mutation, build, drop, put, unspecified

from dataward.register.lint import lint

RULE0 = ("retention_rules", 0)
OBLIGATION = put((*RULE0, "keeps_for"), {"legal_obligation": "the Limitation Act 1980"})


def findings(*mutations: Mutation) -> list[tuple[Any, ...]]:
    return [
        (f.path, f.severity, f.message) for f in lint(build(*mutations)) if f.rule_id == "DW058"
    ]


@pytest.mark.parametrize(
    ("mutations", "why"),
    [
        (
            (put((*RULE0, "trigger"), unspecified("No event is named.")),),
            "its trigger is unspecified",
        ),
        (
            (put((*RULE0, "offset"), unspecified("No period is given.")),),
            "its offset is unspecified",
        ),
        (
            (drop((*RULE0, "offset")),),
            "its offset is missing",
        ),
        (
            (drop((*RULE0, "offset")), put((*RULE0, "kept_while"), {"state": "the debt is owed"})),
            "it lasts while the debt is owed, with no offset after",
        ),
        (
            (put((*RULE0, "offset"), {"as_soon_as_reasonably_necessary": True}),),
            "its offset is 'as soon as reasonably necessary'",
        ),
        (
            (
                drop((*RULE0, "trigger")),
                drop((*RULE0, "offset")),
                put((*RULE0, "action"), "no_end_date"),
                put((*RULE0, "reason"), "Title deeds are kept for the life of the building."),
            ),
            "the data is kept with no end date",
        ),
    ],
)
def test_it_warns_about_keeps_for_over_a_period_that_cannot_be_counted(
    mutations: tuple[Mutation, ...], why: str
) -> None:
    assert findings(OBLIGATION, *mutations) == [
        (
            (*RULE0, "keeps_for"),
            "warning",
            f"retention rule 'tenancy_records' keeps data for legal obligation but {why}: an "
            "erasure plan keeps every row of the datasets it covers, for good; give the trigger "
            "and the period the law sets, or leave keeps_for out",
        )
    ]


@pytest.mark.parametrize(
    "offset",
    [
        {"years": 6},
        {"working_days": 10},
        {"months": 3},
        {"days": 90},
        {"end_of_year_plus_years": 6},
    ],
)
def test_it_is_quiet_on_a_period_that_can_be_counted(offset: dict[str, int]) -> None:
    assert findings(OBLIGATION, put((*RULE0, "offset"), offset)) == []


def test_it_names_legal_claims_and_is_silent_without_keeps_for() -> None:
    uncounted = put((*RULE0, "offset"), {"as_soon_as_reasonably_necessary": True})
    claims = put((*RULE0, "keeps_for"), {"legal_claims": "claims under the Limitation Act"})

    assert "keeps data for legal claims but" in findings(claims, uncounted)[0][2]
    assert findings(uncounted) == []
