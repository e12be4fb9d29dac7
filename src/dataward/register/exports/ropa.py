"""The controller's record of processing activities as an XLSX workbook (RULES: ROP-01, ROP-02).

One row per purpose (processing activity) under the ICO template's headers, in the ICO's
order; a "Controller" sheet holds the name and contact details of the controller and DPO.
What the register does not record is written as such, never guessed: a "No" or a "None"
appears only where the register states it (no transfers, no automated decisions).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from dataward.errors import ExportError
from dataward.register.exports.ropa_cells import (
    NONE,
    NOT_RECORDED,
    cell_lines,
    coded,
    controller_rows,
    stated,
)
from dataward.register.models import (
    Purpose,
    Recipient,
    Register,
    RetentionRule,
    Transfer,
    Unspecified,
)
from dataward.register.wording import (
    action_words,
    period_words,
    words,
)
from dataward.register.wording_forms import basis_words

__all__ = ["NOT_RECORDED", "ROPA_HEADERS", "controller_rows", "ropa_rows", "write_ropa"]

# RULES: ROP-02, the ICO controller template's columns, in its order.
ROPA_HEADERS: tuple[str, ...] = (
    "Business function",
    "Purpose of processing",
    "Name and contact details of joint controller",
    "Categories of individuals",
    "Categories of personal data",
    "Categories of recipients",
    "Link to contract with processor",
    "Names of third countries or international organisations that personal data are transferred to",
    "Safeguards for exceptional transfers",
    "Retention schedule",
    "General description of technical and organisational security measures",
    "Article 6 lawful basis",
    "Article 9 basis for special category data",
    "Legitimate interests for the processing",
    "Link to record of legitimate interests assessment",
    "Rights available to individuals",
    "Existence of automated decision-making, including profiling",
    "Source of the personal data",
    "Link to record of consent",
    "Location of personal data",
    "DPIA required",
    "DPIA progress",
    "Link to DPIA",
    "Personal data breach",
    "Link to record of personal data breach",
    "DPA 2018 Schedule 1 condition",
    "Link to appropriate policy document",
    "Retention and erasure in line with the policy document (if not, why)",
)

SHEET_CONTROLLER = "Controller"
SHEET_ACTIVITIES = "Processing activities"


def ropa_rows(register: Register) -> list[dict[str, str]]:
    """One row per purpose, keyed by ``ROPA_HEADERS`` (ROP-01, ROP-02)."""
    return [_ActivityRow(register, purpose).row() for purpose in register.purposes]


class _ActivityRow:
    """The record of one processing activity, read from the register around one purpose."""

    def __init__(self, register: Register, purpose: Purpose) -> None:
        self.r = register
        self.p = purpose
        self.groups = set(purpose.subject_groups)
        self.categories = set(purpose.categories)
        self.category_names = {c.id: c.name for c in register.data_categories}
        self.group_names = {g.id: g.name for g in register.subject_groups}
        self.recipients = [x for x in register.recipients if self._receives(x)]

    def _shares_group(self, groups: list[str]) -> bool:
        """Data held for no group in particular, or for one of the purpose's groups."""
        return not groups or bool(self.groups & set(groups))

    def _receives(self, recipient: Recipient) -> bool:
        # Linked to the purpose, or, naming no purpose, to one of its subject groups.
        if recipient.purposes:
            return self.p.id in recipient.purposes
        return bool(self.groups & set(recipient.subject_groups))

    def row(self) -> dict[str, str]:
        p = self.p
        values = [
            self.business_function(),
            f"{p.name}: {p.description}" if p.description else p.name,
            self.joint_controllers(),
            cell_lines(f"{self.group_names[g]}" for g in p.subject_groups),
            self.data_categories(),
            self.recipientlines(),
            self.contracts(),
            self.countries(),
            self.safeguards(),
            self.retention(),
            self.security(),
            self.bases(),
            self.article_9(),
            cell_lines((b.legitimate_interest or "") for b in p.bases),
            self.lia_links(),
            self.rights(),
            self.automated(),
            self.sources(),
            self.consent_links(),
            self.locations(),
            NOT_RECORDED,
            NOT_RECORDED,
            NOT_RECORDED,
            NOT_RECORDED,
            NOT_RECORDED,
            self.schedule_1(),
            self.policy_documents(),
            NOT_RECORDED,
        ]
        return dict(zip(ROPA_HEADERS, values, strict=True))

    def business_function(self) -> str:
        return "; ".join(self.group_names[g] for g in self.p.subject_groups)

    def joint_controllers(self) -> str:
        joint = [x for x in self.recipients if x.role == "joint_controller"]
        return cell_lines(
            (f"{x.organisation or x.name}" + (f": {x.description}" if x.description else ""))
            for x in joint
        )

    def data_categories(self) -> str:
        out = []
        for c in self.r.data_categories:
            if c.id not in self.categories:
                continue
            text = c.name
            special = c.special_kind
            if special is not None:
                text += f" (special category: {words(special).lower()})"
            if c.criminal:
                text += " (criminal offence data)"
            out.append(text)
        return cell_lines(out, NOT_RECORDED)

    def recipientlines(self) -> str:
        return cell_lines(
            f"{x.name}"
            + (f" ({x.organisation})" if x.organisation else "")
            + (f": {words(x.role)}" if x.role is not None else "")
            for x in self.recipients
        )

    def contracts(self) -> str:
        processors = [x for x in self.recipients if x.role == "processor"]
        if not processors:
            return "No processors among the recipients recorded" if self.recipients else NONE
        return cell_lines(f"{x.name}: {x.contract_reference or NOT_RECORDED}" for x in processors)

    def _transfers(self) -> list[Transfer]:
        ids = {x.id for x in self.recipients}
        return [
            t
            for t in self.r.transfers.items
            if ids & set(t.recipients) or self.categories & set(t.categories)
        ]

    def countries(self) -> str:
        places: list[str] = []
        for t in self._transfers():
            places.extend(t.destinations)
        for x in self.recipients:
            if isinstance(x.located_in, Unspecified):
                places.append(f"{x.name}: {stated(x.located_in)}")
                continue
            places.extend(loc for loc in x.located_in if loc not in {"UK", "United Kingdom"})
        return cell_lines(
            places, "None: processed in the UK" if self._stays_in_uk() else NOT_RECORDED
        )

    def _stays_in_uk(self) -> bool:
        """The register says nothing leaves the UK; silence says nothing of the kind."""
        policy = self.r.transfers.policy
        return policy is not None and policy.outside_uk == "never"

    def safeguards(self) -> str:
        lines = []
        for t in self._transfers():
            text = f"{', '.join(t.destinations)}: {coded(t.safeguard)}"
            if t.safeguard_detail:
                text += f" ({t.safeguard_detail})"
            lines.append(text)
        return cell_lines(lines, "Not applicable" if self._stays_in_uk() else NOT_RECORDED)

    def rules(self) -> list[RetentionRule]:
        dataset_categories = {d.id: set(d.categories) for d in self.r.datasets}
        out = []
        for rule in self.r.retention_rules:
            cov = rule.covers
            covered = set(cov.categories)
            for d in cov.datasets:
                covered |= dataset_categories.get(d, set())
            covered -= set(cov.except_categories)
            if self.groups & set(cov.all_data_of_groups) or (
                covered & self.categories and self._shares_group(rule.subject_groups)
            ):
                out.append(rule)
        return out

    def retention(self) -> str:
        events = {e.id: e.name for e in self.r.events}
        holds = {h.id: h.name for h in self.r.holds}
        lines = []
        for rule in self.rules():
            text = f"{rule.name}: {period_words(rule, events)}"
            if rule.action is not None and rule.action != "never_stored":
                text += f"; then {action_words(rule.action).lower()}"
            if rule.holds:
                text += "; kept longer while: " + ", ".join(holds[h] for h in rule.holds)
            lines.append(text)
        if not lines:
            lines = [policy.statement for policy in self.r.retention_policies]
        return cell_lines(lines, NOT_RECORDED)

    def security(self) -> str:
        return cell_lines(
            (f"{words(m.type)}: " if m.type is not None else "")
            + m.description
            + (" (in progress)" if m.status == "in_progress" else "")
            for m in self.r.security.measures
        )

    def bases(self) -> str:
        lines = []
        for b in self.p.bases:
            text = stated(b.basis) if isinstance(b.basis, Unspecified) else basis_words(b.basis)
            if b.covers:
                text += f" (covers: {b.covers})"
            lines.append(text)
        return cell_lines(lines, NOT_RECORDED)

    def article_9(self) -> str:
        lines = []
        for sc in self.p.special_conditions:
            names = ", ".join(self.category_names[c] for c in sc.categories)
            condition = stated(
                sc.condition if isinstance(sc.condition, Unspecified) else words(sc.condition)
            )
            lines.append(f"{names}: {condition}")
        if lines:
            return cell_lines(lines)
        if self.p.not_special:
            return "Not applicable: the register states no special category data is used"
        sensitive = [
            c
            for c in self.r.data_categories
            if c.id in self.categories and (c.special_kind or c.criminal)
        ]
        if sensitive:
            return NOT_RECORDED
        # Silence is not "no special category data": say what the register shows instead.
        return "Not stated: no category this purpose uses is marked special category data"

    def lia_links(self) -> str:
        lines = []
        for b in self.p.bases:
            if b.basis in {"legitimate_interests", "recognised_legitimate_interests"}:
                lines.append(stated(b.lia_reference))
        return cell_lines(lines, "Not applicable")

    def rights(self) -> str:
        return (
            cell_lines(
                words(item.right)
                + (" (in some circumstances)" if item.applies == "conditional" else "")
                for item in self.r.rights.items
                if item.applies != "not_applicable"
            )
            if self.r.rights.items
            else NOT_RECORDED
        )

    def automated(self) -> str:
        lines = [
            f"{d.name}: {d.description}" if d.description else d.name
            for d in self.r.automated_decisions.items
            if self.groups & set(d.subject_groups)
        ]
        if self.p.profiling:
            lines.append("This purpose involves profiling")
        # "No" only where the register says no such decisions are made.
        return cell_lines(
            lines, "No" if self.r.automated_decisions.in_use is False else NOT_RECORDED
        )

    def sources(self) -> str:
        lines = []
        for s in self.r.sources:
            if self.categories & set(s.categories) or (
                not s.categories and self.groups & set(s.subject_groups)
            ):
                lines.append(s.name + (f" ({words(s.type).lower()})" if s.type else ""))
        return cell_lines(lines, NOT_RECORDED)

    def consent_links(self) -> str:
        refs = [b.consent_reference or NOT_RECORDED for b in self.p.bases if b.basis == "consent"]
        return cell_lines(refs, "Not applicable: consent is not relied on")

    def locations(self) -> str:
        lines = []
        for d in self.r.datasets:
            if self.categories & set(d.categories) and self._shares_group(d.subject_groups):
                location = stated(d.location) if isinstance(d.location, Unspecified) else d.location
                where = ", ".join(x for x in (d.system, location) if x)
                lines.append(f"{d.name} ({where})" if where else d.name)
        return cell_lines(lines, NOT_RECORDED)

    def schedule_1(self) -> str:
        lines = []
        for sc in self.p.special_conditions:
            if sc.schedule_1 is not None:
                s1 = sc.schedule_1
                lines.append(f"Part {s1.part}, paragraph {s1.paragraph}: {s1.name}")
        return cell_lines(lines, "Not applicable")

    def policy_documents(self) -> str:
        return cell_lines(
            (
                stated(sc.appropriate_policy_document)
                for sc in self.p.special_conditions
                if sc.appropriate_policy_document is not None
            ),
            "Not applicable",
        )


def write_ropa(register: Register, path: Path) -> None:
    """Write the record of processing to ``path`` as XLSX (ROP-01, ROP-02)."""
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET_CONTROLLER
    sheet.append(["Field", "Value"])
    for label, value in controller_rows(register):
        sheet.append([label, value])
    _style(sheet, [32, 80])

    activities = book.create_sheet(SHEET_ACTIVITIES)
    activities.append(list(ROPA_HEADERS))
    for row in ropa_rows(register):
        activities.append([row[h] for h in ROPA_HEADERS])
    _style(activities, [_width(h) for h in ROPA_HEADERS])
    try:
        book.save(path)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise ExportError(f"cannot write the record of processing to {path}: {reason}") from None


def _width(header: str) -> int:
    wide = {"Purpose of processing", "Retention schedule", "Categories of recipients"}
    if header in wide or header.startswith("General description"):
        return 50
    return 30


def _style(sheet: Any, widths: list[int]) -> None:
    """Bold, frozen header row; wrapped text; set column widths."""
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    for row in sheet.iter_rows():
        for cell in row:
            cell.alignment = wrap
    for cell in sheet[1]:
        cell.font = bold
    for i, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"
