"""Load a folder of registers into the database, as ``dataward serve`` does on start.

A register that does not load is reported and skipped; the others still load. Never
commits: the caller's unit of work does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dataward.errors import RegisterInvalid, SourceProblem
from dataward.logging import get_logger
from dataward.publication.registers import store_register
from dataward.register.loader import load_register
from dataward.uow import UnitOfWork

log = get_logger(__name__)


@dataclass(frozen=True)
class LoadOutcome:
    """What happened to one register file."""

    file: Path
    organisation: str | None = None
    version: int | None = None
    problems: list[SourceProblem] = field(default_factory=list)

    @property
    def loaded(self) -> bool:
        return self.organisation is not None and not self.problems


def register_files(folder: Path) -> list[Path]:
    """The register files of a folder, by name; fact sheets live in sub-folders."""
    files = [*folder.glob("*.yaml"), *folder.glob("*.yml")]
    return sorted(p for p in files if p.is_file())


def load_examples(uow: UnitOfWork, folder: Path) -> list[LoadOutcome]:
    """Store every register of ``folder`` as its organisation's newest version.

    An unchanged register keeps its version. Two files naming the same organisation would
    replace each other on every start, so the second one is skipped.
    """
    outcomes: list[LoadOutcome] = []
    seen: dict[str, Path] = {}
    for file in register_files(folder):
        try:
            loaded = load_register(file)
        except RegisterInvalid as error:
            log.warning("register.skipped", file=file.name, problems=len(error.problems))
            outcomes.append(LoadOutcome(file, problems=list(error.problems)))
            continue
        organisation = loaded.register.organisation
        if organisation in seen:
            message = (
                f"organisation {organisation!r} is already loaded from {seen[organisation].name}"
            )
            problem = SourceProblem(str(file), 1, 1, "organisation", message)
            outcomes.append(LoadOutcome(file, problems=[problem]))
            continue
        seen[organisation] = file
        row = store_register(uow, loaded)
        outcomes.append(LoadOutcome(file, organisation, row.version))
    return outcomes
