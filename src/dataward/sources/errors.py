"""Errors of the sources file."""

from __future__ import annotations

from dataclasses import dataclass, field

from dataward.errors import DatawardError, NotFoundError, SourceProblem


@dataclass
class SourcesInvalid(DatawardError):
    """A sources file could not be loaded, or does not fit its register: every problem."""

    problems: list[SourceProblem] = field(default_factory=list)
    code = "sources_invalid"
    http_status = 422
    title = "Sources file is not valid"

    def __post_init__(self) -> None:
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(
            f"sources file has {count} {noun}", details=[str(p) for p in self.problems]
        )


class SourcesNotFound(NotFoundError):
    code = "sources_not_found"
    title = "No sources file stored"
