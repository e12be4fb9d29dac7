"""What the pages and the API show about one stored register version.

Linting and measuring the coverage of a large register costs tens of milliseconds, and a
stored version never changes, so results are kept per content hash. The parse itself is
the process's one parse of that text (``publication.parsed``), shared with other domains.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dataward.errors import DatawardError
from dataward.logging import get_logger
from dataward.publication.models import RegisterVersion
from dataward.publication.parsed import load_version
from dataward.register.coverage import CoverageReport, load_fact_sheet, measure_coverage
from dataward.register.lint import Finding, Severity, all_rules, lint
from dataward.register.loader import LoadedRegister
from dataward.register.models import Register

log = get_logger(__name__)

SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")


@dataclass(frozen=True)
class LocatedFinding:
    """A lint finding with the place in the register file it points at."""

    finding: Finding
    file: str
    line: int
    column: int
    title: str

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class RegisterAnalysis:
    organisation: str
    version: int
    content_hash: str
    file: str
    loaded_at: datetime
    loaded: LoadedRegister
    findings: list[LocatedFinding]
    coverage: CoverageReport | None
    coverage_note: str

    @property
    def register(self) -> Register:
        return self.loaded.register

    @property
    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
        for located in self.findings:
            counts[located.finding.severity] += 1
        return counts

    def by_rule(self) -> list[tuple[LocatedFinding, int]]:
        """The first finding of each rule and how many the rule has, in findings order."""
        firsts: dict[str, LocatedFinding] = {}
        counts: dict[str, int] = {}
        for located in self.findings:
            firsts.setdefault(located.finding.rule_id, located)
            counts[located.finding.rule_id] = counts.get(located.finding.rule_id, 0) + 1
        return [(first, counts[rule_id]) for rule_id, first in firsts.items()]

    @property
    def coverage_percent(self) -> int | None:
        if self.coverage is None or self.coverage.total == 0:
            return None
        return round(100 * self.coverage.covered / self.coverage.total)


class RegisterAnalyser:
    """Analyses stored versions and remembers the newest few, by content hash."""

    def __init__(
        self, fact_sheet_dir: Path, fact_sheets: Mapping[str, str], capacity: int = 32
    ) -> None:
        self.fact_sheet_dir = fact_sheet_dir
        self.fact_sheets = dict(fact_sheets)
        self._capacity = capacity
        self._cache: OrderedDict[tuple[str, str], RegisterAnalysis] = OrderedDict()
        self._lock = threading.Lock()

    def analyse(self, row: RegisterVersion) -> RegisterAnalysis:
        key = (row.organisation, row.content_hash)
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None and cached.version == row.version:
                self._cache.move_to_end(key)
                return cached
        analysis = self._analyse(row)
        with self._lock:
            self._cache[key] = analysis
            while len(self._cache) > self._capacity:
                self._cache.popitem(last=False)
        return analysis

    def forget(self) -> None:
        """Drop every cached analysis, e.g. after changing ``fact_sheets``."""
        with self._lock:
            self._cache.clear()

    def _analyse(self, row: RegisterVersion) -> RegisterAnalysis:
        loaded = load_version(row)
        file = Path(row.source_name).name
        titles = {r.id: r.title for r in all_rules()}
        findings: list[LocatedFinding] = []
        for finding in lint(loaded.register):
            line, column = loaded.line_of(finding.path)
            findings.append(
                LocatedFinding(finding, file, line, column, titles.get(finding.rule_id, ""))
            )
        order = {s: i for i, s in enumerate(SEVERITIES)}
        findings.sort(key=lambda f: (order[f.finding.severity], f.finding.rule_id, f.line))
        coverage, note = self._coverage(loaded.register)
        return RegisterAnalysis(
            organisation=row.organisation,
            version=row.version,
            content_hash=row.content_hash,
            file=file,
            loaded_at=_as_utc(row.loaded_at),
            loaded=loaded,
            findings=findings,
            coverage=coverage,
            coverage_note=note,
        )

    def _coverage(self, register: Register) -> tuple[CoverageReport | None, str]:
        sheet_name = self.fact_sheets.get(register.organisation)
        if sheet_name is None:
            return None, "No fact sheet of a reference notice is known for this organisation."
        sheet = self.fact_sheet_dir / sheet_name
        if not sheet.is_file():
            return None, f"The fact sheet {sheet_name} is not in the notices folder."
        from dataward.notice.render import render_html

        try:
            facts = load_fact_sheet(sheet)
            report = measure_coverage(register, facts, render_html(register))
        except DatawardError as error:
            log.warning("web.coverage_failed", organisation=register.organisation, code=error.code)
            return None, f"The fact sheet {sheet_name} could not be read: {error.message}."
        return report, f"Measured against {sheet_name}."


def _as_utc(moment: datetime) -> datetime:
    # SQLite returns naive datetimes; dataward stores UTC everywhere.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
