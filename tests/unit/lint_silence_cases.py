"""Cases for the rules on silence (DW040-DW051): each breaks the clean base by leaving a
point out that the law needs stated, and meets the rule by stating it (or a stated gap)."""

from __future__ import annotations

from lint_fixtures import Case, add, drop, put, unspecified

RULE0 = ("retention_rules", 0)
CHANNEL = {"id": "offers", "channel": "email", "opt_out_routes": ["unsubscribe_link"]}
SURVEYS = {"id": "surveys", "name": "Satisfaction surveys", "optional": False}
DECISION = {"id": "rent_check", "name": "Affordability check", "safeguards": ["Human review."]}
RECIPIENT = {
    "id": "mail_host",
    "name": "Mail hosting provider",
    "role": "processor",
    "subject_groups": ["tenants"],
    "contract_reference": "Contract C-12",
}

SILENCE_CASES = [
    # RULES: SAR-03
    Case("DW040", (drop(("controller", "nation")),), ("controller", "nation")),
    # RULES: NTC-01
    Case(
        "DW041",
        (drop(("dpo", "appointed")),),
        ("dpo", "appointed"),
        (put(("dpo", "appointed"), False),),
    ),
    # RULES: NTC-01, LAW-01
    Case("DW042", (put(("purposes",), []),), ("purposes",)),
    # RULES: NTC-01
    Case(
        "DW043",
        (drop(("transfers",)),),
        ("transfers",),
        # A stated gap is not silence (DW900 reports it); listed transfers are a position.
        (put(("transfers", "policy", "outside_uk"), unspecified("The notice does not say.")),),
    ),
    # RULES: NTC-01, ADM-01
    Case(
        "DW044",
        (put(("automated_decisions",), {"in_use": True, "items": [DECISION]}),),
        ("automated_decisions", "items", 0, "legal_or_similar_effect"),
        (
            put(
                ("automated_decisions",),
                {"in_use": True, "items": [{**DECISION, "legal_or_similar_effect": False}]},
            ),
        ),
    ),
    # RULES: LAW-03, LAW-04
    Case(
        "DW045",
        (drop(("purposes", 0, "not_special")),),
        ("data_categories",),
        (
            drop(("purposes", 0, "not_special")),
            put(("data_categories", 0, "criminal_offence"), False),
        ),
    ),
    # RULES: RET-01
    Case("DW046", (drop((*RULE0, "action")),), (*RULE0, "action")),
    # RULES: MKT-01, MKT-04
    Case(
        "DW047",
        (put(("marketing",), {"carried_out": True, "channels": [CHANNEL]}),),
        ("marketing", "channels", 0, "basis"),
        (
            put(
                ("marketing",),
                {"carried_out": True, "channels": [{**CHANNEL, "basis": "consent"}]},
            ),
        ),
    ),
    # RULES: NTC-01, RET-01
    Case(
        "DW048",
        (put(("retention_rules",), []),),
        ("retention_rules",),
        (
            put(("retention_rules",), []),
            add(("retention_policies",), {"statement": "Only as long as necessary."}),
        ),
    ),
    # RULES: NTC-01
    Case(
        "DW049",
        (drop(("sharing_policies",)),),
        ("recipients",),
        (drop(("sharing_policies",)), add(("recipients",), RECIPIENT)),
    ),
    # RULES: OBJ-02
    Case("DW050", (drop(("marketing", "carried_out")),), ("marketing", "carried_out")),
    # RULES: NTC-01
    Case(
        "DW051",
        (add(("preferences",), {**SURVEYS, "default": "opted_in"}),),
        ("preferences", 0, "optional"),
        (add(("preferences",), {**SURVEYS, "default": "ask"}),),
    ),
]
