"""Notice formats: layered first layer, one group alone, Markdown and PDF (NTC-01)."""

from __future__ import annotations

import re
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

from dataward.notice.errors import UnknownSubjectGroup
from dataward.notice.layers import for_group
from dataward.notice.markdown import render_markdown
from dataward.notice.pdf import render_pdf
from dataward.notice.render import Edition, render_html
from dataward.register.loader import load_register
from dataward.register.models import Register

ROOT = Path(__file__).resolve().parents[2]
JTR = ROOT / "examples" / "jtr-collections.yaml"
R3 = ROOT / "examples" / "r3-repairs.yaml"
DATAWARD = Path(sys.executable).parent / "dataward"


@cache
def jtr() -> Register:
    return load_register(JTR).register


@cache
def r3() -> Register:
    return load_register(R3).register


def soup(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "html.parser")


# Layers


def test_it_opens_with_a_first_layer_card_per_group_linking_to_the_full_text() -> None:
    page = soup(render_html(jtr()))

    cards = page.select("#in-short .layer")
    assert [c["data-layer-group"] for c in cards] == [g.id for g in jtr().subject_groups]
    for card in cards:
        link = card.select_one(".more a")
        assert link is not None
        target = page.find(id=link["href"].removeprefix("#"))
        assert target is not None
        assert target.get("data-group") == card["data-layer-group"]
    customers = cards[0].get_text(" ", strip=True)
    assert "Who we share it with Our clients, Self-employed enforcement agents" in customers
    assert "and 23 more" in customers  # long lists stay short in the first layer
    assert "From 30 days to 6 years after the end of the year" in customers


def test_the_first_layer_comes_before_the_contents() -> None:
    page = soup(render_html(jtr()))

    first, toc = page.find(id="in-short"), page.find("nav", class_="toc")
    assert first is not None
    assert toc is not None
    assert str(page).index(str(first)[:40]) < str(page).index(str(toc)[:40])


def test_a_group_notice_holds_that_group_alone() -> None:
    page = soup(render_html(jtr(), group="new_occupiers"))

    groups = [s["data-group"] for s in page.select("section[data-group]")]
    assert groups == ["new_occupiers"]
    assert [c["data-layer-group"] for c in page.select(".layer")] == ["new_occupiers"]
    assert page.find(id="who-this-notice-is-for") is None
    assert "This notice is for: New Occupiers" in page.get_text(" ", strip=True)
    toc = [a["href"] for a in page.select("nav.toc a")]
    assert "#group-new_occupiers" in toc
    # Everything a new occupier needs is still there: rights, complaints, the controller.
    for section in ("your-rights", "complaints", "about-us", "retention"):
        assert page.find(id=section) is not None


def test_a_group_notice_leaves_out_purposes_and_recipients_of_other_groups() -> None:
    narrowed = for_group(jtr(), "new_occupiers")

    assert {p.id for p in narrowed.purposes} == {
        p.id for p in jtr().purposes if "new_occupiers" in p.subject_groups
    }
    assert all("new_occupiers" in x.subject_groups for x in narrowed.recipients)
    assert len(narrowed.recipients) < len(jtr().recipients)


def test_it_refuses_an_unknown_group_naming_the_known_ones() -> None:
    with pytest.raises(UnknownSubjectGroup) as caught:
        render_html(jtr(), group="nobody")

    assert caught.value.code == "subject_group_unknown"
    assert caught.value.details == [
        "subject groups: customers, new_occupiers, web_site_users, third_parties"
    ]


def test_a_served_notice_shows_its_published_version_and_history_link() -> None:
    edition = Edition(3, __import__("datetime").date(2026, 11, 25), "/orgs/x/notice/versions")

    header = soup(render_html(r3(), edition=edition)).select_one(".notice-header .edition")

    assert header is not None
    assert header.get_text(" ", strip=True) == (
        "Published as notice version 3 on 25 November 2026. Earlier versions of this notice"
    )
    assert header.a is not None
    assert header.a["href"] == "/orgs/x/notice/versions"


# Markdown


@cache
def markdown() -> str:
    return render_markdown(jtr())


def test_the_markdown_has_every_section_heading_of_the_html() -> None:
    html_headings = [h.get_text(" ", strip=True) for h in soup(render_html(jtr())).find_all("h2")]
    md_headings = re.findall(r"^## (.+)$", markdown(), flags=re.MULTILINE)

    assert md_headings == [h for h in html_headings if h != "Contents"]


def test_the_markdown_carries_no_html_and_renders_cleanly() -> None:
    text = markdown()
    assert not re.search(r"<(?!https?://|[\w.+-]+@)[a-z/]", text), "raw HTML in the Markdown"

    rendered = soup(MarkdownIt("commonmark").enable("table").render(text))

    assert rendered.find("h1").get_text() == "JTR Collections Privacy Policy"
    emails = {a["href"] for a in rendered.find_all("a") if a["href"].startswith("mailto:")}
    assert "mailto:info@jtrcollections.co.uk" in emails


