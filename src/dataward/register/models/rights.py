"""Rights settings: which apply, how to use them, checks, fees, response (SAR-*, ACC-* ...)."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from dataward.register.models.choices import WithdrawalEffect
from dataward.register.models.common import Contact, Element, Id, Strict, Text, Unspecified


class Right(StrEnum):
    INFORMED = "informed"
    ACCESS = "access"
    RECTIFICATION = "rectification"
    ERASURE = "erasure"
    RESTRICTION = "restriction"
    PORTABILITY = "portability"
    OBJECTION = "objection"
    OBJECTION_DIRECT_MARKETING = "objection_direct_marketing"
    AUTOMATED_DECISIONS = "automated_decisions"
    NOT_TO_BE_PROFILED = "not_to_be_profiled"
    WITHDRAW_CONSENT = "withdraw_consent"
    COMPLAIN = "complain"


class Exemption(Strict):
    """An exemption relied on (ACC-03, ERA-02), e.g. DPA 2018 Sch 2 research and statistics."""

    name: Text
    legal_reference: Text | None = None
    applies_to: Text | None = None


class FeePolicy(Strict):
    normally: Literal["free", "fee"] | None = None
    when_unfounded_or_excessive: (
        Literal["reasonable_fee", "refuse", "fee_or_refuse", "none"] | None
    ) = None
    note: Text | None = None


class ResponseCommitment(Strict):
    """The response time promised (SAR-01, SAR-04). Silence promises nothing (DW021)."""

    months: int | None = Field(default=None, ge=1, le=1, description="UK GDPR: one month.")
    extension_months: int | Unspecified | None = Field(
        default=None, description="Further months for complex or numerous requests (max 2)."
    )
    tell_subject_of_extension: bool | None = None
    note: Text | None = None


class RequestForm(Strict):
    """What the notice asks of a request: "it must be in writing", "mark it 'SAR'".

    A request may still arrive by any channel (SAR-10): ``in_writing: true`` records what the
    notice says and is linted (DW053); it never lets a spoken request be turned away.
    """

    in_writing: bool | None = Field(
        default=None, description="The notice says a request must be in writing."
    )
    mark_as: Text | None = Field(
        default=None, description="How the notice asks a request to be marked or headed."
    )
    note: Text | None = None


# Proof of identity, weakest first: a right needing one is answered only after a check at
# least as strong (``requests.identity_strength``).
IdentityProof = Literal["none", "email", "knowledge", "document"]


class RightSetting(Element):
    """One right: whether and when it applies, and anything specific to it."""

    kind: ClassVar[str] = "right"
    right: Right
    applies: Literal["always", "conditional", "not_applicable"] | None = None
    description: Text | None = None
    conditions: list[Text] = Field(default_factory=list)
    grounds: list[Text] = Field(default_factory=list, description="E.g. erasure grounds.")
    may_refuse_when: list[Text] = Field(default_factory=list)
    exemptions: list[Exemption] = Field(default_factory=list)
    delivery: Literal["electronic_unless_requested", "same_as_request", "post", "any"] | None = None
    notify_recipients: bool | None = Field(default=None, description="Art 19 (NOT-01).")
    verify_accuracy: bool | None = None
    covers: Text | None = Field(default=None, description="E.g. portability: data provided.")
    routes: list[Contact] = Field(default_factory=list, description="Right-specific routes.")
    how_to_conditions: RequestForm | None = Field(
        default=None, description="What the notice asks of a request for this right."
    )
    fee: FeePolicy | None = None
    withdrawal: WithdrawalEffect | None = Field(
        default=None, description="On withdraw_consent: what withdrawing stops, and what not."
    )
    identity_proof: IdentityProof | None = Field(
        default=None,
        description="The proof of identity the notice says a request for this right needs: "
        "none, email (a code sent to an address on record), knowledge (questions only the "
        "person can answer) or document (ID seen). Silence: dataward's own default applies "
        "and the notice says nothing (DW055 checks the value).",
    )
    url: Text | None = None

    @model_validator(mode="after")
    def _withdrawal_only_on_withdraw_consent(self) -> RightSetting:
        if self.withdrawal is not None and self.right != Right.WITHDRAW_CONSENT:
            raise ValueError("withdrawal belongs on the right withdraw_consent only")
        return self


class IdentityCheck(Strict):
    required: bool | None = None
    description: Text | None = None
    methods: list[Text] = Field(default_factory=list)


# How firmly the notice asks people to complain to the organisation before the ICO (CMP-01):
# "required": the ICO route follows ours ("if you are still unhappy after contacting us");
# "encouraged": the ICO at any time, but "please contact us in the first instance".
BeforeIco = Literal["required", "encouraged"]


class ComplaintRoute(Element):
    """How to complain: to the organisation itself (its contacts, the same details as for
    rights, or dataward's online form), to the ICO, and any condition between the two.

    Every field but ``ico_url`` is optional; silence says nothing in the notice (CMP-01,
    NTC-01). ``complaints.route.complaint_route`` reads it for the form and the letters.
    """

    kind: ClassVar[str] = "complaint_route"
    ico_url: Text
    statement: Text | None = None
    contacts: list[Contact] = Field(
        default_factory=list,
        description="How to complain to the organisation itself; a contact's label says to "
        "whom (e.g. 'Data Protection Officer'). DW057 checks each can be used.",
    )
    use_rights_contacts: bool | None = Field(
        default=None,
        description="The notice says to complain using the same details as for using rights "
        "(rights.how_to_exercise).",
    )
    portal_form: bool | None = Field(
        default=None,
        description="The organisation takes complaints through dataward's online complaint "
        "form (CMP-01: 'an electronic form').",
    )
    before_ico: BeforeIco | None = Field(
        default=None,
        description="How firmly the notice asks people to complain to the organisation "
        "before the ICO: required or encouraged. Silence: the notice sets no condition.",
    )
    contact_controller_first: bool | None = Field(
        default=None,
        description="The older, coarser flag: true asks people to contact the organisation "
        "first (read as before_ico: encouraged); prefer before_ico.",
    )
    other_remedies_unaffected: bool | None = None
    outcome_within_days: int | None = Field(
        default=None,
        ge=1,
        le=365,
        description=(
            "The time the organisation promises to give the outcome of a complaint in, in "
            "days (CMP-01: without undue delay); silence promises nothing."
        ),
    )

    @model_validator(mode="after")
    def _before_ico_agrees_with_the_older_flag(self) -> ComplaintRoute:
        if self.before_ico is not None and self.contact_controller_first is False:
            raise ValueError(
                f"before_ico: {self.before_ico} asks people to contact the organisation first "
                "but contact_controller_first is false: state one (before_ico)"
            )
        return self


class InformationRequestPolicy(Strict):
    """A voluntary scheme for requests for information about the organisation itself.

    Not a data protection right: e.g. a housing association that the Freedom of Information
    Act does not cover but that still considers requests, with stated refusal grounds.
    """

    statement: Text
    may_refuse_when: list[Text] = Field(default_factory=list)
    considerations: list[Text] = Field(
        default_factory=list, description="What each request is weighed against."
    )
    decided_by: Text | None = Field(default=None, description="Who makes the final decision.")


class Rights(Element):
    kind: ClassVar[str] = "rights_policy"
    statement: Text | None = None
    how_to_exercise: list[Contact] = Field(default_factory=list)
    how_to_exercise_note: Text | None = None
    how_to_conditions: RequestForm | None = Field(
        default=None, description="What the notice asks of every request ('in writing')."
    )
    identity_check: IdentityCheck | None = None
    fees: FeePolicy | None = None
    response: ResponseCommitment | Unspecified | None = Field(
        default=None,
        description="The response time promised; {unspecified: why} where the notice gives "
        "none; silence promises nothing (both linted, DW021).",
    )
    may_ask_for_clarification: bool | None = Field(default=None, description="SAR-06 clock stop.")
    complaints: ComplaintRoute | None = Field(
        default=None, description="The ICO route; silence is linted (DW020)."
    )
    items: list[RightSetting] = Field(default_factory=list)
    information_requests: InformationRequestPolicy | None = Field(
        default=None, description="Voluntary requests for information about the organisation."
    )


__all__ = [
    "BeforeIco",
    "ComplaintRoute",
    "Exemption",
    "FeePolicy",
    "Id",
    "IdentityCheck",
    "IdentityProof",
    "InformationRequestPolicy",
    "RequestForm",
    "ResponseCommitment",
    "Right",
    "RightSetting",
    "Rights",
]
