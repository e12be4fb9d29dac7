"""The notice as a PDF, through WeasyPrint (the optional extra ``dataward[pdf]``).

WeasyPrint needs Pango and HarfBuzz from the operating system. Where the package or the
libraries are missing, ``PdfUnavailable`` says exactly what to install; callers check this
before they open any output file, so nothing is written.
"""

from __future__ import annotations

from types import ModuleType

from dataward.errors import DatawardError
from dataward.notice.render import Edition, render_html
from dataward.register.models import Register

DEBIAN_PACKAGES = "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0"

# Print layout on top of the notice's own stylesheet: A4 pages with running header and
# page numbers, a contents list with page numbers, and fonts every Linux box has.
PDF_CSS = """
@page {
  size: A4;
  margin: 20mm 17mm 20mm 17mm;
  @top-left { content: string(org); font-size: 8pt; color: #454545; }
  @top-right { content: string(title); font-size: 8pt; color: #454545; }
  @bottom-center { content: "Page " counter(page) " of " counter(pages);
                   font-size: 8pt; color: #454545; font-family: "Liberation Sans", sans-serif; }
  @top-left { font-family: "Liberation Sans", sans-serif; }
  @top-right { font-family: "Liberation Sans", sans-serif; }
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
.dw-notice .toc { display: block; break-after: page; }
.toc a { text-decoration: none; color: inherit; }
.toc a::after { content: leader(".") target-counter(attr(href), page); }
.toc ol ol { font-size: 0.95em; }
.dw-notice a { color: #1d3f99; text-decoration: none; }
.layers { display: block; }
.layer { break-inside: avoid; margin-bottom: 0.6rem; }
.layer-facts div { display: grid; grid-template-columns: 8.5rem 1fr; gap: 0 0.75rem; }
.layer .more a { color: #1d3f99; }
table { font-size: 9pt; }
.details .detail { grid-template-columns: 9rem 1fr; }
td .details .detail { grid-template-columns: 6rem 1fr; }
tr, .hold, .layer, .detail { break-inside: avoid; }
"""


class PdfUnavailable(DatawardError):
    code = "pdf_unavailable"
    title = "PDF output is not available here"
    http_status = 501


def load_weasyprint() -> ModuleType:
    """Import WeasyPrint, or say what to install to make PDF output work."""
    try:
        import weasyprint
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


def render_pdf(
    register: Register, *, group: str | None = None, edition: Edition | None = None
) -> bytes:
    """The notice (or one subject group's notice) as PDF bytes."""
    weasyprint = load_weasyprint()
    html = render_html(register, group=group, edition=edition)
    document = weasyprint.HTML(string=html)
    pdf: bytes = document.write_pdf(stylesheets=[weasyprint.CSS(string=PDF_CSS)])
    return pdf
