"""A child's competence when a parent asks for them (SAR-10; DPA 2018 s208 in Scotland)."""

from __future__ import annotations

from datetime import date

import pytest

from dataward.calendar import Nation
from dataward.requests.authority import age_on, competence_finding, twelve_or_over
from dataward.requests.errors import CompetenceNotAssessed, RequestInvalid


def test_it_counts_whole_years_on_the_day() -> None:
    assert age_on(date(2014, 5, 1), date(2026, 5, 1)) == 12
    assert age_on(date(2014, 5, 2), date(2026, 5, 1)) == 11
    assert age_on(date(2012, 2, 29), date(2024, 2, 28)) == 11
    assert age_on(date(2012, 2, 29), date(2024, 2, 29)) == 12


def test_it_reads_twelve_or_over_from_a_birthday_or_a_band() -> None:
    day = date(2026, 5, 1)
    assert twelve_or_over(date(2014, 5, 1), None, day) is True
    assert twelve_or_over(date(2014, 5, 2), "16_or_17", day) is False  # the birthday wins
    assert twelve_or_over(None, "12_to_15", day) is True
    assert twelve_or_over(None, "under_12", day) is False
    assert twelve_or_over(None, None, day) is None


def test_it_presumes_competence_only_in_scotland_from_twelve() -> None:
    assert competence_finding(Nation.SCT, True, None) == "presumed_competent"
    for nation in (Nation.ENG, Nation.WLS, Nation.NIR):
        with pytest.raises(CompetenceNotAssessed, match="outside Scotland"):
            competence_finding(nation, True, None)
    with pytest.raises(CompetenceNotAssessed, match="under 12"):
        competence_finding(Nation.SCT, False, None)
    with pytest.raises(CompetenceNotAssessed, match="date of birth or age band"):
        competence_finding(Nation.SCT, None, None)


def test_an_assessment_stands_and_may_rebut_the_presumption() -> None:
    assert competence_finding(Nation.SCT, True, "not_competent") == "not_competent"
    assert competence_finding(Nation.ENG, False, "assessed_competent") == "assessed_competent"
    with pytest.raises(RequestInvalid, match="competence must be"):
        competence_finding(Nation.ENG, True, "presumed_competent")  # never typed in
