"""The package's readable pages: the cover letter (``index.html``) and one page per dataset.

The cover letter lays out ``cover_letter``'s words like the request letters do (the
organisation's name and contacts from the register, the reference, the date). A dataset
page streams its rows into tables, one per binding, after saying what each column means:
the sources file's description of the column, the register's name for its data category
and whether the person gave it, it was observed or derived. A column nobody described is
shown by its name only: no meaning is invented. Templates in ``access/templates/``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import IO, Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from dataward.access.cover_letter import CoverFacts, record_rows
from dataward.access.staging import FILES_FIELD
from dataward.register.models import Register
from dataward.register.wording import contact_words, uk_date
from dataward.requests.letter_content import Body, request_contacts
from dataward.sources.models import Binding

_FOLDER = Path(__file__).parent / "templates"
_HTML = Environment(
    loader=FileSystemLoader(str(_FOLDER)),
    undefined=StrictUndefined,
    autoescape=select_autoescape(["html"]),
)
PROVENANCE_WORDS = {
    "provided": "you gave us this",
    "observed": "we recorded this about you",
    "derived": "we worked this out from other data",
}
FILES_MEANING = "Files (recordings, photos, scans) that belong to the record, in this package"
FROM_MEANING = "The table of our system the record comes from"


@cache
def _css() -> Markup:
    # Our own stylesheet, trusted: escaped, its quotes would break the rules.
    return Markup((_FOLDER / "style.css").read_text(encoding="utf-8"))  # noqa: S704


def render_cover(
    register: Register,
    body: Body,
    facts: CoverFacts,
    contents: Sequence[tuple[str, str]],
    today: date,
    *,
    redacted: bool = False,
    redacted_mark: str = "",
) -> str:
    controller = register.controller
    address = controller.registered_address
    postal = (
        ", ".join([*address.lines, *([address.postcode] if address.postcode else [])])
        if address is not None
        else ""
    )
    return _HTML.get_template("index.html").render(
        body=body,
        css=_css(),
        organisation=controller.name,
        legal_name=controller.legal_name if controller.legal_name != controller.name else "",
        address=postal,
        contacts=[contact_words(c) for c in request_contacts(register)],
        dated=uk_date(today),
        reference=facts.reference,
        contents=contents,
        record=record_rows(facts.record),
        withheld=facts.withheld,
        redacted=redacted,
        redacted_mark=redacted_mark,
    )


def column_meanings(register: Register, binding: Binding) -> list[tuple[str, str]]:
    """(column, what it means) for each column the sources file says something about."""
    categories = {c.id: c.name for c in register.data_categories}
    explained: list[tuple[str, str]] = []
    for name, info in binding.columns.items():
        said: list[str] = []
        if info.description:
            said.append(info.description.strip())
        if info.category:
            said.append(f"kind of data: {categories.get(info.category, info.category)}")
        if info.provenance:
            said.append(PROVENANCE_WORDS[info.provenance])
        if said:
            explained.append((name, "; ".join(said)))
    return explained


def write_dataset_page(
    out: IO[bytes],
    register: Register,
    dataset_id: str,
    bindings: Sequence[tuple[Binding, Iterable[dict[str, Any]]]],
    file_cell: Callable[[Sequence[Mapping[str, Any]]], list[str]],
) -> None:
    """The dataset's page, its rows streamed: nothing but one row is held at a time."""
    dataset = next((d for d in register.datasets if d.id == dataset_id), None)
    categories = {c.id: c.name for c in register.data_categories}
    head = _HTML.get_template("dataset_head.html").render(
        css=_css(),
        organisation=register.controller.name,
        name=dataset.name if dataset is not None else dataset_id,
        description=dataset.description.strip() if dataset and dataset.description else "",
        categories=", ".join(categories.get(c, c) for c in dataset.categories)
        if dataset is not None
        else "",
    )
    out.write(head.encode("utf-8"))
    several = len(bindings) > 1
    for binding, rows in bindings:
        explained = column_meanings(register, binding)
        _write_table(out, binding, rows, explained, several, file_cell)
    out.write(b"</body>\n</html>\n")


def _write_table(
    out: IO[bytes],
    binding: Binding,
    rows: Iterable[dict[str, Any]],
    explained: list[tuple[str, str]],
    several: bool,
    file_cell: Callable[[Sequence[Mapping[str, Any]]], list[str]],
) -> None:
    stream: Iterator[dict[str, Any]] = iter(rows)
    first = next(stream, None)
    if first is None:
        return
    columns = [c for c in first if c != FILES_FIELD]
    has_files = FILES_FIELD in first
    if has_files:
        explained = [*explained, ("files", FILES_MEANING)]
    head = _HTML.get_template("binding_head.html").render(
        several=several, table=binding.table or binding.pattern or "", explained=explained
    )
    out.write(head.encode("utf-8"))
    cells = "".join(f'<th scope="col">{escape(c)}</th>' for c in columns)
    if has_files:
        cells += '<th scope="col">files</th>'
    out.write(
        f'<div class="table-wrap"><table>\n<thead><tr>{cells}</tr></thead>\n<tbody>\n'.encode()
    )
    row: dict[str, Any] | None = first
    while row is not None:
        line = "".join(f"<td>{_cell(row.get(c))}</td>" for c in columns)
        if has_files:
            line += f"<td>{_files(file_cell(row.get(FILES_FIELD) or []))}</td>"
        out.write(f"<tr>{line}</tr>\n".encode())
        row = next(stream, None)
    out.write(b"</tbody>\n</table></div>\n")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    return str(escape(str(value)))


def _files(paths: Sequence[str]) -> str:
    links = []
    for path in paths:
        if path.startswith("files/"):
            links.append(f'<a href="../{escape(path)}">{escape(path.rsplit("/", 1)[-1])}</a>')
        else:
            links.append(str(escape(path)))
    return "<br>".join(links)
