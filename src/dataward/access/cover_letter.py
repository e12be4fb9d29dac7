"""The cover letter of an access package: the Art 15 information for this person (ACC-01).

Pure: the register, the datasets in which the person's data was found, their subject
groups, the search record and what was withheld in; a ``Body`` (the letters' own shape,
``requests.letter_content``) out. Only what concerns the datasets found is said: the
purposes and recipients reaching their categories, each dataset's retention, the sources
other than the person, transfers, automated decisions; then the other rights and the
complaint routes every letter ends with.

Never render a default as a claim: where the register is silent (no transfer, no source
named, no retention rule covering a dataset) the letter says nothing about it. A person
found nowhere is told so plainly, with the record of where we looked.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from dataward.access.search_record import AUTOMATIC, BY_HAND, OPEN, DatasetSearch
from dataward.clock import in_uk_time
from dataward.notice.labels import RIGHT_TITLES
from dataward.register.lint_rules.retention import covers_dataset
from dataward.register.models import Dataset, Register
from dataward.register.models.sharing import Recipient
from dataward.register.wording import join_and, period_words, uk_date, words
from dataward.requests.letter_content import Body, Section, complaint_sections

NOTHING_HELD = "We hold no personal data about you in the places we searched."


@dataclass(frozen=True)
class WithheldItem:
    """What was kept out (ACC-03): where from, how much, and the exemption: never what."""

    dataset: str
    items: int
    exemption: str


@dataclass(frozen=True)
class CoverFacts:
    reference: str
    found: Collection[str]
    """Dataset ids with rows or files in the package."""
    groups: Collection[str]
    """The subject's groups (empty: not known, so no purpose is left out on that ground)."""
    record: Sequence[DatasetSearch]
    withheld: Sequence[WithheldItem] = ()


def _meets(groups: Collection[str], of: Collection[str]) -> bool:
    return not groups or not of or bool(set(groups) & set(of))


def cover_body(register: Register, facts: CoverFacts) -> Body:
    if not facts.found:
        return Body(
            "Your personal data: what we found",
            (
                Section(
                    "What we found",
                    (
                        NOTHING_HELD,
                        "The record below shows each place we looked, and how.",
                    ),
                ),
                *complaint_sections(register, courts=False),
            ),
        )
    datasets = [d for d in register.datasets if d.id in facts.found]
    categories = {c for d in datasets for c in d.categories}
    # A purpose or recipient the register ties to no category (a recipient to no purpose
    # either) is tied to the person's groups only: it concerns them as a member of one.
    purposes = [
        p
        for p in register.purposes
        if _meets(facts.groups, p.subject_groups)
        and (not p.categories or set(p.categories) & categories)
    ]
    purpose_ids = {p.id for p in purposes}
    recipients = [
        r
        for r in register.recipients
        if _meets(facts.groups, r.subject_groups)
        and (
            (not r.purposes and not r.categories)
            or set(r.purposes) & purpose_ids
            or set(r.categories) & categories
        )
    ]
    recipient_ids = {r.id for r in recipients}
    sections: list[Section] = [
        Section(
            "What this package holds",
            (
                "A copy of the personal data we hold about you is in this package: each "
                "place we keep it as a readable page, and as JSON and CSV files for a "
                "computer. Files (recordings, photos, scans) are in the files folder.",
            ),
        )
    ]
    # Of the person's groups only, each name once: a register may name two categories alike
    # for two groups (JTR's "Telephone calls" of customers and of new occupiers).
    found_categories = list(
        dict.fromkeys(
            c.name
            for c in register.data_categories
            if c.id in categories and _meets(facts.groups, c.subject_groups)
        )
    )
    if found_categories:
        sections.append(Section("The kinds of data", (), tuple(found_categories)))
    if purposes:
        sections.append(
            Section(
                "Why we use it",
                (),
                tuple(_purpose_words(register, p.id) for p in purposes),
            )
        )
    if recipients:
        sections.append(
            Section("Who we share it with", (), tuple(_recipient_words(r) for r in recipients))
        )
    retention = _retention(register, datasets)
    if retention:
        sections.append(Section("How long we keep it", (), tuple(retention)))
    sources = [
        s
        for s in register.sources
        if s.type not in (None, "direct", "none")
        and set(s.categories) & categories
        and _meets(facts.groups, s.subject_groups)
    ]
    if sources:
        sections.append(
            Section(
                "Where we got it, when not from you",
                (),
                tuple(
                    f"{s.name}: {s.description.strip()}" if s.description else s.name
                    for s in sources
                ),
            )
        )
    sections.extend(_transfers(register, recipient_ids, categories))
    sections.extend(_automated(register, facts.groups))
    sections.extend(_rights(register))
    sections.extend(complaint_sections(register, courts=False))
    return Body("Your personal data: a copy and what we do with it", tuple(sections))


