"""HTML to PDF with WeasyPrint, offline: the statement's stylesheet is read from the package and no
URL is ever fetched (a record's text cannot make the server request anything)."""
from __future__ import annotations

import os

from weasyprint import CSS, HTML

STYLESHEET = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "static", "statement.css")


def _refuse(url: str, *args, **kwargs):
    raise ValueError(f"The statement does not load external resources ({url[:60]}).")


def render_pdf(html: str) -> bytes:
    """The document as PDF bytes, styled by static/statement.css (screen and print rules alike)."""
    return HTML(string=html, url_fetcher=_refuse, base_url=".").write_pdf(
        stylesheets=[CSS(filename=STYLESHEET, url_fetcher=_refuse)])
