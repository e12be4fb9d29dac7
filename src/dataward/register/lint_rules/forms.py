"""Lint rules on the forms real notices use (issue 13): data kept with no end date, a
request the notice says must be in writing, ..."""

from __future__ import annotations

from collections.abc import Iterator

from dataward.register.lint import Hit, rule
from dataward.register.models import Register


# RULES: RET-01 (a period or the criteria that set it)
@rule("DW052", "warning", "Data kept with no end date and no reason given", "RET-01")
def no_end_date_without_reason(register: Register) -> Iterator[Hit]:
    for i, retention_rule in enumerate(register.retention_rules):
        if retention_rule.action == "no_end_date" and retention_rule.reason is None:
            yield Hit(
                ("retention_rules", i, "reason"),
                f"retention rule {retention_rule.id!r} keeps data with no end date but gives no "
                "reason: say why, as the notice does (storage limitation needs one)",
            )


# RULES: SAR-10 (a request may arrive by any channel, in writing or orally)
@rule("DW053", "warning", "A request the notice says must be in writing", "SAR-10")
def request_must_be_in_writing(register: Register) -> Iterator[Hit]:
    rights = register.rights
    if rights.how_to_conditions is not None and rights.how_to_conditions.in_writing:
        yield Hit(
            ("rights", "how_to_conditions", "in_writing"),
            "the notice says every request must be in writing: a request may be made by any "
            "channel, orally too; record it as the notice says, but accept spoken requests",
        )
    for i, item in enumerate(rights.items):
        if item.how_to_conditions is not None and item.how_to_conditions.in_writing:
            yield Hit(
                ("rights", "items", i, "how_to_conditions", "in_writing"),
                f"the notice says a request for the right {item.right.value!r} must be in "
                "writing: it may be made by any channel, orally too",
            )
