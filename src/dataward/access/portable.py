"""What a portability package holds (POR-01): only what the subject provided, only where
it is processed under consent or contract. Reads the register and the sources file only.

A dataset is portable when a purpose resting on consent or contract (a stated Art 6 basis:
an implied or unspecified one does not count, LAW-01) uses one of its data categories. In
a portable dataset's bindings only the columns the sources file marks ``provenance:
provided`` go into the package, and of those, a column naming a category no such purpose
uses stays out too: observed and derived data (and the table's own keys, unless marked
provided) are for access, not portability. Files are left out: a file is not a column the
sources file can say the subject provided.
"""

from __future__ import annotations

from html import escape

from dataward.register.models import Register
from dataward.register.models.processing import LawfulBasis
from dataward.sources.connectors.base import Row
from dataward.sources.models import Binding

PORTABLE_BASES = frozenset({LawfulBasis.CONSENT, LawfulBasis.CONTRACT})
PROVIDED = "provided"


def portable_categories(register: Register) -> frozenset[str]:
    """The data categories some purpose uses under consent or contract."""
    return frozenset(
        category
        for purpose in register.purposes
        if any(use.basis in PORTABLE_BASES for use in purpose.bases)
        for category in purpose.categories
    )


def portable_datasets(register: Register) -> frozenset[str]:
    """The register's datasets holding a portable category."""
    categories = portable_categories(register)
    return frozenset(d.id for d in register.datasets if categories.intersection(d.categories))


def provided_columns(binding: Binding, categories: frozenset[str]) -> tuple[str, ...]:
    """The binding's columns a portability package keeps, in the sources file's order."""
    return tuple(
        name
        for name, info in binding.columns.items()
        if info.provenance == PROVIDED and (info.category is None or info.category in categories)
    )


def keep_provided(row: Row, columns: tuple[str, ...]) -> Row:
    """The row cut down to the provided columns (a column the row lacks stays out)."""
    return {name: row[name] for name in columns if name in row}


def portability_index(register: Register, reference: str, found: list[str]) -> str:
    """The package's short ``index.html``: what each file is, in plain words."""
    names = {d.id: d.name for d in register.datasets}
    organisation = escape(register.controller.name)
    items = "".join(
        f"<li>{escape(names.get(d, d))}: <code>data/{escape(d)}.json</code> and "
        f"<code>data/{escape(d)}.csv</code></li>"
        for d in found
    )
    listed = f"<ul>{items}</ul>" if items else "<p>We hold no such data about you.</p>"
    return (
        '<!doctype html><html lang="en-GB"><head><meta charset="utf-8">'
        f"<title>Your data to take elsewhere (request {escape(reference)})</title></head><body>"
        f"<h1>Your data to take elsewhere</h1><p>Request {escape(reference)}, from "
        f"{organisation}.</p><p>The information you gave us that we use with your consent or "
        "to carry out a contract with you, in formats another organisation's software can "
        "read: JSON and CSV (one of each per set of records).</p>"
        f"{listed}<p>A copy of everything we hold about you, with how we use it, is a "
        "separate request (the right of access).</p></body></html>"
    )
