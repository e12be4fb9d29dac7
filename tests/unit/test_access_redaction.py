"""ACC-02: the pattern recognisers of the access package's redaction, without a subject
store (names and references need the blind index: tests/integration/test_access_review.py)."""

from __future__ import annotations

from dataward.access.redaction import Detector, Span, merge, phone_value


def _found(text: str, own: dict[str, list[str]] | None = None) -> list[tuple[str, str]]:
    return [(text[s.start : s.end], s.kind) for s in Detector(own).scan({"n": text}, ["n"])]


def test_it_finds_emails_phones_ni_numbers_and_postcodes() -> None:
    text = (
        "Mail bob@example.co.uk or ring 07911 123456, +44 (0)20 7946 0958 or 0113 496 0000; "
        "NI AB 12 34 56 C, lives at LS1 1AA."
    )
    assert _found(text) == [
        ("bob@example.co.uk", "email"),
        ("07911 123456", "phone"),
        ("+44 (0)20 7946 0958", "phone"),
        ("0113 496 0000", "phone"),
        ("AB 12 34 56 C", "ni_number"),
        ("LS1 1AA", "postcode"),
    ]


def test_it_never_redacts_the_subjects_own_details_whatever_the_spelling() -> None:
    own = {
        "email": ["jane.doe@example.com"],
        "phone": ["+447911123456"],
        "ni_number": ["AB123456C"],
        "postcode": ["LS1 1AA"],
    }
    text = "Jane.Doe@Example.com, 07911123456, +44 7911 123456, ab123456c? no: AB 123456 C, LS11AA"
    assert _found(text, own) == []
    assert _found("Her friend on 07911 654321", own) == [("07911 654321", "phone")]


def test_it_leaves_alone_what_only_looks_alike() -> None:
    # Too few digits, a date, a reference, a year range, an invalid NI prefix (GB), names
    # (without a subject store names are never guessed).
    text = "Case 0113 496, on 2026-11-25, ref JTR0000001, years 2019-2025, GB123456A, Mary Jones"
    assert _found(text) == []


def test_phone_values_are_the_indexed_e164_form() -> None:
    assert phone_value("07911 123456") == "+447911123456"
    assert phone_value("+44 (0)20 7946 0958") == "+442079460958"
    assert phone_value("+44 20 7946 0958") == "+442079460958"


def test_scan_batch_gives_one_list_per_row_in_order_and_skips_non_text() -> None:
    rows = [
        {"a": "x@example.com", "b": "none"},
        {"a": None, "b": 42},
        {"a": "none", "b": "ring 07911 123456 or y@example.com"},
    ]
    found = Detector().scan_batch(rows, ["a", "b"])
    assert found == [
        [Span("a", 0, 13, "email")],
        [],
        [Span("b", 5, 17, "phone"), Span("b", 21, 34, "email")],
    ]


def test_merge_joins_overlapping_and_touching_spans_of_one_column_only() -> None:
    spans = [Span("a", 5, 9, "name"), Span("a", 0, 6, "email"), Span("b", 2, 3, "phone")]
    assert merge(spans) == [Span("a", 0, 9, "email"), Span("b", 2, 3, "phone")]
    assert merge([Span("a", 0, 3, "x"), Span("a", 3, 5, "y")]) == [Span("a", 0, 5, "x")]
    assert merge([Span("a", 0, 3, "x"), Span("a", 4, 5, "y")]) == [
        Span("a", 0, 3, "x"),
        Span("a", 4, 5, "y"),
    ]
