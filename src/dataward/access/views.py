"""What the console shows of an access package: read models only, nothing here changes a row.

``package_panel`` feeds the request page's panel (the state in words and the next step);
``package_view`` the package's page (how far a build has got, the parts, withholdings with
their reasons opened, the search record, and a ready package's delivery); ``redaction_page``
one page of a part's redactions, each shown in the context of its staged cell. A part can
hold a million rows: the page reads the staged part as a stream and stops after its last row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from dataward.access.delivery import filename
from dataward.access.models import (
    ACCESS,
    APPROVED,
    BUILDING,
    DELETED,
    PART_DONE,
    QUEUED,
    READY,
    REVIEW,
    WITHHELD,
    AccessPackage,
    PackagePart,
    Redaction,
    Withholding,
)
from dataward.access.progress import parts_of
from dataward.access.review import ReviewItemNotFound, exemptions, reason_of, redaction_counts
from dataward.access.search_record import DatasetSearch, search_record
from dataward.access.service import RIGHT_OF_KIND, get_package, package_of
from dataward.access.staging import read_part
from dataward.requests.models import RightsRequest
from dataward.requests.service import requester_of
from dataward.uow import UnitOfWork

REDACTIONS_PAGE = 20
CONTEXT = 40  # characters shown either side of a redaction

STATE_WORDS = {
    QUEUED: "Queued: the worker will build it shortly",
    BUILDING: "Being built from the organisation's sources",
    REVIEW: "Built: waiting for your review",
    APPROVED: "Approved: the worker is assembling it",
    READY: "Ready for the subject to download",
    DELETED: "Deleted after its download period",
}
# What staff do next in each state; a requester answered by post changes the last steps.
NEXT_STEPS = {
    QUEUED: "Nothing to do yet: the worker starts the build within minutes.",
    BUILDING: "Nothing to do yet: once every source is read, review the package.",
    REVIEW: "Check each redaction and withhold what an exemption covers, then approve it.",
    APPROVED: "Nothing to do yet: once it is assembled the requester is emailed a link.",
    READY: "The requester was emailed a link to download it: record the response as sent.",
    DELETED: "Nothing to do: its files are gone; the audit trail keeps every download.",
}
BY_POST_STEPS = {
    APPROVED: "Nothing to do yet: once it is assembled, download it here and post it.",
    READY: "Download the package, post it to the requester, then record the response as sent.",
}
BY_POST_WORDS = "Ready: download it and send it by post"


def state_words(package: AccessPackage, *, by_post: bool = False) -> str:
    if by_post and package.state == READY:
        return BY_POST_WORDS
    return STATE_WORDS.get(package.state, package.state)


def next_step(package: AccessPackage, *, by_post: bool = False) -> str:
    if by_post and package.state in BY_POST_STEPS:
        return BY_POST_STEPS[package.state]
    return NEXT_STEPS.get(package.state, "")


def by_post(uow: UnitOfWork, row: RightsRequest, package: AccessPackage) -> bool:
    """Whether the requester gets no link (``delivery.announce_ready``'s rule): asked only
    once it matters, since it opens the requester's sealed details."""
    if package.state not in (APPROVED, READY):
        return False
    return requester_of(uow, row).reply_by == "post"


@dataclass(frozen=True)
class Progress:
    """How far a build has got: parts staged of all planned, and the one being read."""

    done: int
    total: int
    current: PackagePart | None


def progress_of(parts: Sequence[PackagePart]) -> Progress:
    """The build stages pending parts in ``parts_of``'s order, so the first is the current."""
    pending = [p for p in parts if p.state != PART_DONE]
    return Progress(len(parts) - len(pending), len(parts), pending[0] if pending else None)


def package_panel(uow: UnitOfWork, row: RightsRequest, kind: str = ACCESS) -> dict[str, object]:
    """What ``console/_access_package.html`` shows on the request's page about its
    package of ``kind`` (a request asking for access and portability shows both)."""
    if RIGHT_OF_KIND[kind] not in row.rights:
        return {"access_package": None, "package_offered": False, "package_kind": kind}
    package = package_of(uow, row, kind)
    applied = 0
    posted = False
    progress = None
    if package is not None:
        applied, _ = redaction_counts(uow, package)
        posted = by_post(uow, row, package)
        if package.state == BUILDING:
            progress = progress_of(parts_of(uow, package))
    return {
        "package_offered": True,
        "package_kind": kind,
        "access_package": package,
        "package_words": state_words(package, by_post=posted) if package is not None else None,
        "package_next": next_step(package, by_post=posted) if package is not None else None,
        "package_progress": progress,
        "package_redactions": applied,
        # The button shows once a build could start; ``queue_package`` checks each rule.
        "can_build_package": package is None
        and row.outcome is None
        and row.subject_id is not None
        and row.identity_verified_on is not None,
    }


@dataclass(frozen=True)
class PartView:
    part: PackagePart
    applied: int
    undone: int
    # The whole part's withholding, if any.
    withheld: Withholding | None


@dataclass(frozen=True)
class WithholdingView:
    item: Withholding
    dataset: str
    reason: str


@dataclass(frozen=True)
class PackageView:
    package: AccessPackage
    request: RightsRequest
    words: str
    next_step: str
    progress: Progress
    parts: list[PartView]
    withholdings: list[WithholdingView]
    search: list[DatasetSearch]
    exemptions: list[str]
    applied: int
    undone: int
    by_post: bool
    # What a download is saved as (``delivery.filename``).
    filename: str

    @property
    def reviewing(self) -> bool:
        return self.package.state == REVIEW

    @property
    def ready(self) -> bool:
        return self.package.state == READY


def package_view(uow: UnitOfWork, organisation: str, ref: str, kind: str = ACCESS) -> PackageView:
    package = get_package(uow, organisation, ref, kind)
    row = uow.session.get(RightsRequest, package.request_id)
    assert row is not None  # the package's foreign key
    parts = parts_of(uow, package)
    items = list(
        uow.session.scalars(
            select(Withholding)
            .where(Withholding.package_id == package.id)
            .order_by(Withholding.withheld_at, Withholding.id)
        )
    )
    dataset = {p.id: p.dataset for p in parts}
    whole = {w.part_id: w for w in items if w.row_no is None and w.state == WITHHELD}
    views = []
    for part in parts:
        applied, undone = redaction_counts(uow, package, part)
        views.append(PartView(part, applied, undone, whole.get(part.id)))
    applied, undone = redaction_counts(uow, package)
    posted = by_post(uow, row, package)
    return PackageView(
        package=package,
        request=row,
        words=state_words(package, by_post=posted),
        next_step=next_step(package, by_post=posted),
        progress=progress_of(parts),
        parts=views,
        withholdings=[
            WithholdingView(w, dataset.get(w.part_id, "?"), reason_of(uow, package, w))
            for w in items
        ],
        search=search_record(uow, row),
        exemptions=exemptions(uow, organisation) if package.state == REVIEW else [],
        applied=applied,
        undone=undone,
        by_post=posted,
        filename=filename(row, package),
    )


@dataclass(frozen=True)
class RedactionInContext:
    redaction: Redaction
    before: str
    hidden: str
    after: str
    # The cell was shorter than the offsets (a staged part replaced since): shown as lost.
    missing: bool = False


@dataclass
class RedactionPage:
    package: AccessPackage
    request: RightsRequest
    part: PackagePart
    page: int
    pages: int
    total: int
    items: list[RedactionInContext] = field(default_factory=list)
    # Withheld rows among this page's rows: row_no -> withholding.
    withheld_rows: dict[int, Withholding] = field(default_factory=dict)
    exemptions: list[str] = field(default_factory=list)

    @property
    def reviewing(self) -> bool:
        return self.package.state == REVIEW

    @property
    def rows(self) -> list[tuple[int, list[RedactionInContext]]]:
        """The page's redactions grouped by row, in order."""
        grouped: dict[int, list[RedactionInContext]] = {}
        for item in self.items:
            grouped.setdefault(item.redaction.row_no, []).append(item)
        return list(grouped.items())


def redaction_page(
    uow: UnitOfWork, organisation: str, ref: str, part_id: str, page: int, kind: str = ACCESS
) -> RedactionPage:
    package = get_package(uow, organisation, ref, kind)
    part = uow.session.get(PackagePart, part_id[:36])
    if part is None or part.package_id != package.id:
        raise ReviewItemNotFound("no such part in this package")
    row = uow.session.get(RightsRequest, package.request_id)
    assert row is not None
    where = (Redaction.package_id == package.id, Redaction.part_id == part.id)
    total = uow.session.scalar(select(func.count()).select_from(Redaction).where(*where)) or 0
    pages = max(1, -(-total // REDACTIONS_PAGE))
    page = min(max(page, 1), pages)
    redactions = list(
        uow.session.scalars(
            select(Redaction)
            .where(*where)
            .order_by(Redaction.row_no, Redaction.column, Redaction.start)
            .offset((page - 1) * REDACTIONS_PAGE)
            .limit(REDACTIONS_PAGE)
        )
    )
    result = RedactionPage(package, row, part, page, pages, total)
    if package.state == REVIEW:
        result.exemptions = exemptions(uow, organisation)
    if not redactions:
        return result
    cells = _cells(uow, package, part, redactions)
    result.items = [_in_context(r, cells.get((r.row_no, r.column))) for r in redactions]
    wanted = sorted({r.row_no for r in redactions})
    result.withheld_rows = {
        w.row_no: w
        for w in uow.session.scalars(
            select(Withholding).where(
                Withholding.package_id == package.id,
                Withholding.part_id == part.id,
                Withholding.state == WITHHELD,
                Withholding.row_no.in_(wanted),
            )
        )
        if w.row_no is not None
    }
    return result


def _cells(
    uow: UnitOfWork, package: AccessPackage, part: PackagePart, redactions: Sequence[Redaction]
) -> dict[tuple[int, str], str]:
    """The cells the redactions sit in, read from the staged part up to the last row needed."""
    wanted: dict[int, set[str]] = {}
    for r in redactions:
        wanted.setdefault(r.row_no, set()).add(r.column)
    last = max(wanted)
    cells: dict[tuple[int, str], str] = {}
    # Leaving the loop early drops the generator, which closes the sealed file.
    for row_no, staged in enumerate(read_part(uow, package, part)):
        if row_no in wanted:
            for column in wanted[row_no]:
                cells[(row_no, column)] = _text(staged.get(column))
        if row_no >= last:
            break
    return cells


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _in_context(redaction: Redaction, text: str | None) -> RedactionInContext:
    """The redaction with up to ``CONTEXT`` characters either side; the template escapes."""
    if text is None or redaction.end > len(text):
        return RedactionInContext(redaction, "", "", "", missing=True)
    start, end = redaction.start, redaction.end
    before = text[max(0, start - CONTEXT) : start]
    after = text[end : end + CONTEXT]
    return RedactionInContext(
        redaction,
        ("…" if start > CONTEXT else "") + before,
        text[start:end],
        after + ("…" if end + CONTEXT < len(text) else ""),
    )
