"""Lint rules on the forms real notices use (issue 13): data kept with no end date, ..."""

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
