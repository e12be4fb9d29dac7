"""One error hierarchy for dataward.

Services raise these; each edge (CLI, HTTP, pages) translates them once. Every error
carries a stable ``code`` that clients may rely on, an HTTP status for the API edge and a
CLI exit code. Messages never contain personal data.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class DatawardError(Exception):
    """Base of every error dataward raises on purpose."""

    code = "dataward_error"
    http_status = 400
    exit_code = 2
    title = "Request could not be completed"

    def __init__(self, message: str, *, details: list[str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []

    def problem(self, instance: str | None = None) -> dict[str, object]:
        """RFC 9457 problem+json body with our stable code."""
        body: dict[str, object] = {
            "type": f"https://dataward.dev/errors/{self.code}",
            "title": self.title,
            "status": self.http_status,
            "detail": self.message,
            "code": self.code,
        }
        if self.details:
            body["errors"] = self.details
        if instance:
            body["instance"] = instance
        return body


class ConfigurationError(DatawardError):
    code = "configuration_invalid"
    http_status = 500
    title = "dataward is not configured correctly"


class NotFoundError(DatawardError):
    code = "not_found"
    http_status = 404
    title = "Not found"


class ValidationFailed(DatawardError):
    code = "validation_failed"
    http_status = 422
    title = "Input is not valid"


class CalendarError(ValidationFailed):
    code = "calendar_invalid"
    title = "Date or nation is not valid"


@dataclass(frozen=True)
class SourceProblem:
    """One problem in a register file, pointing at where it is."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = self.path or "(document)"
        return f"{self.file}:{self.line}:{self.column}: {where}: {self.message}"


@dataclass
class RegisterInvalid(DatawardError):
    """A register file could not be loaded; ``problems`` lists every one found."""

    problems: list[SourceProblem] = field(default_factory=list)
    code = "register_invalid"
    http_status = 422
    title = "Register is not valid"

    def __post_init__(self) -> None:
        count = len(self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"register has {count} {noun}", details=[str(p) for p in self.problems])


class RegisterNotFound(NotFoundError):
    code = "register_not_found"
    title = "Register not found"


class ExportError(DatawardError):
    code = "export_failed"
    title = "Export failed"
