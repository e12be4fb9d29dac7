"""Cells of the record of processing, and its "Controller" sheet (RULES: ROP-01, ROP-02).

A cell says what the register states; where it is silent, "Not recorded in the register".
"""

from __future__ import annotations

from collections.abc import Iterable

from dataward.register.models import Register, Unspecified
from dataward.register.wording import address_words, contact_words, uk_date, words

NOT_RECORDED = "Not recorded in the register"
NONE = "None"


def stated(value: str | Unspecified | None, missing: str = NOT_RECORDED) -> str:
    if value is None:
        return missing
    if isinstance(value, Unspecified):
        return f"Not stated: {value.unspecified}"
    return value


def coded(value: str | None) -> str:
    """A code in words, or "Not recorded" where the register is silent."""
    return words(value) if value is not None else NOT_RECORDED


def cell_lines(items: Iterable[str], empty: str = NONE) -> str:
    unique = list(dict.fromkeys(i for i in items if i))
    return "\n".join(unique) if unique else empty


def controller_rows(register: Register) -> list[tuple[str, str]]:
    """The "Controller" sheet: who is responsible and how to reach them (ROP-01)."""
    c, d = register.controller, register.dpo
    rows = [
        ("Name", c.name),
        ("Legal name", c.legal_name),
        ("Legal form", coded(c.legal_form)),
        ("Registered in", c.registered_in or NOT_RECORDED),
    ]
    if c.other_names:
        rows.append(("Other names", "\n".join(c.other_names)))
    for label, value in (
        ("Company number", c.company_number),
        ("Society number", c.society_number),
        ("Charity number", c.charity_number),
    ):
        if value:
            rows.append((label, value))
    if c.registered_address:
        rows.append(("Registered address", address_words(c.registered_address)))
    rows.append(
        ("Contact details", cell_lines((contact_words(x) for x in c.contacts), NOT_RECORDED))
    )
    rows.append(("ICO registration number", stated(c.ico_registration)))
    if d.appointed:
        who = ", ".join(x for x in (d.name, d.title, d.organisation) if x) or NOT_RECORDED
        rows.append(("Data protection officer", who))
        rows.append(("DPO contact details", cell_lines(contact_words(x) for x in d.contacts)))
    elif d.appointed is False:
        rows.append(("Data protection officer", "Not appointed"))
    else:
        rows.append(("Data protection officer", NOT_RECORDED))
        if d.contacts:
            rows.append(
                ("Privacy contact details", cell_lines(contact_words(x) for x in d.contacts))
            )
    for org in c.related:
        rows.append((coded(org.relationship), org.name))
    notice = register.notice
    if notice.versions:
        version = notice.versions[0]
        rows.append(("Privacy notice", f"{notice.title or NOT_RECORDED}, version {version.id}"))
        rows.append(("Notice date", uk_date(version.date)))
    else:
        rows.append(("Privacy notice", notice.title or NOT_RECORDED))
    return rows
