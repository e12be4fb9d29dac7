"""Who receives personal data and where it goes (RULES: NTC-01, NOT-01, ROP-01)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from dataward.register.models.common import Contact, Element, Id, Strict, Text, Unspecified

RecipientCondition = Literal[
    "always",
    "may",
    "only_with_consent",
    "only_where_law_requires",
    "only_if_authorised_by_subject",
    "only_when_relevant",
    "only_on_request",
    "limited_circumstances",
    "business_transfer",
]


class Recipient(Element):
    """A recipient, named (``organisation``) or described as a category."""

    kind: ClassVar[str] = "recipient"
    id: Id
    name: Text
    role: (
        Literal[
            "processor", "controller", "joint_controller", "public_authority", "unknown", "none"
        ]
        | None
    ) = None
    organisation: Text | None = Field(default=None, description="Set when the recipient is named.")
    description: Text | None = None
    subject_groups: list[Id] = Field(min_length=1)
    purposes: list[Id] = Field(default_factory=list)
    categories: list[Id] = Field(default_factory=list)
    condition: RecipientCondition | None = Field(
        default=None,
        description="When data goes to them: 'always', 'may' (the notice says it may), ...; "
        "silence renders nothing.",
    )
    condition_detail: Text | None = None
    never_for: list[Literal["marketing", "own_purposes"]] = Field(
        default_factory=list, description="Explicit never-statements, e.g. never for marketing."
    )
    located_in: list[Text] | Unspecified = Field(
        default_factory=list,
        description="Where they are, as the notice says; {unspecified: why} where the notice "
        "says it is unknown; absent: silent.",
    )
    privacy_notice_url: Text | None = None
    contract_reference: Text | None = None
    contacts: list[Contact] = Field(
        default_factory=list,
        description="How to reach them when a person's data they received is corrected, "
        "erased or restricted (NOT-01); an email contact is written to through the outbox.",
    )


class SharingPolicy(Element):
    """A statement about sharing in general ("we never share for marketing")."""

    kind: ClassVar[str] = "sharing_policy"
    id: Id
    statement: Text
    rule: Literal[
        "no_sharing_for_third_party_marketing",
        "recipients_bound_by_contract",
        "processors_only_on_instructions",
        "disclosure_details_on_request",
        "shared_for_listed_purposes_only",
        "none_at_present",
    ]


Safeguard = Literal[
    "adequacy", "idta", "addendum", "contract", "art49_derogation", "not_needed", "unspecified"
]


class Transfer(Element):
    kind: ClassVar[str] = "transfer"
    id: Id
    description: Text | None = None
    destinations: list[Text] = Field(
        min_length=1, description="Countries, 'EEA', or 'unknown' for any non-UK provider."
    )
    recipients: list[Id] = Field(default_factory=list)
    categories: list[Id] = Field(default_factory=list)
    safeguard: Safeguard | None = Field(
        default=None, description="Silence is linted like 'unspecified' (DW012)."
    )
    safeguard_detail: Text | None = None


class TransferPolicy(Element):
    """The general position: "nothing leaves the UK except to the EEA", notify on change."""

    kind: ClassVar[str] = "transfer_policy"
    statement: Text | None = None
    outside_uk: Literal["never", "eea_only", "outside_eea", "sometimes"] | Unspecified | None = (
        Field(
            default=None,
            description="never, eea_only, outside_eea (the notice frames transfers as leaving "
            "the EEA), sometimes; {unspecified: why} where the notice leaves it unknown; "
            "absent: silent (linted, DW043).",
        )
    )
    notify_subjects_on_change: bool | None = None
    safeguards_always_before_transfer: bool | None = None


UK_NAMES = frozenset(
    {"uk", "united kingdom", "great britain", "england", "wales", "scotland", "northern ireland"}
)


def in_uk(place: str) -> bool:
    """Whether a place the register (or a caseworker) names is in the UK."""
    return place.strip().lower() in UK_NAMES


class Transfers(Strict):
    policy: TransferPolicy | None = None
    items: list[Transfer] = Field(default_factory=list)


__all__ = [
    "Recipient",
    "RecipientCondition",
    "Safeguard",
    "SharingPolicy",
    "Strict",
    "Transfer",
    "TransferPolicy",
    "Transfers",
    "in_uk",
]
