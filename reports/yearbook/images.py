"""Every chart and map of a snapshot drawn once and saved twice: SVG (kept beside the snapshot, shown by
the page and the HTML file) and PNG (for the PDF). Maps read the database (the district's layers and the
coverage at the period's end), so a build draws them when it computes the snapshot."""

from __future__ import annotations

from reports.filters import ReportFilters

from . import charts, maps, plotting
from .snapshot import blocks_of


def render_all(snapshot: dict, filters: ReportFilters, *, dpi: int = plotting.PNG_DPI) -> tuple[dict, dict]:
    """({block key: SVG text}, {block key: PNG bytes}) of the snapshot's chart and map blocks."""
    svgs, pngs = {}, {}
    for _section, block in blocks_of(snapshot):
        if block["type"] == "chart":
            figure = charts.draw(block)
        elif block["type"] == "map":
            figure = maps.draw(block, filters)
        else:
            continue
        svgs[block["key"]] = plotting.svg_text(figure)
        pngs[block["key"]] = plotting.png_bytes(figure, dpi=dpi)
    return svgs, pngs
