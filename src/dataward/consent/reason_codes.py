"""The stable code of every decision: what a caller switches on, whatever the words say.

A decision's ``reasons`` are sentences for people and may be reworded; its ``code`` names
the rule that settled the answer and never changes. Each code is listed in
docs/decisions.md (a test checks both directions).
"""

from __future__ import annotations

# Refusals
RESTRICTED = "restricted"  # RES-01
NO_LAWFUL_BASIS = "no_lawful_basis"  # LAW-01
NO_ART9_CONDITION = "no_art9_condition"  # LAW-03
NO_SCHEDULE_1_CONDITION = "no_schedule_1_condition"  # LAW-03
NO_POLICY_DOCUMENT = "no_policy_document"  # LAW-03
NO_CRIMINAL_OFFENCE_CONDITION = "no_criminal_offence_condition"  # LAW-04
OBJECTED = "objected"  # OBJ-01
OBJECTED_TO_MARKETING = "objected_to_marketing"  # OBJ-02
NO_CONSENT = "no_consent"  # LAW-05, MKT-01, MKT-03
CONSENT_WITHDRAWN = "consent_withdrawn"  # LAW-05
PREFERENCE_OFF = "preference_off"
OPTED_OUT = "opted_out"  # MKT-01, MKT-02, MKT-04
NO_MARKETING = "no_marketing"
CHANNEL_MISSING = "channel_missing"  # MKT-01
CHANNEL_NOT_DECLARED = "channel_not_declared"
NO_NUMBER = "no_number"  # MKT-02
TPS_NOT_SCREENED = "tps_not_screened"  # MKT-02
TPS_LISTED = "tps_listed"  # MKT-02
NO_SUBJECT = "no_subject"
SUPPRESSED = "suppressed"  # OBJ-02, issue 19: a shredded person's stop, kept by blind index

# Permissions
LAWFUL_BASIS = "lawful_basis"  # LAW-01
CONSENTED = "consented"  # LAW-05
SOFT_OPT_IN = "soft_opt_in"  # MKT-01
LEGITIMATE_INTERESTS = "legitimate_interests"  # MKT-02, MKT-04

REFUSALS = frozenset(
    {
        RESTRICTED,
        NO_LAWFUL_BASIS,
        NO_ART9_CONDITION,
        NO_SCHEDULE_1_CONDITION,
        NO_POLICY_DOCUMENT,
        NO_CRIMINAL_OFFENCE_CONDITION,
        OBJECTED,
        OBJECTED_TO_MARKETING,
        NO_CONSENT,
        CONSENT_WITHDRAWN,
        PREFERENCE_OFF,
        OPTED_OUT,
        NO_MARKETING,
        CHANNEL_MISSING,
        CHANNEL_NOT_DECLARED,
        NO_NUMBER,
        TPS_NOT_SCREENED,
        TPS_LISTED,
        NO_SUBJECT,
        SUPPRESSED,
    }
)
PERMISSIONS = frozenset({LAWFUL_BASIS, CONSENTED, SOFT_OPT_IN, LEGITIMATE_INTERESTS})
