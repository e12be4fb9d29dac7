"""Audit actions written about consent, preferences, objections, restriction, TPS and cookies.

The values are stored in the chain: never change one. A consent record's action names its
kind and what happened to it, one constant for each pair.
"""

from __future__ import annotations

CONSENT_CONSENT_GIVEN = "consent.consent.given"
CONSENT_CONSENT_RENEWED = "consent.consent.renewed"
CONSENT_CONSENT_WITHDRAWN = "consent.consent.withdrawn"
CONSENT_SOFT_OPT_IN_GIVEN = "consent.soft_opt_in.given"
CONSENT_SOFT_OPT_IN_RENEWED = "consent.soft_opt_in.renewed"
CONSENT_SOFT_OPT_IN_WITHDRAWN = "consent.soft_opt_in.withdrawn"
CONSENT_PREFERENCE_GIVEN = "consent.preference.given"
CONSENT_PREFERENCE_RENEWED = "consent.preference.renewed"
CONSENT_PREFERENCE_WITHDRAWN = "consent.preference.withdrawn"

OBJECTION_DIRECT_MARKETING = "objection.direct_marketing"
OBJECTION_LEGITIMATE_INTERESTS = "objection.legitimate_interests"
OBJECTION_DECIDED = "objection.decided"
OBJECTION_SUPERSEDED = "objection.superseded"

RESTRICTION_STARTED = "restriction.started"
RESTRICTION_SUBJECT_TOLD = "restriction.subject_told"
RESTRICTION_LIFTED = "restriction.lifted"

TPS_IMPORTED = "tps.imported"
COOKIE_CONSENT_RECORDED = "cookie_consent.recorded"

SUPPRESSION_WRITTEN = "suppression.written"
SUPPRESSION_INHERITED = "suppression.inherited"
