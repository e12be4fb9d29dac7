"""The access package's cover letter and redaction, pure: the JTR register in, words out.

ACC-01 for the datasets found only; silence in the register stays silence in the letter.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from dataward.access.cover_letter import NOTHING_HELD, CoverFacts, cover_body, record_rows
from dataward.access.released import REDACTED, redact
from dataward.access.search_record import AUTOMATIC, BY_HAND, NOT_REASONABLE, OPEN, DatasetSearch
from dataward.register.loader import load_register, parse_register
from dataward.register.models import Register

JTR = Path(__file__).resolve().parents[2] / "examples" / "jtr-collections.yaml"


def _jtr(*, without_transfers: bool = False) -> Register:
    if not without_transfers:
        return load_register(JTR).register
    lines = JTR.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("transfers:"))
    end = next(i for i in range(start + 1, len(lines)) if lines[i][:1].isalpha())
    return parse_register("".join(lines[:start] + lines[end:]), str(JTR)).register


def _headings(register: Register, found: list[str]) -> dict[str, tuple[str, ...]]:
    body = cover_body(register, CoverFacts("q_1", found, ["customers"], []))
    return {s.heading: (*s.paragraphs, *s.bullets) for s in body.sections}


def test_it_replaces_each_span_and_merges_overlaps() -> None:
    text = "call ann@x.io or bob@y.io"
    assert redact(text, [(17, 25), (5, 13)]) == f"call {REDACTED} or {REDACTED}"
    assert redact(text, [(5, 10), (8, 13)]) == f"call {REDACTED} or bob@y.io"
    assert redact(text, []) == text


def test_it_says_plainly_when_nothing_was_found() -> None:
    sections = _headings(_jtr(), [])
    assert NOTHING_HELD in sections["What we found"]
    assert "Why we use it" not in sections
    assert "Complaining to the ICO" in sections


def test_it_gives_the_art_15_information_for_the_datasets_found() -> None:
    sections = _headings(_jtr(), ["customers"])
    assert "Customer data: 6 years" in " ".join(sections["How long we keep it"])
    assert any(r.startswith("Ascendant Solutions Ltd") for r in sections["Who we share it with"])
    assert any("outside of the UK" in p for p in sections["Transfers outside the UK"])
    assert any("automated decision-making" in p for p in sections["Automated decisions"])
    assert "Your other rights" in sections
    # Only datasets found have a retention line.
    assert not [r for r in sections["How long we keep it"] if r.startswith("Cases")]


def test_it_names_each_kind_of_data_of_the_persons_groups_once() -> None:
    # call_recordings holds customers' and new occupiers' categories, both "Telephone calls".
    register = _jtr()
    for groups in (["customers"], ["new_occupiers"], []):
        body = cover_body(register, CoverFacts("q_1", ["call_recordings"], groups, []))
        kinds = next(s.bullets for s in body.sections if s.heading == "The kinds of data")
        assert kinds == ("Telephone calls",)


def test_a_register_silent_on_transfers_gets_no_transfers_section() -> None:
    assert "Transfers outside the UK" not in _headings(_jtr(without_transfers=True), ["customers"])


def test_the_search_record_reads_in_plain_words() -> None:
    on = datetime(2026, 7, 1, 23, 30, tzinfo=UTC)  # 00:30 on 2 July in the UK (BST)
    rows = record_rows(
        [
            DatasetSearch("a", "Cases", AUTOMATIC, 1, rows=1, files=2, when=on),
            DatasetSearch("b", "Paper files", BY_HAND, found=True, result="Box 4", when=on),
            DatasetSearch("c", "Old CRM", NOT_REASONABLE, reason="Archived, 1990s"),
            DatasetSearch("d", "Portal", OPEN),
        ]
    )
    assert rows == [
        ("Cases", "Searched automatically on 2 July 2026", "1 record, 2 files"),
        ("Paper files", "Searched on 2 July 2026", "Data found: Box 4"),
        ("Old CRM", "Not searched: not reasonable and proportionate", "Archived, 1990s"),
        ("Portal", "Not searched yet", ""),
    ]
