"""A report as one self-contained HTML document (the downloadable file, and what the PDF is printed
from): the report's body (templates/reports/yearbook/_report.html, which the site's page shows too),
its stylesheet inside, every chart and map as a data: address, links absolute when a base URL is given.

The page on the site links static/css/yearbook.css and shows the images through URLs instead: its
Content-Security-Policy allows no inline style, which both this <style> and matplotlib's SVG carry. So
the file is for downloading (Content-Disposition: attachment), not for showing under the site's policy."""

from __future__ import annotations

import base64
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from .snapshot import blocks_of

STYLESHEETS = ("css/yearbook.css", "css/yearbook-print.css")


@cache
def stylesheet() -> str:
    """The page's stylesheet and the print one, as one text (found as the site finds its static files, read once)."""
    return "\n".join(Path(finders.find(name)).read_text(encoding="utf-8") for name in STYLESHEETS)


IMAGE_BLOCKS = ("chart", "map", "image")


def data_url(image: str | bytes) -> str:
    """An image as a data: address: PNG bytes, SVG text, or already a data:image/… address (how a PNG
    keeps in JSON)."""
    if isinstance(image, bytes):
        return "data:image/png;base64," + base64.b64encode(image).decode("ascii")
    if image.startswith(("data:image/png;base64,", "data:image/svg+xml;base64,")):
        return image
    return "data:image/svg+xml;base64," + base64.b64encode(image.encode("utf-8")).decode("ascii")


def standalone(snapshot: dict, images: dict, *, build_info: dict | None = None, base_url: str = "") -> str:
    """The report as a whole HTML document. images: {block key: SVG text, PNG bytes or a data: address} of
    the chart, map and image blocks.
    Figures and cells link to their records only with a base_url (a file on someone's disk has no site
    to be relative to)."""
    base_url = (base_url or "").rstrip("/")
    wanted = {block["key"] for _section, block in blocks_of(snapshot) if block["type"] in IMAGE_BLOCKS}
    css = stylesheet()
    if "</style" in css.lower():  # our own file; still, it must not end the element early
        raise ValueError("a stylesheet of the report contains </style")
    # A report is a Chinese document, whatever language the office's pages are in.
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string("reports/yearbook/standalone.html", {
            "snapshot": snapshot,
            "image_src": {key: data_url(image) for key, image in images.items() if key in wanted},
            "build_info": build_info,
            "linked": bool(base_url),
            "base_url": base_url,
            "inline_stylesheet": mark_safe(f"<style>\n{css}\n</style>"),
        })
