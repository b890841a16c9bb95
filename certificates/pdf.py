"""A certificate as an A4 PDF in Chinese, printed the way problems/signboard.py prints a signboard:
WeasyPrint, set in Noto CJK (Debian's fonts-noto-cjk), a segno QR code to the verification page, and
the office's seal. Everything comes from the certificate row (what was issued), nothing from today."""

from __future__ import annotations

import base64
import logging
from functools import cache
from pathlib import Path

from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import translation

from people.identity import id_type_label, masked_id
from problems.signboard import qr_png

from .services import CERTIFICATE_LANGUAGE

logger = logging.getLogger(__name__)


@cache
def _stylesheet():
    from weasyprint import CSS

    # A file, not a <style> in the template: every template is kept free of inline styles (tests/test_security.py).
    return CSS(string=(Path(__file__).parent / "certificate.css").read_text(encoding="utf-8"))


def _data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _seal_data_url(name: str) -> str:
    """The seal the certificate was issued with, or "" when it had none (or its file is gone)."""
    if not name:
        return ""
    try:
        with default_storage.open(name, "rb") as file:
            return _data_url(file.read())
    except OSError:
        logger.warning("The seal image %s of a certificate is missing; printed without it.", name)
        return ""


def certificate_pdf(certificate, verification_url: str) -> bytes:
    from weasyprint import HTML  # loads Pango: only when a certificate is asked for
    from weasyprint.urls import URLFetcher

    # A certificate is a Chinese document, whatever language the staff member's pages are in.
    with translation.override(CERTIFICATE_LANGUAGE):
        html = render_to_string("certificates/certificate_pdf.html", {
            "certificate": certificate,
            "id_type_label": id_type_label(certificate.id_type),
            "masked_id": masked_id(certificate.id_type, certificate.id_tail),
            "qr_data_url": _data_url(qr_png(verification_url, scale=8)),
            "seal_data_url": _seal_data_url(certificate.seal),
            "verification_url": verification_url,
        })
    # Nothing from outside (images come as data: addresses): WeasyPrint may fetch no other address,
    # whatever text a name or the content holds.
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols={"data"})).write_pdf(
        stylesheets=[_stylesheet()])
