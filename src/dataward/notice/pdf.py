"""The notice as a PDF, through WeasyPrint (the optional extra ``dataward[pdf]``).

WeasyPrint needs Pango and HarfBuzz from the operating system. Where the package or the
libraries are missing, ``PdfUnavailable`` says exactly what to install; callers check this
before they open any output file, so nothing is written.
"""

from __future__ import annotations

import importlib
import logging
from types import ModuleType

from dataward.notice.errors import PdfUnavailable
from dataward.notice.render import Edition, render_html
from dataward.register.models import Register

DEBIAN_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0"

# Print layout on top of the notice's own stylesheet: A4 pages with running header and
# page numbers, a contents list with page numbers, and fonts every Linux box has.
PDF_CSS = """
@page {
  size: A4;
  margin: 20mm 17mm 20mm 17mm;
  @top-left { content: string(org); font: 8pt "Liberation Sans", sans-serif; color: #454545; }
  @top-right { content: string(title); font: 8pt "Liberation Sans", sans-serif; color: #454545; }
  @bottom-center { content: "Page " counter(page) " of " counter(pages);
                   font: 8pt "Liberation Sans", sans-serif; color: #454545; }
}
@page :first { @top-left { content: none; } @top-right { content: none; } }
html { font-size: 10pt; }
body { font-family: "Liberation Sans", "DejaVu Sans", Arial, sans-serif; line-height: 1.4; }
.notice-header .org { string-set: org content(); }
.dw-notice h1 { string-set: title content(); font-size: 20pt; }
.dw-notice h2 { font-size: 15pt; margin-top: 1.6rem; }
.dw-notice h3 { font-size: 12.5pt; }
.dw-notice h4 { font-size: 11pt; }
.dw-notice p, .dw-notice li, .dw-notice dd { max-width: none; }
.dw-notice .toc { display: block; break-before: page; break-after: page; }
.toc a { text-decoration: none; color: inherit; }
.toc a::after { content: leader(".") target-counter(attr(href), page); }
.toc ol ol { font-size: 0.95em; }
.dw-notice a { color: #1d3f99; text-decoration: none; }
.layers { display: block; }
.layer { break-inside: avoid; margin-bottom: 0.6rem; }
.layer .more a { color: #1d3f99; }
table { font-size: 9pt; }
.details .detail { grid-template-columns: 9rem 1fr; padding: 0.15rem 0; }
td .details .detail { grid-template-columns: 6rem 1fr; }
.layer-facts div { display: grid; grid-template-columns: 8.5rem 1fr; gap: 0 0.75rem; }
.hold, .layer, .detail { break-inside: avoid; }
tr { break-inside: auto; }
th, td { padding: 0.3rem 0.5rem 0.3rem 0; }
/* Paper is for reading through: short lists run on in a line instead of a column. */
.dw-notice .details dd ul { display: inline; padding: 0; margin: 0; }
.details dd li { display: inline; }
.details dd li + li::before { content: "; "; }
dd > ul > li + li { margin-top: 0; }
.el { margin-bottom: 0.6rem; }
article.el { break-inside: auto; }
"""


def load_weasyprint() -> ModuleType:
    """Import WeasyPrint, or say what to install to make PDF output work."""
    try:
        # By name: WeasyPrint ships no type information, and the import itself is the check.
        weasyprint = importlib.import_module("weasyprint")
    except ImportError:
        raise PdfUnavailable(
            "PDF output needs WeasyPrint, which is not installed",
            details=["install it with: pip install 'dataward[pdf]'"],
        ) from None
    except OSError as error:
        # WeasyPrint opens Pango with ctypes/cffi at import: a missing library is an OSError.
        missing = str(error).split(":")[0][:200]
        raise PdfUnavailable(
            "PDF output needs the Pango and HarfBuzz system libraries, which are missing",
            details=[
                f"WeasyPrint reported: {missing}",
                f"on Debian or Ubuntu: apt-get install {DEBIAN_PACKAGES}",
                "on other systems see https://doc.courtbouillon.org/weasyprint/stable/"
                "first_steps.html#installation",
            ],
        ) from None
    return weasyprint


def _quiet(weasyprint: ModuleType) -> None:
    # WeasyPrint warns about screen-only CSS (media queries, overflow) that paper ignores;
    # those warnings would reach the user's terminal as noise.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)


def render_pdf(
    register: Register, *, group: str | None = None, edition: Edition | None = None
) -> bytes:
    """The notice (or one subject group's notice) as PDF bytes."""
    weasyprint = load_weasyprint()
    _quiet(weasyprint)
    html = render_html(register, group=group, edition=edition)
    # After the page's own CSS and with author precedence: WeasyPrint's ``stylesheets=``
    # argument gives user precedence, which the page's own rules would override.
    html = html.replace("</head>", f"<style>{PDF_CSS}</style>\n</head>", 1)
    pdf: bytes = weasyprint.HTML(string=html).write_pdf()
    return pdf
