"""What the register says about consent and contact, read once per register version.

Decisions run millions of times per campaign; parsing the register each time would
dominate, so the parts decisions need are a view of the process's one parse of the stored
register (``publication.parsed``), kept per content hash and version: a new version is a
new key, so nothing stale is ever served.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import text

from dataward.consent.conditions import ConditionGap, condition_gaps
from dataward.consent.errors import (
    ConsentInvalid,
    UnknownChannel,
    UnknownPreference,
    UnknownPurpose,
)
from dataward.publication.models import RegisterVersion
from dataward.publication.parsed import derived, known
from dataward.publication.registers import current_version
from dataward.register.loader import LoadedRegister
from dataward.register.models import Register
from dataward.register.models.choices import MarketingChannel, Preference
from dataward.register.models.processing import DataCategory, LawfulBasis, Purpose
from dataward.uow import UnitOfWork

CONTACT_CHANNELS = ("email", "sms", "live_call", "automated_call", "post", "online_ads")
# "request": a change a rights request made (an objection or withdrawal takes effect at once).
METHODS = ("web_form", "phone", "paper", "in_person", "email", "portal", "import", "request")
# A question about marketing in general: answered from the register's marketing section,
# so a register that does no marketing (JTR's fact m1) refuses it on every channel.
DIRECT_MARKETING = "direct_marketing"


@dataclass(frozen=True)
class PurposeRules:
    id: str
    name: str
    bases: frozenset[str]
    unspecified: bool
    marketing: bool
    withdrawal_route: tuple[str, ...]
    # LAW-03/LAW-04: conditions its special category or criminal offence data lacks.
    condition_gaps: tuple[ConditionGap, ...]

    @property
    def consent_only(self) -> bool:
        return self.bases == {LawfulBasis.CONSENT.value}

    @property
    def objectable(self) -> bool:
        """OBJ-01 applies: the purpose rests on legitimate interests or public task."""
        return bool(
            self.bases
            & {
                LawfulBasis.LEGITIMATE_INTERESTS.value,
                LawfulBasis.PUBLIC_TASK.value,
                LawfulBasis.RECOGNISED_LEGITIMATE_INTERESTS.value,
            }
        )


@dataclass(frozen=True)
class Policy:
    organisation: str
    register_version: int
    notice_versions: tuple[str, ...]
    marketing_carried_out: bool
    """True only where the register states it: silence is never permission to market."""
    marketing_statement: str | None
    purposes: dict[str, PurposeRules]
    channels: tuple[MarketingChannel, ...]
    preferences: dict[str, Preference]
    register: Register = field(repr=False)
    marketing_silent: bool = False
    """The register does not say whether it markets: refusals say so rather than "none"."""

    @property
    def current_notice_version(self) -> str:
        if not self.notice_versions:
            # LAW-05: consent records what the person was shown; a register that names no
            # notice version leaves nothing to record.
            raise ConsentInvalid(
                f"the register of {self.organisation} states no notice version: add one under "
                "notice.versions so consent can be tied to what the person was shown (LAW-05)"
            )
        return self.notice_versions[-1]

    def purpose(self, purpose_id: str) -> PurposeRules:
        if purpose_id == DIRECT_MARKETING:
            # Marketing in general uses no data of its own: each declared purpose has its own.
            return PurposeRules(
                DIRECT_MARKETING, "Direct marketing", frozenset(), False, True, (), ()
            )
        found = self.purposes.get(purpose_id)
        if found is None:
            raise UnknownPurpose(
                f"purpose {purpose_id[:80]!r} is not in the register of {self.organisation}"
            )
        return found

    def preference(self, preference_id: str) -> Preference:
        found = self.preferences.get(preference_id)
        if found is None:
            raise UnknownPreference(
                f"preference {preference_id[:80]!r} is not in the register of {self.organisation}"
            )
        return found

    def channels_for(self, purpose_id: str, channel: str) -> list[MarketingChannel]:
        """Marketing channels of the register that cover this purpose on this channel."""
        return [
            c
            for c in self.channels
            if (c.channel == channel or c.channel == "any")
            and (purpose_id == DIRECT_MARKETING or not c.purposes or purpose_id in c.purposes)
        ]

    def preferences_for(self, purpose_id: str) -> list[Preference]:
        return [p for p in self.preferences.values() if purpose_id in p.purposes]


def check_channel(channel: str | None) -> str | None:
    if channel is None or channel == "":
        return None
    if channel not in CONTACT_CHANNELS:
        raise UnknownChannel(
            f"channel {channel[:40]!r} is not one of {', '.join(CONTACT_CHANNELS)}"
        )
    return channel


# The view's key names the version too: the same text stored again later (a register put
# back as it was) is a new version, and consent records name the version they were given under.
_VIEW = "consent.policy"
# Asked before every decision: a fixed text skips building and caching an ORM query.
_NEWEST = text(
    "SELECT version, content_hash FROM register_versions WHERE organisation = :organisation "
    "ORDER BY version DESC LIMIT 1"
)


def cached_policy(newest: tuple[int, str] | None) -> Policy | None:
    """The policy of register version ``newest`` (version, content hash) if this process
    has it already; None means ``policy_for`` must read it."""
    if newest is None:
        return None
    return known(newest[1], (_VIEW, newest[0]), Policy)


def policy_for(
    uow: UnitOfWork, organisation: str, *, newest: tuple[int, str] | None = None
) -> Policy:
    """The policy of the newest register; ``newest`` (version, content hash) if the
    caller read it already, in the same query as something else."""
    if newest is None:
        # Only the version and hash are read on a hit: the stored text is large.
        found = uow.session.execute(_NEWEST, {"organisation": organisation}).first()
        newest = (found[0], found[1]) if found is not None else None
    cached = cached_policy(newest)
    if cached is not None:
        return cached
    row = current_version(uow, organisation)
    return derived(row, (_VIEW, row.version), lambda loaded: _policy(row, loaded))


def _policy(row: RegisterVersion, loaded: LoadedRegister) -> Policy:
    register = loaded.register
    purposes = {}
    categories = {c.id: c for c in register.data_categories}
    for p in register.purposes:
        purposes[p.id] = _rules(p, categories)
    return Policy(
        organisation=row.organisation,
        register_version=row.version,
        notice_versions=tuple(v.id for v in register.notice.versions),
        marketing_carried_out=register.marketing.carried_out is True,
        marketing_silent=register.marketing.carried_out is None,
        marketing_statement=register.marketing.statement,
        purposes=purposes,
        channels=tuple(register.marketing.channels) if register.marketing.carried_out else (),
        preferences={p.id: p for p in register.preferences},
        register=register,
    )


def _rules(purpose: Purpose, categories: Mapping[str, DataCategory]) -> PurposeRules:
    bases = frozenset(b.basis.value for b in purpose.bases if isinstance(b.basis, LawfulBasis))
    unspecified = not bases
    return PurposeRules(
        purpose.id,
        purpose.name,
        bases,
        unspecified,
        purpose.marketing is True,
        tuple(purpose.withdrawal_route),
        condition_gaps(purpose, categories),
    )
