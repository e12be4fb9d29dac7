"""Building blocks shared by every part of the register."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)]
"""Register element ids: lower snake case, so they read well in YAML and in URLs."""

FactRef = Annotated[str, StringConstraints(pattern=r"^[a-z_]+\.[a-z]+[0-9]+$", max_length=40)]
"""A fact of a reference notice, ``section.id`` (ids are unique only within a section)."""

Text = Annotated[str, StringConstraints(min_length=1, max_length=4000, strip_whitespace=True)]


class Strict(BaseModel):
    """Every register model rejects unknown keys: a typo is an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Element(Strict):
    """A register element that can express facts of a notice.

    ``kind`` names the element type for coverage checks and notice rendering.
    """

    kind: ClassVar[str] = "element"
    facts: list[FactRef] = Field(
        default_factory=list,
        description="Facts of the reference notice this element expresses (section.id).",
    )


class Unspecified(Strict):
    """The notice is silent or contradicts itself here; say so instead of inventing.

    The linter reports every ``unspecified`` (DW900) so a DPO sees each gap.
    """

    unspecified: Text = Field(description="Why the value is unknown, in the notice's terms.")


class Contact(Strict):
    """One way to reach someone: an email, phone number, postal address, web page or portal."""

    kind: Literal["email", "phone", "post", "web", "portal", "form", "in_person"]
    value: Text
    label: Text | None = None


ContactList = list[Contact]
