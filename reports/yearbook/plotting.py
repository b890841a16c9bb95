"""What the report's charts and maps share: matplotlib without pyplot, set in Noto Sans CJK, saved as
SVG (the page and the HTML file) or PNG (the PDF), byte for byte the same for the same drawing.

Only the Agg and SVG canvases are used: matplotlib's PDF backend breaks Debian's Noto CJK .ttc. Text
is written as paths (svg.fonttype "path"), so an image shows its Chinese wherever it is opened."""

from __future__ import annotations

import io
import logging
from contextlib import contextmanager
from functools import cache
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # never a GUI, never the PDF backend (before anything draws)

from matplotlib import font_manager  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

logger = logging.getLogger(__name__)

# Debian's fonts-noto-cjk; the family name picks the simplified-Chinese face of the collection.
CJK_FONT_FILES = ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                  "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc")
CJK_FAMILY = "Noto Sans CJK SC"

# A4 less the print margins (170 mm): drawn at the size it is printed, the text stays readable.
PAGE_WIDTH_IN = 170 / 25.4
PNG_DPI = 170

INK, MUTED, GRID = "#1f2933", "#61707f", "#dde3ea"
# Sober and told apart in greyscale too: the site's blue first, then grey, ochre, green, brick.
SERIES_COLOURS = ("#0b5cad", "#8a9bb0", "#c9822b", "#4f8a5b", "#9b2c2c", "#6b5b95")

_RC = {
    "font.family": [CJK_FAMILY, "DejaVu Sans"],
    "font.size": 9,
    "axes.unicode_minus": False,  # the CJK fonts' hyphen, not U+2212, which they may lack
    "axes.edgecolor": MUTED,
    "axes.labelcolor": INK,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlecolor": INK,
    "xtick.color": MUTED,
    "ytick.color": MUTED,
    "xtick.labelcolor": INK,
    "ytick.labelcolor": INK,
    "legend.frameon": False,
    "svg.fonttype": "path",
    "svg.hashsalt": "riverwatch-yearbook",  # stable element ids: the same drawing, the same bytes
    "path.simplify": True,
}


@cache
def _register_fonts() -> bool:
    """Add the Noto CJK collections to matplotlib's font list (its cache may predate the fonts)."""
    found = False
    for path in CJK_FONT_FILES:
        if Path(path).is_file():
            font_manager.fontManager.addfont(path)
            found = True
    if not found:
        logger.warning("Noto Sans CJK (fonts-noto-cjk) is missing: the report's images will lack their Chinese.")
    return found


@contextmanager
def style():
    """The report's look, for drawing and saving (matplotlib's settings are global: kept to this block)."""
    _register_fonts()
    with matplotlib.rc_context(_RC):
        yield


def new_figure(width_in: float, height_in: float) -> Figure:
    figure = Figure(figsize=(width_in, height_in))
    FigureCanvasAgg(figure)
    return figure


def svg_text(figure: Figure) -> str:
    buffer = io.BytesIO()
    with style():
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    return buffer.getvalue().decode("utf-8")


def png_bytes(figure: Figure, *, dpi: int = PNG_DPI) -> bytes:
    buffer = io.BytesIO()
    with style():
        figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()
