"""The river-chief signboard (河长公示牌) of a waterway: its QR code (segno) as a PNG, and a printable
A4 sheet (WeasyPrint, set in Noto Sans CJK from Debian's fonts-noto-cjk) with the waterway, its
chiefs in post, the QR code and the address in text."""

from __future__ import annotations

import base64
import io
from functools import cache
from pathlib import Path

import segno
from django.template.loader import render_to_string
from django.utils import timezone

from . import public_selectors

# Error correction M (15 %): a signboard outdoors gets dirty and scratched; the address stays short
# enough for a code a phone reads from a metre away.
QR_ERROR = "m"


def qr_png(url: str, *, scale: int = 12) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error=QR_ERROR, micro=False).save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


@cache
def _stylesheet():
    from weasyprint import CSS

    # A file, not a <style> in the template: every template is kept free of inline styles (tests/test_security.py).
    return CSS(string=(Path(__file__).parent / "signboard.css").read_text(encoding="utf-8"))


def signboard_pdf(waterway, url: str) -> bytes:
    from weasyprint import HTML  # loads Pango: only when a sheet is asked for
    from weasyprint.urls import URLFetcher

    qr = base64.b64encode(qr_png(url, scale=10)).decode("ascii")
    html = render_to_string("public/signboard.html", {
        "waterway": waterway,
        "chiefs": public_selectors.current_chiefs(waterway),
        "qr_data_url": f"data:image/png;base64,{qr}",
        "url": url,
        "today": timezone.localdate(),
    })
    # The sheet needs nothing from outside (the QR code comes as a data: address): WeasyPrint may
    # fetch no other address, whatever text a waterway's name holds.
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf(
        stylesheets=[_stylesheet()])
