"""Marketing channels under PECR, other contact choices, cookies and automated decisions."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, model_validator

from dataward.register.models.common import Element, Id, Strict, Text

Channel = Literal["email", "sms", "live_call", "automated_call", "post", "online_ads", "any"]
OptOutRoute = Literal[
    "unsubscribe_link", "contact_us", "portal", "survey_opt_out_link", "reply_stop", "any_time"
]


ChoicePlaceKind = Literal[
    "settings_page", "portal", "link_in_every_message", "cookie_banner", "account", "contact_us"
]


class ChoicePlace(Strict):
    """Where a person makes their cookie or marketing choices: a channel of its own, apart
    from the channels marketing is sent by ("change them on our settings page")."""

    where: ChoicePlaceKind
    url: Text | None = None
    description: Text | None = None


class WithdrawalEffect(Strict):
    """What withdrawing consent stops, and what it does not (LAW-05), as the notice says."""

    stops: list[Text] = Field(default_factory=list)
    does_not_stop: list[Text] = Field(
        default_factory=list, description="E.g. processing not based on consent."
    )
    earlier_processing_unaffected: bool | None = Field(
        default=None, description="Processing before the withdrawal stays lawful (Art 7(3))."
    )
    what_follows: Text | None = Field(
        default=None, description="What follows for the person ('we may not be able to ...')."
    )


class MarketingChannel(Element):
    """One channel of direct marketing and the PECR/UK GDPR basis it runs on (MKT-01..04)."""

    kind: ClassVar[str] = "marketing_channel"
    id: Id
    channel: Channel
    sender: Literal["own", "third_party"] | None = Field(
        default=None, description="Whose marketing it is; silence allows no soft opt-in."
    )
    basis: Literal["consent", "soft_opt_in", "legitimate_interests"] | None = Field(
        default=None, description="The PECR / UK GDPR basis; silence is linted (DW047)."
    )
    subject_groups: list[Id] = Field(default_factory=list)
    purposes: list[Id] = Field(default_factory=list)
    opt_out_routes: list[OptOutRoute] = Field(default_factory=list)
    soft_opt_in_conditions: Text | None = None
    withdrawal: WithdrawalEffect | None = None
    description: Text | None = None


class Marketing(Element):
    kind: ClassVar[str] = "marketing"
    carried_out: bool | None = Field(
        default=None,
        description="False: any marketing use must be refused; silence refuses it too.",
    )
    shares_for_third_party_marketing: bool | None = None
    profiling_for_marketing: bool | None = None
    statement: Text | None = None
    channels: list[MarketingChannel] = Field(default_factory=list)
    opt_out_excludes: list[Text] = Field(
        default_factory=list, description="What an opt-out does not cover (transaction data)."
    )
    choices_made_at: list[ChoicePlace] = Field(
        default_factory=list, description="Where marketing choices are made; silence: nothing."
    )


class Preference(Element):
    """A non-marketing choice a subject can make: surveys, newsletters, profiling, images."""

    kind: ClassVar[str] = "preference"
    id: Id
    name: Text
    topic: (
        Literal[
            "survey",
            "newsletter",
            "service_message",
            "profiling",
            "publication_images",
            "contact_method",
            "other",
        ]
        | None
    ) = None
    description: Text | None = None
    subject_groups: list[Id] = Field(default_factory=list)
    channels: list[Channel] = Field(default_factory=list)
    default: Literal["opted_in", "opted_out", "ask"] | None = Field(
        default=None,
        description="Where a person stands before choosing; silence: off until they choose.",
    )
    optional: bool | None = Field(
        default=None, description="Whether a person may turn it off; silence: not stated."
    )
    opt_out_routes: list[OptOutRoute] = Field(default_factory=list)
    purposes: list[Id] = Field(default_factory=list)


class CookieCategory(Element):
    kind: ClassVar[str] = "cookie_category"
    id: Id
    name: Text
    consent_required: bool
    description: Text | None = None
    records: list[Text] = Field(default_factory=list, description="What it records.")
    identifies_subjects: bool | None = None


class DurationException(Strict):
    """A cookie that lasts otherwise in a stated case: "30 days if you tick Remember me"."""

    when: Text = Field(description="The case, in the notice's words: 'if you tick Remember me'.")
    lasts: Text = Field(description="How long it lasts then: '30 days'.")


class Cookie(Element):
    kind: ClassVar[str] = "cookie"
    name: Text
    provider: Text | None = None
    category: Id
    purpose: Text | None = None
    duration: Text | None = None
    duration_exceptions: list[DurationException] = Field(
        default_factory=list, description="Cases where it lasts otherwise than `duration`."
    )

    @model_validator(mode="after")
    def _exceptions_need_a_duration(self) -> Cookie:
        if self.duration_exceptions and self.duration is None:
            raise ValueError("duration_exceptions are exceptions to a duration: state duration")
        return self


class Cookies(Element):
    kind: ClassVar[str] = "cookie_policy"
    used: bool | None = None
    policy_url: Text | None = None
    statements: list[Text] = Field(default_factory=list)
    browser_controls: Text | None = None
    choices_made_at: list[ChoicePlace] = Field(
        default_factory=list, description="Where cookie choices are made; silence: nothing."
    )
    subject_groups: list[Id] = Field(default_factory=list)
    categories: list[CookieCategory] = Field(default_factory=list)
    cookies: list[Cookie] = Field(default_factory=list)


class AutomatedDecision(Element):
    kind: ClassVar[str] = "automated_decision"
    id: Id
    name: Text
    description: Text | None = None
    profiling: bool | None = None
    legal_or_similar_effect: bool | None = None
    logic: Text | None = None
    subject_groups: list[Id] = Field(default_factory=list)
    safeguards: list[Text] = Field(default_factory=list)


class AutomatedDecisions(Element):
    kind: ClassVar[str] = "automated_decision_policy"
    in_use: bool | None = Field(
        default=None,
        description="Art 22 decisions with legal or similar effect exist; silence is linted.",
    )
    notify_before_starting: bool | None = None
    statement: Text | None = None
    items: list[AutomatedDecision] = Field(default_factory=list)


class Statement(Element):
    """Free text with no structure; only for the ``other`` and ``security`` sections."""

    kind: ClassVar[str] = "statement"
    id: Id
    topic: Literal["other", "security"]
    text: Text


__all__ = [
    "AutomatedDecision",
    "AutomatedDecisions",
    "Channel",
    "ChoicePlace",
    "ChoicePlaceKind",
    "Cookie",
    "CookieCategory",
    "Cookies",
    "DurationException",
    "Marketing",
    "MarketingChannel",
    "OptOutRoute",
    "Preference",
    "Statement",
    "Strict",
    "WithdrawalEffect",
]
