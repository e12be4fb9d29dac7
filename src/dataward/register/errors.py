"""Register errors: each a stable code. Loading problems are ``dataward.errors.RegisterInvalid``."""

from __future__ import annotations

from dataward.errors import ValidationFailed


class NationMissing(ValidationFailed):
    """The register does not say whose bank holidays move deadlines (SAR-03, lint DW040).

    Bank holidays differ by nation, so a deadline computed for the wrong one is wrong by a
    day or more: every clock refuses rather than assume England.
    """

    code = "nation_missing"
    title = "The register does not state the controller's nation"
    http_status = 409
