"""Security measures and the breach procedure (RULES: BRE-01..BRE-04)."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import Field, StringConstraints

from dataward.register.models.common import Element, Id, Strict, Text


class SecurityMeasure(Element):
    kind: ClassVar[str] = "security_measure"
    id: Id
    type: (
        Literal["technical", "organisational", "physical", "contractual", "certification"] | None
    ) = None
    description: Text
    status: Literal["in_place", "in_progress"] | None = None


class InternalReport(Strict):
    to: Literal["dpo", "privacy_team", "management"] | None = None
    deadline: Literal["immediately", "same_working_day", "next_working_day"] | None = None
    contents: list[Text] = Field(default_factory=list)


class BreachProcedure(Element):
    kind: ClassVar[str] = "breach_procedure"
    statement: Text | None = None
    internal_report: InternalReport | None = None
    decided_by: Literal["dpo", "privacy_team", "management"] | None = None
    ico_report_hours: int | None = Field(default=None, ge=1, le=72)
    ico_clock_starts: Literal["awareness", "occurrence"] | None = Field(
        default=None,
        description="BRE-02 runs from awareness; a notice may promise from occurrence (stricter).",
    )
    notify_subjects_when: Literal["high_risk", "legally_required", "always"] | None = None
    notify_third_parties: Text | None = None
    report_route: list[Text] = Field(
        default_factory=list, description="How anyone reports a suspected breach."
    )


class Security(Strict):
    measures: list[SecurityMeasure] = Field(default_factory=list)
    breach_procedure: BreachProcedure | None = None
    processor_checks: bool | None = Field(
        default=None,
        description="True: processors are checked and contracted before data is given.",
    )


class LintCommitment(Element):
    """A notice promise the linter enforces on the register itself (e.g. 'every purpose has
    a basis'). The rule must exist in ``dataward register lint-rules``."""

    kind: ClassVar[str] = "lint_commitment"
    id: Id
    lint_rule: Annotated[str, StringConstraints(pattern=r"^DW[0-9]{3}$")]
    statement: Text
