"""Synthetic registers for benchmarks: valid for the models, sized by purposes and rules.

The shape follows the example registers (flow mappings for short elements, block style for
purposes and retention rules), so parsing cost per element is like a real register's.
Everything is derived from the counts: the same arguments always give the same text.
"""

from __future__ import annotations

HEADER = """\
dataward: 1
organisation: synthetic
controller:
  name: Synthetic Services
  legal_name: Synthetic Services Ltd
  registered_in: England and Wales
  company_number: "01234567"
  ico_registration: Z1234567
  nation: ENG
  description: A made-up controller sized for benchmarks.
  contacts:
    - {kind: email, value: dpo@synthetic.example}
    - {kind: post, value: "1 High Street, Leeds LS1 1AA"}
dpo:
  appointed: true
  name: Data Protection Officer
  contacts: [{kind: email, value: dpo@synthetic.example}]
notice:
  title: Privacy notice
  versions:
    - {id: "1", date: 2024-02-20, summary: First version.}
    - {id: "2", date: 2025-06-01, summary: New retention periods.}
  review_every_months: 12
  changes_approved_by: The board
"""

FOOTER = """\
transfers:
  policy: {statement: "We keep data in the UK.", outside_uk: never}
marketing: {carried_out: false}
cookies: {used: false}
automated_decisions: {in_use: false}
rights:
  how_to_exercise: [{kind: email, value: dpo@synthetic.example}]
  identity_check: {required: true, methods: [Two documents]}
  complaints: {ico_url: "https://ico.org.uk", statement: "You can complain to the ICO."}
  items:
    - {right: access, applies: always, description: Get a copy of your data.}
    - {right: rectification, applies: always, description: Have wrong data corrected.}
    - {right: erasure, applies: conditional, description: Have data deleted.}
"""

BASES = ("contract", "legal_obligation", "legitimate_interests", "consent", "public_task")
ACTIONS = ("delete", "anonymise", "review", "destroy")
OFFSETS = ("{days: 90}", "{working_days: 2}", "{months: 18}", "{years: 6}")
IDENTITIES = ("email", "customer_ref", "case_ref", "phone")


def scaled(count: int, per: int, floor: int) -> int:
    return max(floor, count // per)


def synthetic_register(purposes: int, rules: int) -> str:
    """A valid register with ``purposes`` purposes and ``rules`` retention rules."""
    groups = scaled(purposes, 10, 5)
    categories = scaled(purposes, 4, 10)
    datasets = scaled(rules, 5, 10)
    events = scaled(rules, 10, 5)
    holds = scaled(rules, 50, 3)
    out = [HEADER]

    out.append("subject_groups:\n")
    for g in range(groups):
        out.append(f"  - {{id: group_{g}, name: Group {g}, description: People of kind {g}.}}\n")

    out.append("data_categories:\n")
    for c in range(categories):
        special = ", special_category: health" if c % 25 == 7 else ""
        out.append(
            f"  - {{id: category_{c}, name: Category {c}, "
            f"subject_groups: [group_{c % groups}]{special}, "
            f"items: [field {c}a, field {c}b]}}\n"
        )

    out.append("purposes:\n")
    for p in range(purposes):
        basis = BASES[p % len(BASES)]
        out.append(
            f"  - id: purpose_{p}\n"
            f"    name: Purpose number {p}\n"
            f"    description: Why we process data for activity {p}.\n"
            f"    subject_groups: [group_{p % groups}, group_{(p + 1) % groups}]\n"
            f"    categories: [category_{p % categories}, category_{(p * 7) % categories}]\n"
            f"    bases:\n"
            f"      - basis: {basis}\n"
            f"        covers: The core of activity {p}\n"
        )
        if basis == "legitimate_interests":
            out.append(
                f"        legitimate_interest: Running activity {p} well\n"
                f"        lia_reference: LIA-{p:05d}\n"
            )
        if p % 25 == 7:
            out.append(
                f"    special_conditions:\n"
                f"      - categories: [category_{p % categories}]\n"
                f"        condition: explicit_consent\n"
            )
        out.append(f"    notes: [Reviewed in 2025, Owner team {p % 12}]\n")

    out.append("datasets:\n")
    for d in range(datasets):
        out.append(
            f"  - {{id: dataset_{d}, name: Dataset {d}, store: database_table, "
            f"entity: entity_{d % events}, categories: [category_{d % categories}], "
            f"identities: [{IDENTITIES[d % len(IDENTITIES)]}]}}\n"
        )

    out.append("events:\n")
    for e in range(events):
        out.append(f"  - {{id: event_{e}, name: Event {e}, entity: entity_{e}}}\n")

    out.append("holds:\n")
    for h in range(holds):
        out.append(
            f"  - {{id: hold_{h}, name: Hold {h}, reason: complaint, "
            f"on: entity_{h % events}, on_close: resume}}\n"
        )

    out.append("retention_rules:\n")
    for r in range(rules):
        out.append(
            f"  - id: rule_{r}\n"
            f"    name: Retention rule {r}\n"
            f"    subject_groups: [group_{r % groups}]\n"
            f"    covers: {{datasets: [dataset_{r % datasets}], "
            f"categories: [category_{r % categories}]}}\n"
            f"    trigger: {{any_of: [event_{r % events}, event_{(r + 3) % events}]}}\n"
            f"    offset: {OFFSETS[r % len(OFFSETS)]}\n"
            f"    action: {ACTIONS[r % len(ACTIONS)]}\n"
            f"    holds: [hold_{r % holds}]\n"
            f"    reason: Limitation period for activity {r}.\n"
        )

    out.append(FOOTER)
    return "".join(out)
