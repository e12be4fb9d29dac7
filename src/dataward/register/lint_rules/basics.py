"""Lint rules on the controller, its DPO, the notice document and the breach procedure."""

from __future__ import annotations

from collections.abc import Iterator

from dataward.register.lint import Hit, rule
from dataward.register.lint_rules._shared import is_missing, is_unspecified
from dataward.register.models import Register


# RULES: NTC-01 (Art 13(1)(b): the contact details of the DPO, where applicable)
@rule("DW019", "error", "No DPO or privacy contact", "NTC-01")
def no_dpo_or_privacy_contact(register: Register) -> Iterator[Hit]:
    dpo = register.dpo
    if dpo.contacts:
        return
    if dpo.appointed is True:
        message = (
            "a DPO is appointed but the register gives no way to contact them: add dpo.contacts"
        )
    elif dpo.appointed is None:
        message = (
            "the register gives no DPO or privacy contact: add the DPO's or the privacy team's "
            "contact under dpo.contacts"
        )
    else:
        message = (
            "no DPO is appointed and no privacy contact is given: add the person or team that "
            "handles data protection questions under dpo.contacts"
        )
    yield Hit(("dpo", "contacts"), message)


# RULES: NTC-01 (Art 13(1)(a): the identity and contact details of the controller)
@rule("DW022", "error", "Controller without contact details", "NTC-01")
def controller_without_contacts(register: Register) -> Iterator[Hit]:
    controller = register.controller
    if not controller.contacts and controller.registered_address is None:
        yield Hit(
            ("controller", "contacts"),
            f"controller {controller.name!r} has neither contacts nor a registered address: "
            "add at least one way to reach it",
        )


# RULES: NTC-03 (significant changes are brought to subjects' attention: dates matter)
@rule("DW023", "warning", "Notice version without a date", "NTC-03")
def notice_version_without_date(register: Register) -> Iterator[Hit]:
    for i, version in enumerate(register.notice.versions):
        if is_unspecified(version.date):
            yield Hit(
                ("notice", "versions", i, "date"),
                f"notice version {version.id!r} has no date: record when it took effect so "
                "changes can be shown to subjects before they apply",
            )


# RULES: ROP-01 (the ICO template asks for it; fee payers are on the ICO register)
@rule("DW031", "warning", "ICO registration number not stated", "ROP-01")
def ico_registration_not_stated(register: Register) -> Iterator[Hit]:
    if is_missing(register.controller.ico_registration):
        yield Hit(
            ("controller", "ico_registration"),
            f"controller {register.controller.name!r} states no ICO registration number: look "
            "it up on the ICO register of fee payers, or record why it is exempt",
        )


# RULES: BRE-02 (report within 72 hours of becoming aware), BRE-01 (record every breach)
@rule("DW035", "error", "No breach procedure, or an ICO clock over 72 hours", "BRE-02")
def breach_procedure(register: Register) -> Iterator[Hit]:
    procedure = register.security.breach_procedure
    if procedure is None:
        yield Hit(
            ("security", "breach_procedure"),
            "no breach procedure is declared: add security.breach_procedure with who decides "
            "and the ICO report deadline (at most 72 hours)",
        )
    elif procedure.ico_report_hours is not None and procedure.ico_report_hours > 72:
        yield Hit(
            ("security", "breach_procedure", "ico_report_hours"),
            f"the ICO report deadline is {procedure.ico_report_hours} hours: the law allows at "
            "most 72 hours from awareness",
        )
