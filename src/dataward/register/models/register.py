"""The register: one declarative record of processing for one organisation."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from dataward.register.models.choices import (
    AutomatedDecisions,
    Cookies,
    Marketing,
    Preference,
    Statement,
)
from dataward.register.models.common import Id, Strict
from dataward.register.models.organisation import (
    Controller,
    DataProtectionOfficer,
    NoticeMetadata,
)
from dataward.register.models.processing import (
    DataCategory,
    Purpose,
    PurposePolicy,
    Source,
    SubjectGroup,
)
from dataward.register.models.retention import (
    Dataset,
    Event,
    Hold,
    RetentionPolicy,
    RetentionRule,
)
from dataward.register.models.rights import Rights
from dataward.register.models.security import LintCommitment, Security
from dataward.register.models.sharing import Recipient, SharingPolicy, Transfers


class Register(Strict):
    """Top level of a register file. Sections appear in the rendered notice in this order."""

    dataward: Literal[1] = Field(description="Register format version.")
    organisation: Id = Field(description="Short id of the organisation, used in URLs.")
    controller: Controller
    # A section left out is a section the notice is silent about: an element whose fields
    # are all silent, so every reader (notice, linter, engines) sees the same silence.
    dpo: DataProtectionOfficer = Field(default_factory=DataProtectionOfficer)
    notice: NoticeMetadata = Field(default_factory=NoticeMetadata)
    subject_groups: list[SubjectGroup] = Field(default_factory=list)
    data_categories: list[DataCategory] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    purposes: list[Purpose] = Field(default_factory=list)
    purpose_policies: list[PurposePolicy] = Field(default_factory=list)
    recipients: list[Recipient] = Field(default_factory=list)
    sharing_policies: list[SharingPolicy] = Field(default_factory=list)
    transfers: Transfers = Field(default_factory=Transfers)
    marketing: Marketing = Field(default_factory=Marketing)
    preferences: list[Preference] = Field(default_factory=list)
    cookies: Cookies = Field(default_factory=Cookies)
    automated_decisions: AutomatedDecisions = Field(default_factory=AutomatedDecisions)
    rights: Rights = Field(default_factory=Rights)
    datasets: list[Dataset] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    holds: list[Hold] = Field(default_factory=list)
    retention_rules: list[RetentionRule] = Field(default_factory=list)
    retention_policies: list[RetentionPolicy] = Field(default_factory=list)
    security: Security = Field(default_factory=Security)
    commitments: list[LintCommitment] = Field(
        default_factory=list, description="Promises enforced by lint rules on the register."
    )
    statements: list[Statement] = Field(
        default_factory=list, description="Unstructured text: only other/security facts."
    )

    def group(self, group_id: str) -> SubjectGroup:
        for group in self.subject_groups:
            if group.id == group_id:
                return group
        raise KeyError(group_id)
