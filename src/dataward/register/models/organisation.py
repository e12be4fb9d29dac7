"""Who the controller is, its DPO and the notice's own metadata."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar, Literal

from pydantic import Field

from dataward.calendar import Nation
from dataward.register.models.common import Contact, Element, Strict, Text, Unspecified


class Address(Strict):
    lines: list[Text] = Field(min_length=1)
    postcode: Text | None = None
    label: Text | None = None


class RelatedOrganisation(Element):
    """A parent, group company or regulator named by the notice."""

    kind: ClassVar[str] = "related_organisation"
    name: Text
    relationship: Literal["parent", "subsidiary", "group_company", "regulator", "other"] | None = (
        None
    )
    description: Text | None = None
    registrations: list[Text] = Field(default_factory=list)
    address: Address | None = None


class Controller(Element):
    kind: ClassVar[str] = "controller"
    name: Text = Field(description="The name the notice uses, e.g. 'JTR Collections'.")
    legal_name: Text
    other_names: list[Text] = Field(
        default_factory=list,
        description="Trading names and other names the notice uses for the controller.",
    )
    legal_form: (
        Literal[
            "company", "community_benefit_society", "charity", "public_body", "partnership", "other"
        ]
        | None
    ) = None
    registered_in: (
        Literal["England and Wales", "England", "Wales", "Scotland", "Northern Ireland"] | None
    ) = None
    company_number: Text | None = None
    society_number: Text | None = None
    charity_number: Text | None = None
    registered_address: Address | None = None
    ico_registration: Text | Unspecified | None = None
    nation: Nation | None = Field(
        default=None,
        description="Whose bank holidays move deadlines (RULES: SAR-03); silence is linted "
        "(DW040) and every clock refuses it (nation_missing).",
    )
    description: Text | None = Field(
        default=None, description="What the organisation does and why it is a controller."
    )
    contacts: list[Contact] = Field(default_factory=list)
    related: list[RelatedOrganisation] = Field(default_factory=list)


class DataProtectionOfficer(Element):
    kind: ClassVar[str] = "dpo"
    appointed: bool | None = Field(
        default=None, description="Whether a DPO is appointed; silence renders nothing."
    )
    name: Text | None = None
    title: Text | None = None
    organisation: Text | None = None
    role: Text | None = Field(default=None, description="What the DPO does, as the notice says.")
    contacts: list[Contact] = Field(default_factory=list)


class NoticeVersion(Strict):
    id: Text
    date: dt.date | Unspecified | None = None
    summary: Text | None = None


class ChangePromise(Strict):
    """How the notice says people are told of significant changes (NTC-03): "we will email
    you about significant changes". ``channels`` decide how subjects are told: an email
    campaign runs only where the promise names email, or where the register is silent."""

    channels: list[Literal["email", "post", "website", "portal", "sms"]] = Field(
        min_length=1, description="How people are told, as the notice promises."
    )
    before_taking_effect: bool | None = Field(
        default=None, description="True: the notice promises to tell people before it applies."
    )
    statement: Text | None = None


class NoticeMetadata(Element):
    """The notice as a document: versions, review cycle and who approves changes."""

    kind: ClassVar[str] = "notice"
    title: Text | None = None
    versions: list[NoticeVersion] = Field(default_factory=list)
    review_every_months: int | Unspecified | None = Field(
        default=None,
        description="Review cycle; 'or earlier if the law changes' goes in review_triggers.",
    )
    review_triggers: list[Text] = Field(default_factory=list)
    changes_approved_by: Text | Unspecified | None = None
    published_at: Text | None = None
    signposted_in_communications: bool | None = None
    change_promise: ChangePromise | None = Field(
        default=None,
        description="How people are told of significant changes; silence: a significant "
        "change still makes an email campaign for the DPO to see.",
    )
    statements: list[Text] = Field(
        default_factory=list, description="What the notice says about itself and its changes."
    )