def test_markdown_links_in_the_page_point_at_heading_slugs() -> None:
    text = markdown()

    assert "[Full details for Customers](#customers-1)" in text  # the 2nd "Customers" heading
    assert "[How to complain](#how-to-complain)" in text
    assert "## Customers" in text


def test_markdown_keeps_lists_in_tables_as_readable_blocks() -> None:
    text = render_markdown(r3())

    assert "| Purpose | About | Lawful basis |" in text  # a plain table stays a table
    assert "- **How long:**" in text  # the retention table becomes one block per rule


def test_a_group_notice_in_markdown_has_one_group_section() -> None:
    text = render_markdown(jtr(), group="web_site_users")

    assert "## Web Site Users" in text
    assert "## Customers" not in text


# PDF


def _pdftotext(path: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout


def _pages(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True)
    match = re.search(r"^Pages:\s+(\d+)$", info.stdout, flags=re.MULTILINE)
    assert match
    return int(match.group(1))


def test_the_pdf_has_numbered_pages_and_the_notice_text(tmp_path: Path) -> None:
    path = tmp_path / "r3.pdf"
    path.write_bytes(render_pdf(r3()))

    pages = _pages(path)
    text = _pdftotext(path)
    assert pages > 10  # every field of every element is shown: a long document
    assert f"Page 1 of {pages}" in text
    assert f"Page {pages} of {pages}" in text
    words = re.sub(r"\s+", " ", text)
    assert "In short: what this means for you" in words
    assert r3().controller.legal_name in words
    assert "Your rights and how to use them" in words


def test_a_group_pdf_is_shorter_than_the_whole_notice(tmp_path: Path) -> None:
    whole, one = tmp_path / "whole.pdf", tmp_path / "one.pdf"
    whole.write_bytes(render_pdf(jtr()))
    one.write_bytes(render_pdf(jtr(), group="third_parties"))

    assert _pages(one) < _pages(whole)
    assert "This notice is for: Third Parties" in re.sub(r"\s+", " ", _pdftotext(one))


def test_the_cli_writes_each_format(tmp_path: Path) -> None:
    for fmt, magic in (("html", b"<!DOCTYPE html>"), ("md", b"R3 Repairs"), ("pdf", b"%PDF-")):
        out = tmp_path / f"notice.{fmt}"
        done = subprocess.run(
            [str(DATAWARD), "notice", "render", str(R3), "--format", fmt, "-o", str(out)],
            capture_output=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert out.read_bytes().startswith(magic), fmt
        # Issue 15, item 7: the seconds a PDF takes are announced, not silent.
        assert (b"laying out the PDF" in done.stderr) == (fmt == "pdf")


FAKE_WEASYPRINT = """raise OSError(
    "cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open shared object file"
)
"""


def test_pdf_without_its_libraries_says_what_to_install_and_writes_nothing(
    tmp_path: Path,
) -> None:
    # A WeasyPrint that fails to load Pango, as it does where the libraries are missing.
    shadow = tmp_path / "shadow" / "weasyprint"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text(FAKE_WEASYPRINT, encoding="utf-8")
    out = tmp_path / "notice.pdf"
    env = {"PYTHONPATH": str(shadow.parent), "PATH": "/usr/bin:/bin"}

    done = subprocess.run(
        [str(DATAWARD), "notice", "render", str(R3), "--format", "pdf", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )

    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error [pdf_unavailable]: PDF output needs the Pango and HarfBuzz system libraries, "
        "which are missing",
        "WeasyPrint reported: cannot load library 'libpango-1.0-0'",
        "on Debian or Ubuntu: apt-get install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b "
        "libharfbuzz-subset0",
        "on other systems see https://doc.courtbouillon.org/weasyprint/stable/"
        "first_steps.html#installation",
    ]
    assert not out.exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "shadow"]


def test_pdf_without_weasyprint_names_the_extra(tmp_path: Path) -> None:
    shadow = tmp_path / "shadow" / "weasyprint"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('no weasyprint')\n", encoding="utf-8")
    out = tmp_path / "notice.pdf"

    done = subprocess.run(
        [str(DATAWARD), "notice", "render", str(R3), "--format", "pdf", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"PYTHONPATH": str(shadow.parent), "PATH": "/usr/bin:/bin"},
    )

    assert done.returncode == 2
    assert "error [pdf_unavailable]: PDF output needs WeasyPrint" in done.stderr
    assert "pip install 'dataward[pdf]'" in done.stderr
    assert not out.exists()
