"""A report as an A4 PDF: WeasyPrint prints the standalone HTML (reports/yearbook/html.py) set in Noto
Sans CJK (Debian's fonts-noto-cjk), the way certificates/pdf.py and problems/signboard.py print: the
title and contents with page numbers on the first page, a section a page, "page / pages" in the footer
(static/css/yearbook-print.css).

Charts and maps go in as PNG, embedded images that print sharp (170 dpi at the page's width). A chart
is a drawing of its block alone, so one given as SVG is drawn again as PNG here; a map needs the
database, so its PNG comes from the build (images.render_all), else its SVG goes in as vector
graphics, as does any other SVG (a QR code)."""

from __future__ import annotations

from . import charts, html
from .snapshot import blocks_of


def _for_print(snapshot: dict, images: dict) -> dict:
    printed = dict(images)
    for _section, block in blocks_of(snapshot, "chart"):
        image = images.get(block["key"])
        if image is None or (isinstance(image, str) and not image.startswith("data:image/png")):
            printed[block["key"]] = charts.render_png(block)
    return printed


def render(snapshot: dict, images: dict, *, build_info: dict | None = None, base_url: str = "") -> bytes:
    """images: {block key: PNG bytes, a data:image/png address, or SVG text} of the chart, map and image blocks."""
    from weasyprint import HTML  # loads Pango: only when a PDF is asked for
    from weasyprint.urls import URLFetcher

    document = html.standalone(snapshot, _for_print(snapshot, images), build_info=build_info, base_url=base_url)
    # Everything is inside (images as data: addresses): WeasyPrint may fetch no other address, whatever a
    # snapshot's text holds.
    return HTML(string=document, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf()
