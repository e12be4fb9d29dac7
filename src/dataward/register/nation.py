"""The controller's nation, the one input every UK deadline needs (RULES: SAR-03).

Every clock that counts working days or moves a deadline off a bank holiday asks for the
nation here, so a register that leaves it out stops each of them with ``nation_missing``
instead of silently counting England's holidays.
"""

from __future__ import annotations

from dataward.calendar import Nation
from dataward.register.errors import NationMissing
from dataward.register.models import Register


def register_nation(register: Register) -> Nation:
    """The nation whose bank holidays apply to this register's deadlines, or NationMissing."""
    nation = register.controller.nation
    if nation is None:
        raise NationMissing(
            f"the register of {register.organisation} does not state the controller's nation: "
            "set controller.nation to ENG, WLS, SCT or NIR before any deadline is computed",
            details=["lint rule DW040"],
        )
    return nation
