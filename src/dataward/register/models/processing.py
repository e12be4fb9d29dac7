"""What is processed about whom, where it comes from, and why (RULES: LAW-01..LAW-04)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field

from dataward.register.models.choices import WithdrawalEffect
from dataward.register.models.common import Element, Id, Strict, Text, Unspecified


class SubjectGroup(Element):
    kind: ClassVar[str] = "subject_group"
    id: Id
    name: Text
    description: Text | None = None


class SpecialCategory(StrEnum):
    """Art 9(1) special categories."""

    RACIAL_OR_ETHNIC_ORIGIN = "racial_or_ethnic_origin"
    POLITICAL_OPINIONS = "political_opinions"
    RELIGIOUS_OR_PHILOSOPHICAL_BELIEFS = "religious_or_philosophical_beliefs"
    TRADE_UNION_MEMBERSHIP = "trade_union_membership"
    GENETIC = "genetic"
    BIOMETRIC = "biometric"
    HEALTH = "health"
    SEX_LIFE = "sex_life"
    SEXUAL_ORIENTATION = "sexual_orientation"


class DataCategory(Element):
    """A category of data. ``collected: false`` records an explicit "we do not collect"."""

    kind: ClassVar[str] = "data_category"
    id: Id
    name: Text
    description: Text | None = None
    items: list[Text] = Field(default_factory=list, description="Fields or examples listed.")
    subject_groups: list[Id] = Field(default_factory=list)
    special_category: SpecialCategory | Unspecified | None = Field(
        default=None,
        description="The Art 9 kind; {unspecified: why} where the notice leaves it open "
        "(linted, DW900); absent: silent.",
    )
    criminal_offence: bool | Unspecified | None = Field(
        default=None,
        description="True: criminal offence data (Art 10); false: the notice says it is not; "
        "{unspecified: why}: left open; absent: silent.",
    )
    personal_data: bool | None = Field(
        default=None,
        description="False for aggregated or anonymous data the notice describes; "
        "silence is read as personal data, so every rule applies.",
    )
    collected: bool | None = Field(
        default=None,
        description="False where the notice says it is not collected; silence is read as "
        "held, since the notice lists it.",
    )
    note: Text | None = None

    @property
    def special_kind(self) -> SpecialCategory | None:
        """The Art 9 kind where the register states one; None for silence or a stated gap."""
        return self.special_category if isinstance(self.special_category, SpecialCategory) else None

    @property
    def criminal(self) -> bool:
        """True only where the register states criminal offence data (LAW-04)."""
        return self.criminal_offence is True

    @property
    def held(self) -> bool:
        """Held personal data: silence on ``collected`` and ``personal_data`` reads as held,
        since the notice lists the category; only a stated ``false`` takes it out."""
        return self.collected is not False and self.personal_data is not False


class Source(Element):
    kind: ClassVar[str] = "source"
    id: Id
    name: Text
    type: (
        Literal["direct", "third_party", "public", "observed", "automated", "derived", "none"]
        | None
    ) = None
    description: Text | None = None
    subject_groups: list[Id] = Field(default_factory=list)
    categories: list[Id] = Field(default_factory=list)


class LawfulBasis(StrEnum):
    """Art 6(1) bases; DUAA adds recognised legitimate interests."""

    CONSENT = "consent"
    CONTRACT = "contract"
    LEGAL_OBLIGATION = "legal_obligation"
    VITAL_INTERESTS = "vital_interests"
    PUBLIC_TASK = "public_task"
    LEGITIMATE_INTERESTS = "legitimate_interests"
    RECOGNISED_LEGITIMATE_INTERESTS = "recognised_legitimate_interests"


class ImpliedBasis(Strict):
    """The notice implies a basis without naming one: "we need it to deliver your order".

    Records what the notice says and invents nothing: every rule and engine reads it as no
    stated basis (LAW-01, DW001), so the DPO is asked to confirm and name it.
    """

    implied_by: Literal["contract"]
    note: Text | None = Field(default=None, description="The notice's words that imply it.")


class BasisUse(Strict):
    """One Art 6 basis of a purpose and the part of the processing it covers (LAW-01)."""

    basis: LawfulBasis | Unspecified | ImpliedBasis = Field(
        description="The Art 6 basis; {unspecified: why}; or {implied_by: contract} where the "
        "notice only implies it (read as no stated basis, DW001)."
    )
    covers: Text | None = Field(default=None, description="Which part of the purpose it covers.")
    legitimate_interest: Text | None = Field(
        default=None, description="The interest pursued, where the basis is legitimate interests."
    )
    lia_reference: Text | Unspecified | None = Field(
        default=None, description="Legitimate interests assessment record (LAW-02)."
    )
    consent_reference: Text | None = Field(
        default=None, description="Where consent is recorded (form, portal page)."
    )
    note: Text | None = None


class Art9Condition(StrEnum):
    EXPLICIT_CONSENT = "explicit_consent"  # 9(2)(a)
    EMPLOYMENT_SOCIAL_SECURITY = "employment_social_security"  # 9(2)(b)
    VITAL_INTERESTS = "vital_interests"  # 9(2)(c)
    NOT_FOR_PROFIT_BODY = "not_for_profit_body"  # 9(2)(d)
    MADE_PUBLIC = "made_public"  # 9(2)(e)
    LEGAL_CLAIMS = "legal_claims"  # 9(2)(f)
    SUBSTANTIAL_PUBLIC_INTEREST = "substantial_public_interest"  # 9(2)(g)
    HEALTH_OR_SOCIAL_CARE = "health_or_social_care"  # 9(2)(h)
    PUBLIC_HEALTH = "public_health"  # 9(2)(i)
    ARCHIVING_RESEARCH_STATISTICS = "archiving_research_statistics"  # 9(2)(j)


class Schedule1Condition(Strict):
    """A DPA 2018 Sch 1 condition, e.g. Part 2 para 18 (safeguarding)."""

    part: Literal[1, 2, 3]
    paragraph: int = Field(ge=1, le=40)
    name: Text


class SpecialCondition(Strict):
    """The condition for special category or criminal offence data, per purpose (LAW-03/04)."""

    categories: list[Id] = Field(min_length=1, description="Data categories it covers.")
    condition: Art9Condition | Literal["official_authority"] | Unspecified
    schedule_1: Schedule1Condition | None = None
    appropriate_policy_document: Text | Unspecified | None = None
    explanation: Text | None = None


class ProvisionRequirement(Strict):
    """Whether giving the data is required, and what follows if it is not (NTC-01)."""

    requirement: Literal["statutory", "contractual", "contract_entry", "optional"] | Unspecified
    consequence: Text | None = None


class Purpose(Element):
    kind: ClassVar[str] = "purpose"
    id: Id
    name: Text
    description: Text | None = None
    subject_groups: list[Id] = Field(min_length=1)
    categories: list[Id] = Field(default_factory=list)
    bases: list[BasisUse] = Field(default_factory=list)
    special_conditions: list[SpecialCondition] = Field(default_factory=list)
    not_special: bool | None = Field(
        default=None, description="True: the notice states no special category data is used."
    )
    provision: ProvisionRequirement | None = None
    withdrawal_route: list[Text] = Field(
        default_factory=list, description="How consent is withdrawn, where the basis is consent."
    )
    withdrawal: WithdrawalEffect | None = Field(
        default=None, description="What withdrawing consent stops, as the notice says."
    )
    marketing: bool | None = Field(
        default=None, description="Direct marketing (OBJ-02 applies); silence: not marketing."
    )
    profiling: bool | None = None
    notes: list[Text] = Field(default_factory=list)


class PurposePolicy(Element):
    """Commitments about purposes in general: limitation, compatible use, new purposes."""

    kind: ClassVar[str] = "purpose_policy"
    id: Id
    statement: Text
    applies_to: Literal[
        "all_purposes",
        "purpose_limitation",
        "compatible_use",
        "new_purpose_notification",
        "processing_without_consent",
        "lawful_bases_used",
        "legitimate_interests_balancing",
        "basis_definition",
    ]
    bases: list[LawfulBasis] = Field(default_factory=list)
