"""The two version numbers on a served notice are named apart (issue 15, item 7).

dataward numbers the notices it publishes (1, 2, 3, ...); the organisation may number its
own document (8.1). Side by side, "Version 8.1" beside "notice version 1" confused readers.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bs4 import BeautifulSoup

from dataward.notice.render import Edition, render_html
from dataward.register.loader import load_register

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EDITION = Edition(1, dt.date(2026, 11, 25), "/orgs/jtr/notice/versions")


def _header(html: str) -> str:
    header = BeautifulSoup(html, "html.parser").select_one(".notice-header")
    assert header is not None
    return header.get_text(" ", strip=True)


def test_a_served_notice_names_both_numbers() -> None:
    """Issue 15, item 7: the published notice version and the document's own reference."""
    register = load_register(EXAMPLES / "jtr-collections.yaml").register

    text = _header(render_html(register, edition=EDITION))

    assert "Published as notice version 1 on 25 November 2026." in text
    assert (
        "The organisation's own reference for this document: "
        "Version 8.1, last updated 20 February 2024"
    ) in text
    assert text.index("notice version 1") < text.index("Version 8.1")


def test_a_standalone_notice_keeps_the_documents_own_line() -> None:
    """Issue 15, item 7: with no published version beside it, nothing needs telling apart."""
    register = load_register(EXAMPLES / "jtr-collections.yaml").register

    text = _header(render_html(register))

    assert "Version 8.1, last updated 20 February 2024" in text
    assert "own reference" not in text
    assert "notice version" not in text


def test_a_register_stating_no_version_gets_no_version_line() -> None:
    """Issue 15, item 7: no default is shown as if the organisation had said it."""
    register = load_register(EXAMPLES / "jtr-collections.yaml").register
    silent = register.model_copy(
        update={"notice": register.notice.model_copy(update={"versions": []})}
    )

    text = _header(render_html(silent, edition=EDITION))

    assert "Published as notice version 1" in text
    assert "own reference" not in text
    assert "Version" not in text.replace("notice version", "")
