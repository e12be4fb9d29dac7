"""Datasets, events, holds and retention rules (RULES: RET-01..RET-03)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from dataward.register.models.common import Element, Id, Strict, Text, Unspecified

Identity = Literal[
    "email",
    "phone",
    "customer_ref",
    "case_ref",
    "ni_number",
    "address",
    "name",
    "date_of_birth",
    "vehicle_registration",
    "account_id",
    "ip_address",
    "none",
]


class Dataset(Element):
    """Where data lives. Declaration only here; connectors come later."""

    kind: ClassVar[str] = "dataset"
    id: Id
    name: Text
    store: (
        Literal["database_table", "file_store", "paper", "saas", "spreadsheet", "email"] | None
    ) = None
    system: Text | None = None
    entity: Id = Field(description="What one record is (case, recording, evidence, customer).")
    categories: list[Id] = Field(default_factory=list)
    subject_groups: list[Id] = Field(default_factory=list)
    identities: list[Identity] = Field(default_factory=list, description="How a subject is found.")
    location: Text | Unspecified | None = Field(
        default=None,
        description="Where the data is held, as the notice says; {unspecified: why} where "
        "the notice says it is unknown; absent: silent.",
    )
    description: Text | None = None


class Event(Element):
    """Something that happens to an entity and can start a retention clock."""

    kind: ClassVar[str] = "event"
    id: Id
    name: Text
    entity: Id
    description: Text | None = None


class Offset(Strict):
    """How long after the trigger. Exactly one form is given."""

    days: int | None = Field(default=None, ge=0)
    working_days: int | None = Field(default=None, ge=0)
    months: int | None = Field(default=None, ge=0)
    years: int | None = Field(default=None, ge=0)
    end_of_year_plus_years: int | None = Field(
        default=None, ge=0, description="End of the calendar year of the event plus N years."
    )
    as_soon_as_reasonably_necessary: bool | None = None
    review_every_days: int | None = Field(
        default=None, ge=1, description="With as_soon_as_reasonably_necessary: review period."
    )
    up_to: bool | None = Field(
        default=None, description="True: 'kept for up to' rather than 'kept for'."
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> Offset:
        forms = [
            self.days,
            self.working_days,
            self.months,
            self.years,
            self.end_of_year_plus_years,
            self.as_soon_as_reasonably_necessary,
        ]
        given = sum(1 for f in forms if f is not None)
        if given != 1:
            raise ValueError(
                "give exactly one of days, working_days, months, years, "
                "end_of_year_plus_years, as_soon_as_reasonably_necessary"
            )
        return self


class RestartAfter(Strict):
    """When a hold closes, the data waits this long after the closure, then the action runs."""

    restart_after: Offset


class RestartRule(Strict):
    """When a hold closes, the rule's own offset runs again from its next trigger event."""

    restart_rule: Literal[True]


HoldOnClose = RestartAfter | RestartRule | Literal["resume", "keep"] | Unspecified


HoldReason = Literal[
    "complaint",
    "investigation",
    "litigation",
    "debt_outstanding",
    "live_case",
    "evidence",
    "legal_matter",
    "restriction",
    "other",
]


class Hold(Element):
    """A legal hold that suspends deletion (RET-02, ERA-02)."""

    kind: ClassVar[str] = "hold"
    id: Id
    name: Text
    reason: HoldReason | None = None
    on: list[Id] = Field(
        min_length=1,
        description="The entities the hold sits on (the complaint is on the case); one id "
        "or a list: 'a complaint holds the case and the customer account'.",
    )
    description: Text | None = None
    on_close: HoldOnClose | None = Field(
        default=None, description="What happens when the hold ends; silence is linted (DW018)."
    )

    @field_validator("on", mode="before")
    @classmethod
    def _one_entity_is_a_list_of_one(cls, value: object) -> object:
        # Registers written before holds could sit on several entities say `on: case`.
        return [value] if isinstance(value, str) else value


class Coverage(Strict):
    datasets: list[Id] = Field(default_factory=list)
    categories: list[Id] = Field(default_factory=list)
    all_data_of_groups: list[Id] = Field(
        default_factory=list, description="'All customer data' for these subject groups."
    )
    except_datasets: list[Id] = Field(default_factory=list)
    except_categories: list[Id] = Field(default_factory=list)