def _purpose_words(register: Register, purpose_id: str) -> str:
    purpose = next(p for p in register.purposes if p.id == purpose_id)
    text = purpose.name
    if purpose.description:
        text += f": {purpose.description.strip()}"
    bases = [words(b.basis) for b in purpose.bases if isinstance(b.basis, str)]
    if bases:
        text += f" (lawful basis: {join_and(bases).lower()})"
    return text


def _recipient_words(recipient: Recipient) -> str:
    text = recipient.name
    if recipient.organisation and recipient.organisation != recipient.name:
        text += f" ({recipient.organisation})"
    if recipient.description:
        text += f": {recipient.description.strip()}"
    return text


def _retention(register: Register, datasets: Sequence[Dataset]) -> list[str]:
    events = {e.id: e.name for e in register.events}
    lines: list[str] = []
    for dataset in datasets:
        rules = [r for r in register.retention_rules if covers_dataset(r, dataset)]
        if rules:
            periods = "; ".join(f"{r.name}: {period_words(r, events)}" for r in rules)
            lines.append(f"{dataset.name}: {periods}")
    return lines


def _transfers(register: Register, recipients: set[str], categories: set[str]) -> list[Section]:
    items = [
        t
        for t in register.transfers.items
        if set(t.recipients) & recipients or set(t.categories) & categories
    ]
    policy = register.transfers.policy
    statement = policy.statement.strip() if policy is not None and policy.statement else None
    if not items and statement is None:
        return []
    bullets: list[str] = []
    for transfer in items:
        # "unknown" is the register's word for a destination its notice does not name: the
        # letter says so rather than naming a place called "unknown".
        named = [d for d in transfer.destinations if d.lower() != "unknown"]
        if named:
            where: str | None = join_and(named)
        elif transfer.destinations:
            where = "countries our privacy notice does not name"
        else:
            where = None
        text = transfer.description.strip().rstrip(".") if transfer.description else "A transfer"
        if where:
            text += f", to {where}"
        if transfer.safeguard is not None:
            text += f"; safeguard: {words(str(transfer.safeguard)).lower()}"
        if transfer.safeguard_detail:
            text += f" ({transfer.safeguard_detail.strip()})"
        bullets.append(text)
    paragraphs = (f"Our privacy notice says: “{statement}”",) if statement else ()
    return [Section("Transfers outside the UK", paragraphs, tuple(bullets))]


def _automated(register: Register, groups: Collection[str]) -> list[Section]:
    decisions = register.automated_decisions
    items = [d for d in decisions.items if _meets(groups, d.subject_groups)]
    paragraphs: list[str] = []
    if decisions.statement:
        paragraphs.append(decisions.statement.strip())
    elif decisions.in_use is False and not items:
        paragraphs.append("We do not make decisions about you by automated means alone.")
    bullets: list[str] = []
    for item in items:
        text = item.name
        if item.logic:
            text += f". How it works: {item.logic.strip()}"
        if item.safeguards:
            text += f". Safeguards: {join_and(s.strip() for s in item.safeguards)}"
        bullets.append(text)
    if not paragraphs and not bullets:
        return []
    return [Section("Automated decisions", tuple(paragraphs), tuple(bullets))]


def _rights(register: Register) -> list[Section]:
    bullets = []
    for item in register.rights.items:
        if item.applies == "not_applicable" or item.right.value == "access":
            continue
        title = RIGHT_TITLES.get(item.right.value, words(item.right))
        bullets.append(f"{title}: {item.description.strip()}" if item.description else title)
    if not bullets:
        return []
    return [Section("Your other rights", (), tuple(bullets))]


def record_rows(record: Sequence[DatasetSearch]) -> list[tuple[str, str, str]]:
    """The search record as (place, how searched, what was found) in plain words."""
    out: list[tuple[str, str, str]] = []
    for entry in record:
        when = f" on {uk_date(in_uk_time(entry.when).date())}" if entry.when is not None else ""
        if entry.how == AUTOMATIC:
            rows = entry.rows or 0
            files = entry.files or 0
            found = (
                f"{rows} record{'s' if rows != 1 else ''}, {files} file{'s' if files != 1 else ''}"
            )
            out.append((entry.name, f"Searched automatically{when}", found))
        elif entry.how == BY_HAND:
            found = "Data found" if entry.found else "Nothing found"
            if entry.result:
                found += f": {entry.result}"
            out.append((entry.name, f"Searched{when}", found))
        elif entry.how == OPEN:
            out.append((entry.name, "Not searched yet", ""))
        else:
            reason = entry.reason or ""
            out.append((entry.name, "Not searched: not reasonable and proportionate", reason))
    return out
