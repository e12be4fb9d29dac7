"""Cases for the rules on the forms real notices use (DW052 on): each breaks the clean base
with a form the law wants qualified, and meets the rule by qualifying it."""

from __future__ import annotations

from lint_fixtures import Case, put

RULE0 = ("retention_rules", 0)
NO_END = {
    "id": "tenancy_records",
    "name": "Tenancy records",
    "covers": {"datasets": ["tenancies"]},
    "action": "no_end_date",
}

FORMAT_CASES = [
    # RULES: RET-01
    Case(
        "DW052",
        (put(RULE0, NO_END),),
        (*RULE0, "reason"),
        (put(RULE0, {**NO_END, "reason": "Title deeds are kept for the life of the home."}),),
    ),
]

# RULES: SAR-10
FORMAT_CASES.append(
    Case(
        "DW053",
        (put(("rights", "items", 1, "how_to_conditions"), {"in_writing": True}),),
        ("rights", "items", 1, "how_to_conditions", "in_writing"),
        (put(("rights", "how_to_conditions"), {"in_writing": False, "mark_as": "SAR"}),),
    )
)

# RULES: MKT-05 (issue 15, item 6: an analytics cookie with a customer reference was
# "always on" and passed the linter)
IDENTIFYING_ANALYTICS = {
    "id": "account_analytics",
    "name": "Account analytics",
    "consent_required": False,
    "description": "Which pages of your account you visit, with your customer reference.",
    "identifies_subjects": True,
}
FORMAT_CASES.append(
    Case(
        "DW054",
        (put(("cookies",), {"used": True, "categories": [IDENTIFYING_ANALYTICS]}),),
        ("cookies", "categories", 0, "consent_required"),
        (
            put(
                ("cookies",),
                {"used": True, "categories": [{**IDENTIFYING_ANALYTICS, "consent_required": True}]},
            ),
        ),
    )
)

# RULES: SAR-05 (issue 16: the proof each right needs comes from the register)
FORMAT_CASES.append(
    Case(
        "DW055",
        (put(("rights", "items", 1, "identity_proof"), "none"),),
        ("rights", "items", 1, "identity_proof"),
        (put(("rights", "items", 1, "identity_proof"), "knowledge"),),
    )
)