class Trigger(Strict):
    """The event that starts the clock; several alternatives mean 'whichever comes first'."""

    any_of: list[Id] = Field(min_length=1)
    latest_of_entity: bool | None = Field(
        default=None, description="True: use the latest such event (the last case returned)."
    )


RetentionAction = Literal[
    "delete",
    "anonymise",
    "anonymise_or_destroy",
    "review",
    "never_stored",
    "destroy",
    "no_end_date",
]
"""``no_end_date``: the notice says the data is kept with no end date (archives, title deeds);
such a rule has no trigger, offset or kept_while, since nothing ends it."""


class KeptWhile(Strict):
    """A period bound to a state rather than an offset: "while your tenancy lasts".

    The rule's ``trigger``, when given, is the event that ends the state; its ``offset``,
    when given, runs from that event ("while you are a member, then six years"). Without an
    offset the action runs when the state ends.
    """

    state: Text = Field(
        description="What lasts, in the notice's words after 'while': 'your tenancy lasts'."
    )


class KeepsFor(Strict):
    """ERA-02: the period is one the law makes the organisation keep the data for.

    Exactly one form, each in the notice's own words: ``legal_obligation`` names the law
    that requires keeping ("the Limitation Act 1980"), ``legal_claims`` the claims the data
    is kept to establish, exercise or defend. Absent on the rule: the notice is silent, and
    erasure keeps nothing for the rule.
    """

    legal_obligation: Text | None = Field(
        default=None, description="The law that requires keeping the data, as the notice names it."
    )
    legal_claims: Text | None = Field(
        default=None,
        description="The legal claims the data is kept for (a limitation period), as the "
        "notice names them.",
    )

    @model_validator(mode="after")
    def _exactly_one(self) -> KeepsFor:
        if (self.legal_obligation is None) == (self.legal_claims is None):
            raise ValueError("give exactly one of legal_obligation or legal_claims")
        return self

    @property
    def ground(self) -> str:
        """``legal_obligation`` or ``legal_claims``: the erasure plan's reason code."""
        return "legal_obligation" if self.legal_obligation is not None else "legal_claims"

    @property
    def words(self) -> str:
        return self.legal_obligation or self.legal_claims or ""


class RetentionRule(Element):
    kind: ClassVar[str] = "retention_rule"
    id: Id
    name: Text
    description: Text | None = None
    subject_groups: list[Id] = Field(default_factory=list)
    covers: Coverage = Field(default_factory=Coverage)
    trigger: Trigger | Unspecified | None = Field(
        default=None, description="Absent only for action never_stored."
    )
    offset: Offset | Unspecified | None = None
    kept_while: KeptWhile | None = Field(
        default=None,
        description="Kept while a state lasts ('while your tenancy lasts'); absent: silent.",
    )
    action: RetentionAction | None = Field(
        default=None, description="What happens at the end; silence is linted (DW046)."
    )
    holds: list[Id] = Field(default_factory=list)
    restriction_is_hold: bool | None = Field(
        default=None,
        description="RES-01: true where the notice says restricted data waits; silence renders "
        "nothing.",
    )
    reason: Text | None = Field(default=None, description="Why the period is what it is.")
    keeps_for: KeepsFor | None = Field(
        default=None,
        description="ERA-02: the period is a legal obligation to keep, or a legal-claims "
        "limitation period (erasure keeps the data until it ends); absent: silent.",
    )

    @model_validator(mode="after")
    def _no_end_has_no_period(self) -> RetentionRule:
        # Data kept with no end date has nothing that ends it: a period beside it would be a
        # second, contradicting statement.
        if self.action == "no_end_date":
            given = [
                name
                for name in ("trigger", "offset", "kept_while")
                if getattr(self, name) is not None
            ]
            if given:
                raise ValueError(
                    f"action no_end_date keeps the data with no end: leave out {', '.join(given)}"
                )
        return self


class RetentionPolicy(Element):
    """General retention statements: 'only as long as necessary', how periods are set."""

    kind: ClassVar[str] = "retention_policy"
    statement: Text
    criteria: list[Text] = Field(default_factory=list)
    schedule_available_from: Text | None = None
    more_information: Text | None = None


__all__ = [
    "Coverage",
    "Dataset",
    "Event",
    "Hold",
    "HoldOnClose",
    "Identity",
    "KeepsFor",
    "KeptWhile",
    "Offset",
    "RestartAfter",
    "RestartRule",
    "RetentionAction",
    "RetentionPolicy",
    "RetentionRule",
    "Trigger",
]
